using System.Text.Json;
using ChannelTape.Client;
using ChannelTape.Library.Configuration;
using ChannelTape.Testing;

namespace ChannelTape.Cli.Tests;

/// <summary>
/// <c>ctape status</c>, <c>volume ... --server</c>, <c>mount</c> and <c>unload --server</c> through the management
/// API the server announces in its HelloReply (issue 10, item 2): they work while hosts hold every drive, which
/// the in-band path (a free drive) cannot.
/// </summary>
public sealed class ManagementPathTests : IAsyncLifetime
{
    private const string Secret = "a-shared-secret-of-32-characters";

    private readonly string _root = Directory.CreateTempSubdirectory("ctape-mgmt-path-").FullName;
    private readonly List<RemoteDevice> _held = [];
    private LibraryServer _served = null!;
    private string _server = "";

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var device in _held)
        {
            device.Dispose();
        }

        await _served.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private void Start(bool secret = false)
    {
        string security = "";
        if (secret)
        {
            File.WriteAllText(Path.Combine(_root, "secret"), Secret + "\n");
            security = "security { secret-file \"secret\"; }";
        }

        var result = ConfigurationParser.ParseText($$"""
            storage { root "{{Path.Combine(_root, "data")}}"; format aws; }
            drive 0580-0583 { model 3490; media 3490E; pool SCRATCH; }
            pool SCRATCH { volumes T00000-T00009; media 3490E; capacity 10M; labels SL; scratch; }
            pool PRIV { volumes P00000-P00004; media 3490E; capacity 10M; labels SL; }
            {{security}}
            """, "mgmt.conf", _root);
        Assert.Empty(result.Errors);
        _served = LibraryServer.Start(result.Configuration!, management: true);
        _server = _served.EndPoint.ToString();
    }

    /// <summary>Attaches every drive, as a Hercules that holds 0580-0583 does.</summary>
    private void HoldEveryDrive(string? secretFile = null)
    {
        for (ushort device = 0x0580; device <= 0x0583; device++)
        {
            _held.Add(RemoteDevice.Connect("127.0.0.1", _served.EndPoint.Port, device,
                new RemoteDeviceOptions { HostName = "hercules", Reconnect = false, SecretFile = secretFile }));
        }
    }

    [Fact]
    public void The_HelloReply_announces_the_management_API()
    {
        Start();

        var reply = ServerGreeting.Greet("127.0.0.1", _served.EndPoint.Port, new RemoteDeviceOptions { Reconnect = false, SecretFile = null });

        Assert.Equal(_served.ManagementAddress.ToString(), reply.ManagementAddress);
    }

    [Fact]
    public void Status_lists_every_drive_while_hosts_hold_them_all()
    {
        Start();
        HoldEveryDrive();

        var (exit, output, error) = Ctape.Run("status", "--server", _server, "--json");

        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var drives = json.RootElement.GetProperty("drives").EnumerateArray().Select(d => d.GetProperty("device").GetString()).ToList();
        Assert.Equal(["0580", "0581", "0582", "0583"], drives);
        var pools = json.RootElement.GetProperty("pools").EnumerateArray().ToDictionary(p => p.GetProperty("pool").GetString()!, p => p.GetProperty("volumes").GetInt64());
        Assert.Equal(10, pools["SCRATCH"]);
        Assert.Equal(5, pools["PRIV"]);
        Assert.Equal("", error);
    }

    [Fact]
    public void Volume_commands_list_show_and_change_the_catalog_while_every_drive_is_held()
    {
        Start();
        HoldEveryDrive();

        var (exit, output, error) = Ctape.Run("volume", "list", "--server", _server, "--pool", "PRIV", "--json");
        Assert.True(exit == 0, error);
        using (var json = JsonDocument.Parse(output))
        {
            Assert.Equal(["P00000", "P00001", "P00002", "P00003", "P00004"], json.RootElement.EnumerateArray().Select(v => v.GetProperty("volser").GetString()));
        }

        (exit, output, error) = Ctape.Run("volume", "scratch", "P00001", "P00002", "--server", _server);
        Assert.True(exit == 0, error);
        Assert.Contains("SCRATCH P00002: done", output, StringComparison.Ordinal);
        (exit, _, error) = Ctape.Run("volume", "move", "T00009", "--pool", "PRIV", "--server", _server);
        Assert.True(exit == 0, error);
        (exit, _, error) = Ctape.Run("volume", "add", "P00005-P00006", "--pool", "PRIV", "--server", _server);
        Assert.True(exit == 0, error);

        Assert.Equal(Library.Catalog.VolumeStatus.Scratch, _served.Host.Catalog.FindVolume(Labels.VolumeSerial.Parse("P00002"))!.Status);
        Assert.Equal("PRIV", _served.Host.Catalog.FindVolume(Labels.VolumeSerial.Parse("T00009"))!.Pool);
        Assert.NotNull(_served.Host.Catalog.FindVolume(Labels.VolumeSerial.Parse("P00006")));

        (exit, output, error) = Ctape.Run("volume", "show", "T00009", "--server", _server, "--json");
        Assert.True(exit == 0, error);
        using (var json = JsonDocument.Parse(output))
        {
            Assert.Equal("PRIV", json.RootElement.GetProperty("pool").GetString());
        }

        (exit, _, error) = Ctape.Run("volume", "show", "ZZZZZZ", "--server", _server);
        Assert.Equal(1, exit);
        Assert.Contains("no such volume", error, StringComparison.Ordinal);

        // A refusal of one volume says why and leaves the others changed, as offline.
        (exit, output, error) = Ctape.Run("volume", "unscratch", "P00001", "NOSUCH", "--server", _server);
        Assert.Equal(1, exit);
        Assert.Contains("UNSCRATCH P00001: done", output, StringComparison.Ordinal);
        Assert.Contains("UNSCRATCH NOSUCH: not done", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Mount_and_unload_reach_a_drive_a_host_holds()
    {
        Start();
        HoldEveryDrive();

        var (exit, output, error) = Ctape.Run("mount", "0581", "P00003", "ro", "--server", _server);

        Assert.True(exit == 0, error);
        Assert.StartsWith("0581: ", output, StringComparison.Ordinal);
        var drive = _served.Host.Drive(0x0581);
        Assert.True(drive.Drive.IsLoaded);
        Assert.True(drive.Drive.Media!.IsReadOnly);
        Assert.Equal(Library.Catalog.VolumeStatus.Mounted, _served.Host.Catalog.FindVolume(Labels.VolumeSerial.Parse("P00003"))!.Status);

        (exit, _, error) = Ctape.Run("mount", "0582", "P00003", "--server", _server);
        Assert.Equal(1, exit);
        Assert.Contains("P00003", error, StringComparison.Ordinal);

        (exit, output, error) = Ctape.Run("unload", "0581", "--server", _server);
        Assert.True(exit == 0, error);
        Assert.Equal("0581: empty", output.Trim());
        Assert.False(drive.Drive.IsLoaded);
        Assert.NotEqual(Library.Catalog.VolumeStatus.Mounted, _served.Host.Catalog.FindVolume(Labels.VolumeSerial.Parse("P00003"))!.Status);
    }

    [Fact]
    public void With_a_secret_the_commands_prove_it_on_the_wire_and_send_it_to_the_API()
    {
        Start(secret: true);
        var secretFile = Path.Combine(_root, "secret");
        HoldEveryDrive(secretFile);

        var (exit, _, error) = Ctape.Run("status", "--server", _server);
        Assert.Equal(1, exit);
        Assert.Contains("--secret-file", error, StringComparison.Ordinal);

        (exit, var output, error) = Ctape.Run("status", "--server", _server, "--secret-file", secretFile, "--json");
        Assert.True(exit == 0, error);
        Assert.Contains("\"0583\"", output, StringComparison.Ordinal);

        (exit, _, error) = Ctape.Run("volume", "scratch", "P00004", "--server", _server, "--secret-file", secretFile);
        Assert.True(exit == 0, error);

        // The API asked directly: the token is what makes a write go through.
        (exit, _, error) = Ctape.Run("volume", "unscratch", "P00004", "--server", _server, "--api", _served.ManagementAddress.ToString());
        Assert.Equal(1, exit);
        Assert.Equal(Library.Catalog.VolumeStatus.Scratch, _served.Host.Catalog.FindVolume(Labels.VolumeSerial.Parse("P00004"))!.Status);
    }
}
