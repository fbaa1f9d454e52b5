using System.Diagnostics;
using ChannelTape.Admin.Lms;
using ChannelTape.Admin.Reports;
using ChannelTape.Client;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Store;
using ChannelTape.Media;
using ChannelTape.Runtime;
using ChannelTape.Text;

namespace ChannelTape.Cli.Tests;

/// <summary>
/// Two servers sharing one library on the real engines (issue 12, item 4): a PostgreSQL catalog and a Ceph
/// RGW bucket that <c>.ci/run</c> starts. Skipped, saying why, when they are not there.
/// </summary>
public sealed class SharedLibraryTests : IDisposable
{
    private static readonly TimeSpan s_patience = TimeSpan.FromSeconds(60);
    private readonly string _root = Directory.CreateTempSubdirectory("ctape-shared-").FullName;
    private readonly string _catalog = SharedEngines.Postgres is null ? "" : SharedEngines.NewDatabase();
    private readonly string _bucket = SharedEngines.NewBucket();
    private readonly List<Process> _servers = [];

    public void Dispose()
    {
        foreach (var server in _servers.Where(s => !s.HasExited))
        {
            server.Kill();
            server.WaitForExit();
        }

        Directory.Delete(_root, recursive: true);
    }

    private string Config(string server, int lease = 30, string volumes = "T00000-T00019", string capacity = "50M") =>
        WriteConfig(server, $$"""
            storage {
                root "{{Path.Combine(_root, server)}}"; format aws;
                catalog "{{_catalog}}"; store "s3://{{_bucket}}/lib"; s3-endpoint "{{SharedEngines.S3Endpoint}}";
                server "{{server}}"; lease {{lease}};
            }
            drive 0580-0583 { model 3490; media 3490E; pool SCRATCH; }
            pool SCRATCH { volumes {{volumes}}; media 3490E; capacity {{capacity}}; labels SL; scratch; }
            """);

    private string WriteConfig(string server, string text)
    {
        var path = Path.Combine(_root, server + ".conf");
        File.WriteAllText(path, text);
        return path;
    }

    private static LibraryConfiguration Parse(string path) => ConfigurationParser.ParseFile(path).Configuration!;

    /// <summary>An AWS image of <paramref name="serial"/> with standard labels and <paramref name="blocks"/> data blocks of <paramref name="size"/> bytes.</summary>
    private string Image(string serial, int blocks, int size = 4000)
    {
        var path = Path.Combine(_root, $"{serial}-{Guid.NewGuid():N}.aws");
        Assert.True(TapeImage.TryCreate(path, TapeImageFormat.Aws, new TapeImageOptions(), out var media, out var error), error);
        using (media)
        {
            LabelledVolumeWriter.Initialize(media, serial, "", LabelType.Standard);
            var block = new byte[size];
            for (int i = 0; i < blocks; i++)
            {
                BitConverter.TryWriteBytes(block, i);
                Random.Shared.NextBytes(block.AsSpan(4, Math.Min(64, size - 4)));
                Assert.Equal(MediaStatus.Ok, media.Write(block));
            }

            media.WriteTapeMark();
            media.WriteTapeMark();
            media.Synchronize();
        }

        return path;
    }

    private static (int Exit, string Output, string Error) Volume(params string[] args) => Ctape.Run(["volume", .. args]);

    [SharedLibraryFact]
    public async Task A_volume_imported_through_one_server_is_exported_block_for_block_through_the_other()
    {
        await using var a = LibraryServer.Start(Parse(Config("a")));
        await using var b = LibraryServer.Start(Parse(Config("b")));
        var source = Image("T00003", 300);

        var imported = Volume("import", "T00003", source, "--replace", "--data", Path.Combine(_root, "a"));
        Assert.True(imported.Exit == 0, imported.Error);
        var exported = Path.Combine(_root, "out.aws");
        var export = Volume("export", "T00003", exported, "--data", Path.Combine(_root, "b"));
        Assert.True(export.Exit == 0, export.Error);

        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(exported));
        var volume = b.Host.Catalog.FindVolume(VolumeSerial.Parse("T00003"))!;
        Assert.NotNull(volume.Stored);
        Assert.Equal(300, volume.Blocks);
    }

    [SharedLibraryFact]
    public async Task One_volume_on_two_servers_is_refused_and_a_volume_written_through_one_is_read_through_the_other()
    {
        await using var a = LibraryServer.Start(Parse(Config("a")));
        await using var b = LibraryServer.Start(Parse(Config("b")));

        using (var deviceA = RemoteDevice.Connect("127.0.0.1", a.EndPoint.Port, 0x0580, new RemoteDeviceOptions { Reconnect = false }))
        using (var sessionA = new DriveSession(deviceA))
        {
            sessionA.Mount("T00005", s_patience);
            var refused = OperatorMount(b, 0x0581, "T00005");
            Assert.False(refused.Done);
            Assert.Contains("server a", refused.Message, StringComparison.Ordinal);

            Span<byte> vol1 = stackalloc byte[80];
            Assert.Equal(BlockReadOutcome.Block, sessionA.ReadBlock(vol1, out _));
            sessionA.WriteBlock(new DataSetLabel1(DataSetLabelKind.Header, "SHARED.TEST", "T00005").ToBytes());
            sessionA.WriteBlock(new DataSetLabel2(DataSetLabelKind.Header, 'F', 4000, 80).ToBytes());
            sessionA.WriteTapeMarks(1);
            for (int i = 0; i < 20; i++)
            {
                sessionA.WriteBlock(Ebcdic.GetBytes($"SHARED BLOCK {i}".PadRight(4000)));
            }

            sessionA.WriteTapeMarks(2);
            sessionA.Unload();
        }

        a.Recorder.WaitFor<VolumeUploaded>(u => u.Volume == "T00005", s_patience);
        using var deviceB = RemoteDevice.Connect("127.0.0.1", b.EndPoint.Port, 0x0582, new RemoteDeviceOptions { Reconnect = false });
        using var sessionB = new DriveSession(deviceB);
        sessionB.Mount("T00005", s_patience);
        var buffer = new byte[65535];
        for (int skip = 0; skip < 3; skip++)
        {
            sessionB.ReadBlock(buffer, out _); // VOL1 HDR1 HDR2
        }

        Assert.Equal(BlockReadOutcome.TapeMark, sessionB.ReadBlock(buffer, out _));
        Assert.Equal(BlockReadOutcome.Block, sessionB.ReadBlock(buffer, out int length));
        Assert.Equal("SHARED BLOCK 0", Ebcdic.GetString(buffer.AsSpan(0, length)).TrimEnd());
        Assert.Equal("SHARED.TEST", b.Host.Catalog.FindVolume(VolumeSerial.Parse("T00005"))!.DataSetName);
    }

    [SharedLibraryFact]
    public async Task A_demount_while_the_store_is_stopped_keeps_the_volume_mounted_dirty_and_uploads_it_when_the_store_is_back()
    {
        if (SharedEngines.CephDirectory is null)
        {
            return; // set together with CTAPE_TEST_S3_ENDPOINT by .ci/run
        }

        await using var a = LibraryServer.Start(Parse(Config("a")));
        await using var b = LibraryServer.Start(Parse(Config("b")));
        using (var device = RemoteDevice.Connect("127.0.0.1", a.EndPoint.Port, 0x0580, new RemoteDeviceOptions { Reconnect = false }))
        using (var session = new DriveSession(device))
        {
            session.Mount("T00009", s_patience);
            var buffer = new byte[80];
            session.ReadBlock(buffer, out _);
            session.WriteBlock(new DataSetLabel1(DataSetLabelKind.Header, "OUTAGE", "T00009").ToBytes());
            session.WriteBlock(new DataSetLabel2(DataSetLabelKind.Header, 'F', 4000, 80).ToBytes());
            session.WriteTapeMarks(1);
            session.WriteBlock(Ebcdic.GetBytes("WRITTEN DURING THE OUTAGE".PadRight(4000)));
            session.WriteTapeMarks(2);
            SharedEngines.Gateway(running: false);
            try
            {
                session.Unload();
                a.Recorder.WaitFor<VolumeUploadDeferred>(d => d.Volume == "T00009", s_patience);
                var held = b.Host.Catalog.FindVolume(VolumeSerial.Parse("T00009"))!;
                Assert.Equal(VolumeStatus.Mounted, held.Status);
                Assert.True(held.Dirty);
                var refused = OperatorMount(b, 0x0581, "T00009");
                Assert.False(refused.Done);
            }
            finally
            {
                SharedEngines.Gateway(running: true);
            }
        }

        a.Recorder.WaitFor<VolumeUploaded>(u => u.Volume == "T00009", s_patience);
        var free = b.Host.Catalog.FindVolume(VolumeSerial.Parse("T00009"))!;
        Assert.False(free.Dirty);
        Assert.NotEqual(VolumeStatus.Mounted, free.Status);
        var exported = Path.Combine(_root, "outage.aws");
        Assert.Equal(0, Volume("export", "T00009", exported, "--data", Path.Combine(_root, "b")).Exit);
        Assert.Contains("WRITTEN DURING THE OUTAGE", Ebcdic.GetString(File.ReadAllBytes(exported)), StringComparison.Ordinal);
    }

    [SharedLibraryFact]
    public async Task Kill_9_of_one_server_gives_its_volumes_back_after_the_lease()
    {
        var configA = Config("a", lease: 3);
        int port = StartServer(configA);
        await using var b = LibraryServer.Start(Parse(Config("b", lease: 3)));
        using (var device = RemoteDevice.Connect("127.0.0.1", port, 0x0580, new RemoteDeviceOptions { Reconnect = false }))
        using (var session = new DriveSession(device))
        {
            session.Mount("T00011", s_patience);
            Assert.Equal(VolumeStatus.Mounted, b.Host.Catalog.FindVolume(VolumeSerial.Parse("T00011"))!.Status);
            _servers[0].Kill(); // SIGKILL: no lease given up, the mount left open
            _servers[0].WaitForExit();
        }

        var released = b.Recorder.WaitFor<Library.Mounts.ServerLeaseReleased>(r => r.Released.Server == "a", s_patience);
        Assert.Contains(VolumeSerial.Parse("T00011"), released.Released.VolumesReleased);
        var mounted = OperatorMount(b, 0x0581, "T00011");
        Assert.True(mounted.Done, mounted.Message);
    }

    [SharedLibraryFact]
    public async Task A_1_GB_volume_is_recalled_from_the_store_with_the_mount_in_progress_meanwhile()
    {
        await using var a = LibraryServer.Start(Parse(Config("a", capacity: "2G")));
        await using var b = LibraryServer.Start(Parse(Config("b", capacity: "2G")));
        var source = Image("T00013", 16520, size: 65000); // over 1 GiB of data blocks
        var imported = Volume("import", "T00013", source, "--replace", "--data", Path.Combine(_root, "a"));
        Assert.True(imported.Exit == 0, imported.Error);
        File.Delete(source);

        using var device = RemoteDevice.Connect("127.0.0.1", b.EndPoint.Port, 0x0580, new RemoteDeviceOptions { Reconnect = false });
        using var session = new DriveSession(device);
        session.Mount("T00013", TimeSpan.FromMinutes(5));

        var refusal = b.Recorder.WaitFor<Runtime.Events.MountRefused>(r => r.Request == "T00013");
        Assert.Equal(Runtime.VolumeRefusalReason.Recalling, refusal.Refusal.Reason);
        var recalled = b.Recorder.WaitFor<VolumeRecalled>(r => r.Volume == "T00013");
        Assert.True(recalled.Bytes > 1L << 30);
        var buffer = new byte[65535];
        for (int skip = 0; skip < 3; skip++)
        {
            session.ReadBlock(buffer, out _);
        }

        session.ReadBlock(buffer, out _); // tape mark
        Assert.Equal(BlockReadOutcome.Block, session.ReadBlock(buffer, out int length));
        Assert.Equal(65000, length);
        Assert.InRange(BitConverter.ToInt32(buffer, 0), 0, 16519); // a data block of the image, recalled whole
    }

    [SharedLibraryFact]
    public async Task Concurrent_scratch_mounts_on_the_drives_of_both_servers_never_hand_out_a_volume_twice()
    {
        // Eight drives (four per server) each take six scratch volumes one after the other, all at once:
        // 48 allocations racing for 60 volumes in one catalog. Each volume is written (so it is private
        // afterwards and cannot be handed out again) and unloaded (uploaded before the mount ends).
        const int PerDrive = 6;
        await using var a = LibraryServer.Start(Parse(Config("a", volumes: "T00000-T00059")));
        await using var b = LibraryServer.Start(Parse(Config("b", volumes: "T00000-T00059")));
        var drives = new[] { a, b }.SelectMany(server => new ushort[] { 0x0580, 0x0581, 0x0582, 0x0583 }.Select(device => (Server: server, Device: device))).ToList();
        using var start = new Barrier(drives.Count);
        var handedOut = await Task.WhenAll(drives.Select(drive => Task.Run(() =>
        {
            using var remote = RemoteDevice.Connect("127.0.0.1", drive.Server.EndPoint.Port, drive.Device, new RemoteDeviceOptions { Reconnect = false });
            using var session = new DriveSession(remote);
            var serials = new List<(string Serial, LibraryServer Server)>();
            start.SignalAndWait(s_patience);
            for (int n = 0; n < PerDrive; n++)
            {
                session.Mount("SCRTCH", s_patience);
                var vol1 = new byte[65535];
                Assert.Equal(BlockReadOutcome.Block, session.ReadBlock(vol1, out int length));
                Assert.True(Vol1Label.TryParse(vol1.AsSpan(0, length), LabelEncoding.Ebcdic, out var label));
                serials.Add((label!.VolumeSerial, drive.Server));
                session.WriteBlock(new DataSetLabel1(DataSetLabelKind.Header, $"SCRATCH.D{drive.Device:X4}", label.VolumeSerial).ToBytes());
                session.WriteBlock(new DataSetLabel2(DataSetLabelKind.Header, 'F', 80, 80).ToBytes());
                session.WriteTapeMarks(1);
                session.WriteBlock(Ebcdic.GetBytes($"{label.VolumeSerial} ON {drive.Server.Host.Catalog.ServerName} {drive.Device:X4}".PadRight(80)));
                session.WriteTapeMarks(2);
                session.Unload();
            }

            return serials;
        })));

        var all = handedOut.SelectMany(s => s).Select(h => h.Serial).ToList();
        Assert.Equal(drives.Count * PerDrive, all.Count);
        Assert.Equal(all.Count, all.Distinct(StringComparer.Ordinal).Count()); // every volume handed out once
        foreach (var (serial, server) in handedOut.SelectMany(s => s))
        {
            server.Recorder.WaitFor<VolumeUploaded>(u => u.Volume == serial, s_patience); // the mount ends after its upload
        }

        // The catalog agrees: one scratch mount per volume, made by the server whose drive read its VOL1.
        var history = a.Host.Catalog.MountHistory().Where(m => m.ScratchRequest).ToList();
        Assert.Equal(all.Count, history.Count);
        Assert.Equal(
            handedOut.SelectMany(s => s).Select(h => (h.Serial, h.Server.Host.Catalog.ServerName)).Order(),
            history.Select(m => (m.Serial.Value, m.Server)).Order());
        Assert.Equal(4 * PerDrive, history.Count(m => m.Server == "a"));
        Assert.Equal(4 * PerDrive, history.Count(m => m.Server == "b"));
        Assert.All(history, m => Assert.NotNull(m.UnmountedAt));
        var counts = Assert.Single(a.Host.Catalog.CountByPool());
        Assert.Equal((60L - all.Count, (long)all.Count, 0L), (counts.Scratch, counts.Private, counts.Mounted));
    }

    [SharedLibraryFact]
    public async Task The_object_a_new_upload_supersedes_is_deleted_from_the_bucket()
    {
        await using var a = LibraryServer.Start(Parse(Config("a")));
        await using var b = LibraryServer.Start(Parse(Config("b")));
        var serial = VolumeSerial.Parse("T00007");
        Assert.Equal(0, Volume("import", "T00007", Image("T00007", 10), "--replace", "--data", Path.Combine(_root, "a")).Exit);
        var imported = a.Host.Catalog.FindVolume(serial)!.Stored!.Key;
        Assert.Equal([imported], await StoredObjects("T00007"));

        using (var device = RemoteDevice.Connect("127.0.0.1", b.EndPoint.Port, 0x0580, new RemoteDeviceOptions { Reconnect = false }))
        using (var session = new DriveSession(device))
        {
            session.Mount("T00007", s_patience);
            session.ReadBlock(new byte[65535], out _); // VOL1
            session.WriteBlock(new DataSetLabel1(DataSetLabelKind.Header, "NEW.VERSION", "T00007").ToBytes());
            session.WriteBlock(new DataSetLabel2(DataSetLabelKind.Header, 'F', 80, 80).ToBytes());
            session.WriteTapeMarks(1);
            session.WriteBlock(Ebcdic.GetBytes("THE SECOND VERSION".PadRight(80)));
            session.WriteTapeMarks(2);
            session.Unload();
        }

        b.Recorder.WaitFor<VolumeUploaded>(u => u.Volume == "T00007", s_patience);
        var written = b.Host.Catalog.FindVolume(serial)!.Stored!.Key;
        Assert.NotEqual(imported, written);
        Assert.Equal([written], await StoredObjects("T00007")); // the imported version is gone

        Assert.Equal(0, Volume("import", "T00007", Image("T00007", 5), "--replace", "--data", Path.Combine(_root, "b")).Exit);
        var reimported = b.Host.Catalog.FindVolume(serial)!.Stored!.Key;
        Assert.NotEqual(written, reimported);
        Assert.Equal([reimported], await StoredObjects("T00007"));
        var exported = Path.Combine(_root, "latest.aws");
        Assert.Equal(0, Volume("export", "T00007", exported, "--data", Path.Combine(_root, "a")).Exit);
        Assert.Equal(5, a.Host.Catalog.FindVolume(serial)!.Blocks);
    }

    [SharedLibraryFact]
    public async Task The_reports_status_and_volume_commands_name_the_server_that_holds_each_mount()
    {
        await using var a = LibraryServer.Start(Parse(Config("a")), management: true);
        await using var b = LibraryServer.Start(Parse(Config("vts-b-with-a-long-name")));
        using var device = RemoteDevice.Connect("127.0.0.1", a.EndPoint.Port, 0x0581, new RemoteDeviceOptions { Reconnect = false });
        using var session = new DriveSession(device);
        session.Mount("T00004", s_patience);
        // The same device number on both servers: 0581 of one is not 0581 of the other.
        using var onB = RemoteDevice.Connect("127.0.0.1", b.EndPoint.Port, 0x0581, new RemoteDeviceOptions { Reconnect = false });
        using (var sessionB = new DriveSession(onB))
        {
            sessionB.Mount("T00006", s_patience);

            // The admin reports, read through server a: every server's mounts, each with its holder.
            using var reader = RemoteDevice.Connect("127.0.0.1", a.EndPoint.Port, 0x0583, new RemoteDeviceOptions { Reconnect = false });
            var client = new LibraryManagementClient(reader, "#", s_patience);
            var volumes = client.Fetch<VolumeStatusRow>(Admin.Volumes.AdminVolumeKind.Volumes, "T000").Rows.ToDictionary(r => r.VolumeSerial);
            Assert.Equal(("MOUNTED", "a"), (volumes["T00004"].Status, volumes["T00004"].Server));
            Assert.Equal(("MOUNTED", "vts-b-with-a"), (volumes["T00006"].Status, volumes["T00006"].Server)); // the 12 characters VOLUMES holds
            Assert.Equal("", volumes["T00005"].Server);
            var mounts = client.Fetch<MountStatusRow>(Admin.Volumes.AdminVolumeKind.Mounts).Rows;
            Assert.Contains(mounts, m => (m.VolumeSerial, m.DeviceNumber, m.Server, m.Unmounted) == ("T00004", 0x0581, "a", null));
            Assert.Contains(mounts, m => (m.VolumeSerial, m.DeviceNumber, m.Server, m.Unmounted) == ("T00006", 0x0581, "vts-b-with-a-long-name", null));

            // ctape status offline on either server's data folder: every server's drives, with their server.
            var status = Ctape.Run("status", "--json", "--data", Path.Combine(_root, "a"));
            Assert.True(status.ExitCode == 0, status.Error);
            var drives = System.Text.Json.JsonDocument.Parse(status.Output).RootElement.GetProperty("drives").EnumerateArray()
                .Select(d => (Device: d.GetProperty("device").GetString(), Server: d.GetProperty("server").GetString(), Volser: d.GetProperty("volser").GetString()))
                .ToList();
            Assert.Equal(8, drives.Count); // 0580-0583 of each server
            Assert.Contains(("0581", "a", "T00004"), drives);
            Assert.Contains(("0581", "vts-b-with-a-long-name", "T00006"), drives);
            Assert.Contains(("0582", "vts-b-with-a-long-name", null), drives);
            var table = Ctape.Run("status", "--data", Path.Combine(_root, "vts-b-with-a-long-name")).Output.Split('\n');
            Assert.EndsWith("SERVER", table[0], StringComparison.Ordinal);
            Assert.Contains(table, line => line.StartsWith("0581 ", StringComparison.Ordinal) && line.Contains("T00006", StringComparison.Ordinal) && line.EndsWith("vts-b-with-a-long-name", StringComparison.Ordinal));

            // ctape volume show / list, offline and through a server.
            var shown = Volume("show", "T00006", "--json", "--data", Path.Combine(_root, "a"));
            Assert.Equal("vts-b-with-a-long-name", System.Text.Json.JsonDocument.Parse(shown.Output).RootElement.GetProperty("mountedBy").GetString());
            Assert.Contains("status        mounted on 0581 of server vts-b-with-a-long-name", Volume("show", "T00006", "--data", Path.Combine(_root, "a")).Output, StringComparison.Ordinal);
            var listed = Volume("list", "--json", "--server", $"127.0.0.1:{b.EndPoint.Port}", "--drives", "0580-0580");
            Assert.True(listed.Exit == 0, listed.Error);
            var holders = System.Text.Json.JsonDocument.Parse(listed.Output).RootElement.EnumerateArray()
                .ToDictionary(v => v.GetProperty("volser").GetString()!, v => v.GetProperty("mountedBy").GetString());
            Assert.Equal("a", holders["T00004"]);
            Assert.Equal("vts-b-with-a", holders["T00006"]);
            Assert.Null(holders["T00005"]);

            // The management API of server a: the volume and the mount history name b as well.
            using var http = new HttpClient { BaseAddress = a.ManagementAddress };
            var volume = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("api/volumes/T00006")).RootElement;
            Assert.Equal("vts-b-with-a-long-name", volume.GetProperty("mountedBy").GetString());
            var history = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("api/mounts/history")).RootElement.EnumerateArray()
                .Select(m => (Volser: m.GetProperty("volser").GetString(), Server: m.GetProperty("server").GetString())).ToList();
            Assert.Contains(("T00004", "a"), history);
            Assert.Contains(("T00006", "vts-b-with-a-long-name"), history);
            sessionB.Unload();
        }

        // (the mount ends in the catalog once the unload is done there)
        var deadline = DateTime.UtcNow + s_patience;
        while (b.Host.Catalog.FindVolume(VolumeSerial.Parse("T00006"))!.Status == VolumeStatus.Mounted && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }

        Assert.Null(System.Text.Json.JsonDocument.Parse(Volume("show", "T00006", "--json", "--data", Path.Combine(_root, "a")).Output).RootElement.GetProperty("mountedBy").GetString());
        session.Unload();
    }

    /// <summary>The keys of every object the bucket holds for <paramref name="serial"/>.</summary>
    private async Task<List<string>> StoredObjects(string serial)
    {
        using var store = new S3VolumeStore(new S3Location(_bucket, "lib/"), SharedEngines.S3Endpoint);
        var listed = await store.Client.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = _bucket, Prefix = $"lib/volumes/{serial}/" });
        return [.. (listed.S3Objects ?? []).Select(o => o.Key)];
    }

    private static Runtime.MountOutcome OperatorMount(LibraryServer server, ushort device, string serial)
    {
        var drive = server.Host.Drive(device);
        return drive.Executor.RunExclusiveAsync(() => drive.Mount(serial, Runtime.Events.MountSource.Operator)).AsTask().GetAwaiter().GetResult();
    }

    private int StartServer(string config)
    {
        var (server, port) = ServeProcess.Start(config, _root, s_patience);
        _servers.Add(server);
        return port;
    }
}
