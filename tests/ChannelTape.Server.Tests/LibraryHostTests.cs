using ChannelTape.Channel;
using ChannelTape.Client;
using ChannelTape.Library.Configuration;
using ChannelTape.Media;
using ChannelTape.Protocol;
using ChannelTape.Hosting;
using ChannelTape.Runtime;
using ChannelTape.Runtime.Events;
using ChannelTape.Testing;

namespace ChannelTape.Server.Tests;

/// <summary>
/// The real drives behind the server as <c>ctape serve</c> builds them (<see cref="LibraryHost"/>): the embedded
/// default configuration, TapeDrive and image files.
/// </summary>
public sealed class LibraryHostTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ctape-serve-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Default_configuration_serves_3490s_0580_to_0587_that_write_and_read_an_image()
    {
        await using var served = Start();
        var (server, drives, log) = (served.Host.Server, served.Host, served.Recorder);
        var image = Path.Combine(_directory, "scratch.aws");
        Assert.True(TapeImage.TryCreate(image, TapeImageFormat.Aws, new TapeImageOptions(), out var created, out _));
        created!.Dispose();

        Assert.Equal(Enumerable.Range(0x0580, 8).Select(n => (ushort)n), drives.Drives.Select(d => d.DeviceNumber).Order());
        using var device = RemoteDevice.Connect("127.0.0.1", server.LocalEndPoint.Port, 0x0583, new() { DeviceArguments = image, Model = 0x3490 });
        Assert.Equal([0xFF, 0x34, 0x90, 0x50, 0x34, 0x90, 0x50], device.Identity.SenseId);
        Assert.Equal(32, device.Identity.SenseCount);
        Assert.True(device.IsImmediate(0x07));
        Assert.Equal("scratch.aws [1:00000000] IBM 3490 R/W", device.Query());

        var block = Enumerable.Range(0, 32 * 1024).Select(i => (byte)i).ToArray();
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(device, 0x01, block.ToArray(), 0).Status);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(device, 0x07, new byte[1], 1).Status);
        var buffer = new byte[block.Length];
        Assert.Equal(new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0), Run(device, 0x02, buffer, 0));
        Assert.Equal(block, buffer);
        var senseId = new byte[7];
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(device, 0xE4, senseId, 0).Status);
        Assert.Equal(device.Identity.SenseId, senseId);

        // A count above the drive's 65535 is the drive's to answer; the connection stays.
        var big = Run(device, 0x02, new byte[70_000], 0);
        Assert.Equal(UnitStatus.ChannelEnd, big.Status & UnitStatus.ChannelEnd);
        Assert.True(device.IsConnected);
        Assert.DoesNotContain(log.All<ConnectionClosed>(), e => e.Cause == CloseCause.ProtocolError);

        Assert.Equal(MountResult.Done, device.Mount("*").Result);
        Assert.Equal("* (unloaded)", device.Query());
        var notReady = Run(device, 0x02, buffer, 0);
        Assert.Equal(UnitStatus.UnitCheck, notReady.Status & UnitStatus.UnitCheck);
        Assert.Equal(0x40, device.Sense[0] & 0x40);
        Assert.Equal(MountResult.Refused, device.Mount(Path.Combine(_directory, "missing.aws")).Result);
        var refused = log.WaitFor<MountRefused>(e => e.DeviceNumber == 0x0583);
        Assert.Equal(VolumeRefusalReason.CannotOpen, refused.Refusal.Reason);
    }

    [Fact]
    public async Task Mount_by_volser_goes_through_the_library_and_shutdown_closes_the_volume()
    {
        await using var served = Start();
        var (server, drives) = (served.Host.Server, served.Host);
        using var device = RemoteDevice.Connect("127.0.0.1", server.LocalEndPoint.Port, 0x0580);

        var reply = device.Mount("T00001");

        Assert.Equal(MountResult.Done, reply.Result);
        Assert.StartsWith("T00001 [1:00000000] IBM 3490 R/W", device.Query());
        var vol1 = new byte[80];
        Assert.Equal(new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0), Run(device, 0x02, vol1, 0));
        Assert.Equal("VOL1T00001", new string(vol1.AsSpan(0, 10).ToArray().Select(Text.Ebcdic.ToChar).ToArray()));
        await server.StopAsync();
        Assert.All(drives.Drives, d => Assert.False(d.Drive.IsLoaded));
        Assert.Null(drives.Catalog.FindVolume(Labels.VolumeSerial.Parse("T00001"))!.MountedOn); // given back to the catalog
    }

    [Theory]
    [InlineData("PRIVAT")]
    [InlineData("SCRTCH")]
    public async Task An_operator_mount_of_a_non_specific_request_takes_a_scratch_volume_of_the_drives_pool(string word)
    {
        // What an operator (or Hercules' automatic operator) types for IEF233A M 0581,PRIVAT: devinit 0581 PRIVAT.
        await using var served = Start();
        var server = served.Host.Server;
        using var device = RemoteDevice.Connect("127.0.0.1", server.LocalEndPoint.Port, 0x0581);

        var reply = device.Mount(word);

        Assert.Equal(MountResult.Done, reply.Result);
        var allocated = served.Recorder.WaitFor<ScratchAllocated>(e => e.DeviceNumber == 0x0581);
        Assert.Equal("SCRATCH", allocated.Pool);
        Assert.StartsWith(allocated.Volume + " ", device.Query(), StringComparison.Ordinal);
        var vol1 = new byte[80];
        Assert.Equal(new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0), Run(device, 0x02, vol1, 0));
        Assert.Equal("VOL1" + allocated.Volume, new string(vol1.AsSpan(0, 10).ToArray().Select(Text.Ebcdic.ToChar).ToArray()));
    }

    [Theory]
    [InlineData("#DRIVE")]
    [InlineData("#VOLS")]
    [InlineData("#CMD")]
    public async Task An_operator_mount_of_an_administrative_name_mounts_that_volume_even_when_shorter_than_six(string name)
    {
        // What the automatic operator types for IEF233A M 0580,#VOLS (VOL=SER=#VOLS in an OS's JCL): devinit 0580 "#VOLS".
        await using var served = Start();
        using var device = RemoteDevice.Connect("127.0.0.1", served.Host.Server.LocalEndPoint.Port, 0x0580);

        var reply = device.Mount(name);

        Assert.Equal(MountResult.Done, reply.Result);
        var vol1 = new byte[80];
        Assert.Equal(new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0), Run(device, 0x02, vol1, 0));
        Assert.Equal("VOL1" + name.PadRight(6), new string(vol1.AsSpan(0, 10).ToArray().Select(Text.Ebcdic.ToChar).ToArray()));
    }

    [Fact]
    public async Task A_mount_right_after_the_hosts_rewind_unload_takes_the_volume_again()
    {
        // OS/VS1 unloads at the end of a step and asks for the same volume in the next; the automatic operator's
        // devinit comes within milliseconds, before the library had given the volume back.
        await using var served = Start();
        using var device = RemoteDevice.Connect("127.0.0.1", served.Host.Server.LocalEndPoint.Port, 0x0580);
        Assert.Equal(MountResult.Done, device.Mount("T00001").Result);

        for (var round = 0; round < 20; round++)
        {
            Run(device, 0x0F, new byte[1], 0);                      // Rewind Unload
            var again = device.Mount("T00001");

            Assert.True(again.Result == MountResult.Done, $"round {round}: {again.Message}");
        }
    }

    [Fact]
    public async Task A_second_server_on_the_same_data_folder_refuses_to_start_and_names_the_holder()
    {
        var configuration = ConfigurationParser.LoadDefault();
        configuration = configuration with { Storage = configuration.Storage with { Root = Path.Combine(_directory, "data") } };
        await using (var first = Start())
        {
            Assert.False(LibraryHost.TryBuild(configuration, new LibraryHostOptions(), out var second, out var error));
            Assert.Null(second);
            Assert.Contains(configuration.Storage.Root, error, StringComparison.Ordinal);
            Assert.Contains($"(process {Environment.ProcessId})", error, StringComparison.Ordinal);
        }

        // Stopped, the first lets go of the folder: a new server starts there.
        Assert.True(LibraryHost.TryBuild(configuration, new LibraryHostOptions(), out var again, out var why), why);
        await again.DisposeAsync();
    }

    private LibraryServer Start()
    {
        var configuration = ConfigurationParser.LoadDefault();
        return LibraryServer.Start(configuration with { Storage = configuration.Storage with { Root = Path.Combine(_directory, "data") } });
    }

    private static CcwResult Run(RemoteDevice device, byte command, byte[] buffer, int sequence) =>
        device.Execute(new CcwRequest(command, CcwFlags.None, CcwFlags.None, buffer.Length, 0, sequence), buffer);
}
