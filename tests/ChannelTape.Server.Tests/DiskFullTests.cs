using System.Diagnostics;
using ChannelTape.Channel;
using ChannelTape.Client;
using ChannelTape.Hosting;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Protocol;
using ChannelTape.Runtime.Events;
using ChannelTape.Testing;

namespace ChannelTape.Server.Tests;

/// <summary>
/// Issue 13, item 6: a full disk refuses a mount with a clear error instead of dropping the connection,
/// and an unload on a full disk leaves a catalog that matches the drives. The library lives on a small
/// tmpfs this test mounts (it runs as root, as the suite does on Debian; elsewhere it says so and stops).
/// </summary>
public sealed class DiskFullTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ctape-full-").FullName;
    private readonly bool _mounted;

    public DiskFullTests()
    {
        _mounted = Sh($"mount -t tmpfs -o size=12m ctape-full '{_root}'") == 0;
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (_mounted)
        {
            Sh($"umount -l '{_root}'");
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task A_full_disk_refuses_a_mount_with_the_reason_and_the_connection_goes_on()
    {
        Assert.True(_mounted, "this test needs to mount a tmpfs (root)");
        await using var served = Start();
        using var device = RemoteDevice.Connect("127.0.0.1", served.EndPoint.Port, 0x0580);
        Fill();

        var reply = device.Mount("T00005");

        Assert.Equal(MountResult.Refused, reply.Result);
        Assert.Contains("is full", reply.Message, StringComparison.Ordinal);
        Assert.True(device.IsConnected);
        Assert.Equal("* (unloaded)", device.Query());
        Assert.False(File.Exists(Path.Combine(_root, "data", "volumes", "T00005.aws")) && new FileInfo(Path.Combine(_root, "data", "volumes", "T00005.aws")).Length > 0);
        var volume = served.Host.Catalog.FindVolume(Labels.VolumeSerial.Parse("T00005"))!;
        Assert.Null(volume.MountedOn);
        Assert.Equal(VolumeStatus.Scratch, volume.Status);
        Assert.Equal(Runtime.VolumeRefusalReason.DiskFull, served.Recorder.WaitFor<MountRefused>().Refusal.Reason);
    }

    [Fact]
    public async Task An_unload_on_a_full_disk_leaves_a_catalog_that_matches_the_drives()
    {
        Assert.True(_mounted, "this test needs to mount a tmpfs (root)");
        await using var served = Start();
        using var device = RemoteDevice.Connect("127.0.0.1", served.EndPoint.Port, 0x0580);
        Assert.Equal(MountResult.Done, device.Mount("T00001").Result);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(device, 0x01, new byte[4096], 0).Status);
        Fill();

        Run(device, 0x0F, new byte[1], 0); // Rewind Unload on a full disk

        SpinWait.SpinUntil(() => served.Host.Catalog.FindVolume(Labels.VolumeSerial.Parse("T00001"))!.MountedOn is null, TimeSpan.FromSeconds(10));
        var volume = served.Host.Catalog.FindVolume(Labels.VolumeSerial.Parse("T00001"))!;
        Assert.Null(volume.MountedOn);
        Assert.NotEqual(VolumeStatus.Mounted, volume.Status);
        Assert.All(served.Host.Catalog.ListDrives(), d => Assert.Equal(DriveState.Empty, d.State));
        Assert.False(served.Host.Drive(0x0580).Drive.IsLoaded);
        served.Recorder.WaitFor<CatalogReserveUsed>();
        Assert.True(device.IsConnected);
    }

    private LibraryServer Start()
    {
        var result = ConfigurationParser.ParseText($$"""
            storage { root "{{Path.Combine(_root, "data")}}"; }
            drive 0580-0581 { pool SCRATCH; }
            pool SCRATCH { volumes T00000-T00009; capacity 1M; }
            """, "full.conf", _root);
        Assert.Empty(result.Errors);
        return LibraryServer.Start(result.Configuration!, tempImageFolder: false);
    }

    /// <summary>Fills the file system to the last byte.</summary>
    private void Fill()
    {
        using var filler = File.OpenHandle(Path.Combine(_root, "filler"), FileMode.Create, FileAccess.Write);
        long offset = 0;
        foreach (var size in new[] { 64 * 1024, 4096, 512, 1 })
        {
            var chunk = new byte[size];
            try
            {
                while (true)
                {
                    RandomAccess.Write(filler, chunk, offset);
                    offset += size;
                }
            }
            catch (IOException)
            {
                // Full at this size; on with smaller pieces.
            }
        }
    }

    private static CcwResult Run(RemoteDevice device, byte command, byte[] buffer, int sequence) =>
        device.Execute(new CcwRequest(command, CcwFlags.None, CcwFlags.None, buffer.Length, 0, sequence), buffer);

    private static int Sh(string command)
    {
        try
        {
            var start = new ProcessStartInfo("sh") { RedirectStandardError = true, RedirectStandardOutput = true };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(command);
            using var process = Process.Start(start)!;
            process.WaitForExit();
            return process.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return -1;
        }
    }
}
