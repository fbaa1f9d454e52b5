using System.Text.Json;
using ChannelTape.Cli;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;

namespace ChannelTape.Cli.Tests;

/// <summary><c>ctape status</c> against the catalog directly (issue 4, item 4).</summary>
public sealed class StatusCommandTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly ManualTime _time = new(CatalogTestSupport.Start);

    public void Dispose() => _directory.Dispose();

    private (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        return Ctape.Run(_time, ["status", .. args, "--data", _directory.Path]);
    }

    private LibraryCatalog Prepare()
    {
        var catalog = CatalogTestSupport.OpenWithDrives(_directory.Path, _time);
        catalog.AddVolumes([CatalogTestSupport.Range("T00000-T00009")], CatalogTestSupport.Scratch());
        catalog.AddVolumes([CatalogTestSupport.Range("P00000-P00002")], CatalogTestSupport.Scratch("PRIV") with { Scratch = false });
        var loaded = catalog.BeginMount(VolumeSerial.Parse("P00001"), 0x0581);
        _time.Advance(TimeSpan.FromSeconds(2));
        catalog.CompleteMount(loaded.MountId);
        catalog.TryAllocateScratch("SCRATCH", 0x0586); // still mounting
        _time.Advance(TimeSpan.FromMinutes(5));
        return catalog;
    }

    [Fact]
    public void Table_shows_every_drive_its_mount_age_and_the_pools()
    {
        Prepare();

        var (code, output, error) = Run();

        Assert.Equal((0, ""), (code, error));
        var lines = output.Split('\n');
        Assert.Equal("DRIVE  MODEL  STATE     VOLUME        FOR  SINCE", lines[0]);
        Assert.Equal("0580   3490   empty     -               -  -", lines[1]);
        Assert.Equal("0581   3490   loaded    P00001   00:05:00  2026-11-27 12:00:02Z", lines[2]);
        Assert.Equal("0586   3490   mounting  T00000   00:05:00  2026-11-27 12:00:02Z", lines[7]);
        Assert.Equal(9, lines.TakeWhile(l => l.Length > 0).Count()); // header + 8 drives
        Assert.Contains("PRIV                     0         2         1         3", output, StringComparison.Ordinal);
        Assert.Contains("SCRATCH                  9         0         1        10", output, StringComparison.Ordinal);
        Assert.EndsWith("8 drives, 2 with a volume, 13 volumes in 2 pools\n", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_has_drives_with_their_mounts_and_pool_counts()
    {
        Prepare();

        var (code, output, _) = Run("--json");

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output);
        var drives = json.RootElement.GetProperty("drives").EnumerateArray().ToList();
        Assert.Equal(8, drives.Count);
        var loaded = drives.Single(d => d.GetProperty("device").GetString() == "0581");
        Assert.Equal(("loaded", "P00001"), (loaded.GetProperty("state").GetString(), loaded.GetProperty("volser").GetString()));
        Assert.Equal("2026-11-27T12:00:02Z", loaded.GetProperty("since").GetString());
        var mounting = drives.Single(d => d.GetProperty("device").GetString() == "0586");
        Assert.Equal(("mounting", "T00000"), (mounting.GetProperty("state").GetString(), mounting.GetProperty("volser").GetString()));
        Assert.Equal(JsonValueKind.Null, drives[0].GetProperty("since").ValueKind);
        Assert.Equal(JsonValueKind.Null, drives[0].GetProperty("volser").ValueKind);
        var pools = json.RootElement.GetProperty("pools").EnumerateArray()
            .Select(p => (p.GetProperty("pool").GetString(), p.GetProperty("scratch").GetInt64(), p.GetProperty("mounted").GetInt64(), p.GetProperty("volumes").GetInt64()));
        Assert.Equal([("PRIV", 0L, 1L, 3L), ("SCRATCH", 9L, 1L, 10L)], pools);
    }

    [Fact]
    public void Without_a_catalog_it_says_so()
    {
        var missing = Path.Combine(_directory.Path, "none");
        var (code, _, error) = Ctape.Run(_time, "status", "--data", missing);

        Assert.Equal(1, code);
        Assert.Equal($"ctape status: no catalog in {missing} (add volumes first, or give --data DIR)\n", error);
    }
}
