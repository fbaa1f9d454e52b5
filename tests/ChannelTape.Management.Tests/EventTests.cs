using ChannelTape.Admin.Lms;
using ChannelTape.Channel;
using ChannelTape.Client;
using ChannelTape.Hosting;
using ChannelTape.Library.Configuration;
using ChannelTape.Runtime.Events;
using ChannelTape.Testing;

namespace ChannelTape.Management.Tests;

/// <summary>What a guest does that an operator must hear of is one typed event, with drive, volume, host and outcome.</summary>
public sealed class EventTests : IAsyncLifetime
{
    private LibraryServer _server = null!;
    private string _root = null!;

    public Task InitializeAsync()
    {
        _root = Directory.CreateTempSubdirectory("ctape-events-").FullName;
        var result = ConfigurationParser.ParseText(ConfigurationParser.DefaultText, "ops.conf", _root);
        _server = LibraryServer.Start(result.Configuration!);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private RemoteDevice Connect(ushort device) =>
        RemoteDevice.Connect("127.0.0.1", _server.EndPoint.Port, device, new RemoteDeviceOptions { Reconnect = false, HostName = "MVS1" });

    [Fact]
    public void A_scratch_mount_says_which_volume_of_which_pool_the_host_got_and_from_which_host()
    {
        using var device = Connect(0x0584);
        using var session = new DriveSession(device);

        session.Mount("SCRTCH", EventRecorder.Patience);

        var allocated = _server.Recorder.WaitFor<ScratchAllocated>();
        var mounted = _server.Recorder.WaitFor<VolumeMounted>();
        Assert.Equal((0x0584, "SCRTCH", "SCRATCH", "127.0.0.1"), (allocated.DeviceNumber, allocated.Request, allocated.Pool, allocated.Host));
        Assert.Equal((allocated.Volume, MountSource.LoadDisplay, "127.0.0.1"), (mounted.Volume, mounted.Source, mounted.Host));
        Assert.Equal($"drive 0584: {allocated.Volume} mounted R/W (LoadDisplay, host 127.0.0.1)", mounted.Message);
    }

    [Fact]
    public void A_unit_check_is_published_with_its_sense_and_Rewind_Unloads_own_is_not()
    {
        using var device = Connect(0x0585);
        using var session = new DriveSession(device);

        var read = device.Execute(new CcwRequest(0x02, CcwFlags.SuppressLength, CcwFlags.None, 80, 0, 0), new byte[80]);

        Assert.True((read.Status & UnitStatus.UnitCheck) != 0);
        var check = _server.Recorder.WaitFor<UnitCheckPresented>();
        Assert.Equal((0x0585, (byte)0x02, (string?)null, "127.0.0.1"), (check.DeviceNumber, check.Command, check.Volume, check.Host));
        Assert.Equal(Convert.ToHexString(device.Sense), check.SenseHex);
        Assert.Contains("intervention required", check.Message, StringComparison.Ordinal);

        session.Mount("T00050", EventRecorder.Patience);
        session.Unload();
        _server.Recorder.WaitFor<VolumeUnloaded>(e => e.Volume == "T00050");
        Assert.Single(_server.Recorder.All<UnitCheckPresented>());
    }

    [Fact]
    public async Task Passing_the_end_of_tape_marker_is_said_once_per_mount()
    {
        var root = Directory.CreateTempSubdirectory("ctape-eot-").FullName;
        var result = ConfigurationParser.ParseText("""
            storage { root "data"; }
            drive 0580 { pool SMALL; }
            pool SMALL { volumes S00000; capacity 256K; labels NL; }
            """, "eot.conf", root);
        await using var server = LibraryServer.Start(result.Configuration!);
        using var device = RemoteDevice.Connect("127.0.0.1", server.EndPoint.Port, 0x0580, new RemoteDeviceOptions { Reconnect = false });
        using var session = new DriveSession(device);
        session.Mount("S00000", EventRecorder.Patience);

        var block = new byte[16_000];
        int exceptions = 0;
        for (int i = 0; i < 200 && exceptions < 3; i++)
        {
            var write = device.Execute(new CcwRequest(0x01, CcwFlags.None, CcwFlags.None, block.Length, 0, 0), block);
            if ((write.Status & UnitStatus.UnitException) != 0)
            {
                exceptions++;
            }
        }

        Assert.Equal(3, exceptions);
        var eot = server.Recorder.WaitFor<EndOfTapeReached>();
        Assert.Equal((0x0580, "S00000", (byte)0x01, "127.0.0.1"), (eot.DeviceNumber, eot.Volume, eot.Command, eot.Host));
        Assert.Single(server.Recorder.All<EndOfTapeReached>());
        Directory.Delete(root, recursive: true);
    }

    [Theory]
    [InlineData("0.0.0.0:8080", false, null, null, null, "0.0.0.0:8080", "Information", "Text", null)]
    [InlineData(null, true, null, "debug", "json", null, "Debug", "Json", null)]
    [InlineData("localhost:80", false, null, null, null, null, null, null, "--http wants ADDR:PORT, got 'localhost:80'")]
    [InlineData("127.0.0.1:1", true, null, null, null, null, null, null, "--http and --no-http contradict each other")]
    [InlineData(null, false, null, "loud", null, null, null, null, "--log-level wants one of trace, debug, info, warning, error, got 'loud'")]
    [InlineData(null, false, null, null, "xml", null, null, null, "--log-format wants text or json, got 'xml'")]
    public void Serve_options_override_the_configuration(string? http, bool noHttp, string? secret, string? level, string? format,
        string? expectedHttp, string? expectedLevel, string? expectedFormat, string? error)
    {
        var configuration = ConfigurationParser.LoadDefault();

        var applied = ServeOverrides.TryApply(configuration, http, noHttp, secret, level, format, out var result, out var message);

        Assert.Equal(error is null, applied);
        Assert.Equal(error, message);
        if (applied)
        {
            Assert.Equal(expectedHttp, result.Management.Http?.ToString());
            Assert.Equal((expectedLevel, expectedFormat), (result.Log.Level.ToString(), result.Log.Format.ToString()));
        }
    }

    [Fact]
    public void The_JSON_log_carries_the_event_fields_with_device_numbers_as_hex_text()
    {
        var state = new TapeEventLogState(new MountRefused(0x0580, "T00001", MountSource.LoadDisplay,
            new Runtime.VolumeRefusal(Runtime.VolumeRefusalReason.VolumeMounted, "volume T00001 is mounted on drive 0581"), Pending: true) { Host = "10.0.0.5" });

        var fields = state.ToDictionary(f => f.Key, f => f.Value);

        Assert.Equal("MountRefused", fields["event"]);
        Assert.Equal("0580", fields["drive"]);
        Assert.Equal("T00001", fields["request"]);
        Assert.Equal("LoadDisplay", fields["source"]);
        Assert.Equal("VolumeMounted", fields["refusalReason"]);
        Assert.Equal(true, fields["pending"]);
        Assert.Equal("10.0.0.5", fields["host"]);
        Assert.Equal(state.Event.Message, fields["{OriginalFormat}"]);
    }
}
