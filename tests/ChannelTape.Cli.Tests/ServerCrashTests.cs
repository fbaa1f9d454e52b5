using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ChannelTape.Admin.Lms;
using ChannelTape.Admin.Reports;
using ChannelTape.Client;
using ChannelTape.Labels;
using ChannelTape.Library;
using ChannelTape.Library.Catalog;
using ChannelTape.Text;

namespace ChannelTape.Cli.Tests;

/// <summary>
/// Issue 4: <c>kill -9</c> of <c>ctape serve</c> while a host writes loses nothing up to the last
/// tape mark, and after a restart the catalog agrees with the images.
/// </summary>
public sealed class ServerCrashTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ctape-crash-").FullName;
    private Process? _server;

    public void Dispose()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill();
            _server.WaitForExit();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Kill_9_while_writing_loses_nothing_up_to_the_last_tape_mark_and_the_catalog_agrees_after_restart()
    {
        string config = Path.Combine(_root, "crash.conf");
        File.WriteAllText(config, $$"""
            storage { root "{{Path.Combine(_root, "data")}}"; format aws; }
            drive 0580-0581 { model 3490; media 3490E; pool SCRATCH; }
            pool SCRATCH { volumes T00000-T00009; media 3490E; capacity 10M; labels SL; scratch; }
            """);
        int port = StartServer(config);

        using (var device = RemoteDevice.Connect("127.0.0.1", port, 0x0580, new RemoteDeviceOptions { Reconnect = false }))
        using (var session = new DriveSession(device))
        {
            session.Mount("T00004", TimeSpan.FromSeconds(10));
            Span<byte> vol1 = stackalloc byte[80];
            Assert.Equal(BlockReadOutcome.Block, session.ReadBlock(vol1, out _));
            var hdr1 = new DataSetLabel1(DataSetLabelKind.Header, "CRASH.TEST", "T00004");
            var hdr2 = new DataSetLabel2(DataSetLabelKind.Header, 'F', 4000, 80);
            session.WriteBlock(hdr1.ToBytes());
            session.WriteBlock(hdr2.ToBytes());
            session.WriteTapeMarks(1);
            for (int i = 0; i < 5; i++)
            {
                session.WriteBlock(Ebcdic.GetBytes($"BLOCK {i}".PadRight(4000)));
            }

            session.WriteTapeMarks(1); // everything up to here must survive
            _server!.Kill(); // SIGKILL: no flush, no close, the mount stays open in the catalog
            _server.WaitForExit();
        }

        port = StartServer(config);
        var catalog = LibraryCatalog.Open(Path.Combine(_root, "data"));
        var volume = catalog.FindVolume(VolumeSerial.Parse("T00004"))!;
        Assert.Null(volume.MountedOn);
        Assert.NotEqual(VolumeStatus.Mounted, volume.Status);
        Assert.Equal(5, volume.Blocks);
        Assert.Equal("CRASH.TEST", volume.DataSetName);
        Assert.Equal(new FileInfo(catalog.Layout.ImagePath(volume)).Length, volume.BytesUsed);
        Assert.All(catalog.MountHistory(VolumeSerial.Parse("T00004")), m => Assert.NotNull(m.UnmountedAt));

        using (var device = RemoteDevice.Connect("127.0.0.1", port, 0x0581, new RemoteDeviceOptions { Reconnect = false }))
        using (var session = new DriveSession(device))
        {
            session.Mount("T00004", TimeSpan.FromSeconds(10));
            var buffer = new byte[65535];
            var seen = new List<string>();
            for (int i = 0; i < 10; i++)
            {
                var outcome = session.ReadBlock(buffer, out int length);
                seen.Add(outcome == BlockReadOutcome.TapeMark ? "TM" : Ebcdic.GetString(buffer.AsSpan(0, Math.Min(length, 10))).TrimEnd());
            }

            Assert.Equal(["VOL1T00004", "HDR1CRASH.", "HDR2F04000", "TM", "BLOCK 0", "BLOCK 1", "BLOCK 2", "BLOCK 3", "BLOCK 4", "TM"], seen);
            session.Unload();
        }
    }

    private int StartServer(string config)
    {
        (_server, var port) = ServeProcess.Start(config, _root, TimeSpan.FromSeconds(60));
        return port;
    }
}
