using System.Text.Json;
using ChannelTape.Library.Configuration;

namespace ChannelTape.Cli.Tests;

/// <summary>Library rules a newcomer ran into (issue 11, item 4), through the commands.</summary>
public sealed class LibraryRulesTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("ctape-rules-").FullName;
    private LibraryServer _served = null!;

    private string EndPoint => _served.EndPoint.ToString();

    public Task InitializeAsync()
    {
        var result = ConfigurationParser.ParseText($$"""
            storage { root "{{_root}}/data"; format aws; }
            drive 0480 { model 3480; }
            drive 0580-0581 { model 3490; }
            pool PRODUCTION { volumes P00000-P00002; media 3490E; capacity 10M; labels SL; }
            pool CARTS { volumes C00000-C00001; media 3480; capacity 10M; labels SL; }
            """, "rules.conf", _root);
        Assert.Empty(result.Errors);
        _served = LibraryServer.Start(result.Configuration!);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _served.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void A_3490E_volume_is_refused_on_a_3480_drive_and_a_3480_cartridge_is_not()
    {
        var (exit, _, error) = Ctape.Run("mount", "0480", "P00001", "--server", EndPoint);
        Assert.Equal(1, exit);
        Assert.Equal("ctape mount: drive 0480: volume P00001 is 3490E media, which drive 0480 (IBM 3480) does not take\n", error);
        Assert.Null(_served.Host.View.State(0x0480)!.VolumeSerial);

        Assert.Equal(0, Ctape.Run("mount", "0480", "C00001", "--server", EndPoint).ExitCode);
        Assert.Equal(0, Ctape.Run("mount", "0581", "P00001", "--server", EndPoint).ExitCode); // a 3490E takes both
    }

    [Fact]
    public void The_pools_report_shows_a_pool_name_longer_than_eight_characters_whole()
    {
        var (exit, output, error) = Ctape.Run("lms", "pools", "--server", EndPoint, "--drives", "0580-0581");
        Assert.True(exit == 0, error);
        Assert.Contains(" PRODUCTION", output, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(Ctape.Run("lms", "pools", "--json", "--server", EndPoint, "--drives", "0580-0581").Output);
        Assert.Contains("PRODUCTION", json.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("pool").GetString()));
    }
}
