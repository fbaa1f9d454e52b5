using ChannelTape.Admin.Lms;
using ChannelTape.Admin.Reports;
using ChannelTape.Admin.Volumes;
using ChannelTape.Runtime;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Library;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;

namespace ChannelTape.Admin.Tests;

/// <summary>
/// Issue 5 "Prove it", in process: the library management client reads every report through
/// CCWs on a real 3490 attached to the real library (SQLite catalog, configuration parsed from
/// text, LibraryManager, the admin volume provider), and each report agrees with the catalog and
/// with the drives' real state, also while another drive is in the middle of writing.
/// </summary>
public sealed class LibraryAdminEndToEndTests : IAsyncDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private readonly LibraryHarness _library = new();

    public ValueTask DisposeAsync() => _library.DisposeAsync();

    [Fact]
    public void Drives_report_shows_a_drive_in_the_middle_of_writing_and_a_pending_request()
    {
        using var writer = StartWriting(0x0581, "P00001", "PAYROLL.WEEKLY", blocks: 7, blockSize: 1000);
        RequestMount(0x0582, "ZZZ999"); // not in the library: stays pending

        var report = Client(0x0580).Fetch<DriveStatusRow>(AdminVolumeKind.Drives);

        Assert.Equal([0x0580, 0x0581, 0x0582], report.Rows.Select(r => r.DeviceNumber));
        var busy = report.Rows[1];
        var drive = _library.Tape(0x0581);
        var mountedAt = _library.View.State(0x0581)!.MountedAt!.Value;
        // VOL1 read; HDR1 HDR2 TM and 7 blocks written: file 2, block id 11 (tape marks count)
        Assert.Equal(
            new DriveStatusRow(0x0581, "3490", "READY", "P00001", false, 2, 11, 1, 80, 9, 160 + 7000, "READY", "",
                new DateTimeOffset(mountedAt.UtcTicks - (mountedAt.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero)),
            busy);
        Assert.Equal(drive.Media!.Position.BlockNumber, busy.Block);
        Assert.Equal(drive.Counters.BytesWritten, busy.BytesWritten);

        var requesting = report.Rows[0];
        Assert.Equal(("NOTREADY", "", "#DRIVE", "M#DRIVES"), (requesting.State, requesting.VolumeSerial, requesting.Request, requesting.Display));
        var pending = report.Rows[2];
        Assert.Equal(("NOTREADY", "ZZZ999", "MZZZ999S", (DateTimeOffset?)null), (pending.State, pending.Request, pending.Display, pending.Mounted));

        // the narrowed form reads the same drive
        var one = Client(0x0580).Fetch<DriveStatusRow>(AdminVolumeKind.Drives, "0581");
        Assert.Equal(busy, Assert.Single(one.Rows));
    }

    [Fact]
    public void Reports_read_while_another_drive_keeps_writing_on_its_own_thread_stay_consistent()
    {
        var writerDrive = _library.Tape(0x0581);
        using var writer = StartWriting(0x0581, "P00002", "BUSY.WRITER", blocks: 1, blockSize: 4096);
        using var stop = new CancellationTokenSource();
        var block = new byte[4096];
        long total = 0;
        var writing = new Thread(() =>
        {
            long written = 0;
            // at most 4000 blocks (16 MB, inside the pool's 20M capacity), one per millisecond
            while (!stop.IsCancellationRequested && written < 4000)
            {
                writer.WriteBlock(block);
                written++;
                Thread.Sleep(1);
            }

            Volatile.Write(ref total, written);
        });
        writing.Start();

        long previousBlock = 0;
        for (int i = 0; i < 3; i++)
        {
            long before = writerDrive.Counters.BlocksWritten;
            var row = Assert.Single(Client(0x0580).Fetch<DriveStatusRow>(AdminVolumeKind.Drives, "0581").Rows);
            long after = writerDrive.Counters.BlocksWritten;
            Assert.Equal(("READY", "P00002", 2L), (row.State, row.VolumeSerial, row.File));
            Assert.InRange(row.BlocksWritten, before, after);
            Assert.True(row.Block >= previousBlock, "the block id only grows while writing");
            previousBlock = row.Block;

            // the catalog report streams from SQLite at the same time
            var volumes = Client(0x0580).Fetch<VolumeStatusRow>(AdminVolumeKind.Volumes, "P");
            Assert.Equal("MOUNTED", volumes.Rows.Single(v => v.VolumeSerial == "P00002").Status);
        }

        stop.Cancel();
        writing.Join();
        Assert.True(total > 0);
        var settled = Assert.Single(Client(0x0580).Fetch<DriveStatusRow>(AdminVolumeKind.Drives, "0581").Rows);
        Assert.Equal(writerDrive.Media!.Position.BlockNumber, settled.Block);
        Assert.Equal(4 + 1 + total, settled.Block);
        Assert.Equal(writerDrive.Counters.BytesWritten, settled.BytesWritten);
    }

    [Fact]
    public void Catalog_reports_agree_with_the_catalog()
    {
        PrepareActivity();

        var volumes = Client(0x0580).Fetch<VolumeStatusRow>(AdminVolumeKind.Volumes);
        Assert.Equal(_library.Catalog.ListVolumes().Select(ExpectedVolume), volumes.Rows);
        Assert.Equal(30, volumes.Rows.Count);
        var written = volumes.Rows.Single(v => v.VolumeSerial == "P00001");
        Assert.Equal(("PRIVATE", "PAYROLL.WEEKLY", 3L, 1L), (written.Status, written.DataSetName, written.Blocks, written.Mounts));

        var narrowed = Client(0x0580).Fetch<VolumeStatusRow>(AdminVolumeKind.Volumes, "P000");
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"P0000{i}"), narrowed.Rows.Select(r => r.VolumeSerial));

        var scratch = Client(0x0580).Fetch<ScratchVolumeRow>(AdminVolumeKind.Scratch);
        Assert.Equal(
            _library.Catalog.ListVolumes().Where(v => v.Status == VolumeStatus.Scratch).OrderBy(v => v.Pool, StringComparer.Ordinal)
                .Select(v => new ScratchVolumeRow(v.Pool, v.Serial.Value, MediaTypes.Name(v.Media), v.Capacity)),
            scratch.Rows);
        Assert.Equal(19 + 1, scratch.Rows.Count); // one T volume taken by the scratch mount, P00003 scratched
        Assert.Equal(["P00003"], Client(0x0580).Fetch<ScratchVolumeRow>(AdminVolumeKind.Scratch, "PRI").Rows.Select(r => r.VolumeSerial));

        var pools = Client(0x0580).Fetch<PoolStatusRow>(AdminVolumeKind.Pools);
        var expectedPools = _library.Catalog.ListVolumes().GroupBy(v => v.Pool)
            .Select(g => new PoolStatusRow(g.Key, "3490E", "SL", g.Count(), g.Count(v => v.Status == VolumeStatus.Scratch),
                g.Count(v => v.Status == VolumeStatus.Private), g.Count(v => v.Status == VolumeStatus.Mounted), g.Sum(v => v.Capacity), g.Sum(v => v.BytesUsed)))
            .Append(new PoolStatusRow("OFFSITE", "3490E", "SL", 0, 0, 0, 0, 0, 0))
            .OrderBy(p => p.Pool, StringComparer.Ordinal);
        Assert.Equal(expectedPools, pools.Rows);
        Assert.Equal(1, pools.Rows.Single(p => p.Pool == "SCRATCH").Mounted);

        var mounts = Client(0x0580).Fetch<MountStatusRow>(AdminVolumeKind.Mounts);
        Assert.Equal(_library.Catalog.MountHistory(limit: 10_000).Select(ExpectedMount), mounts.Rows);
        Assert.Equal(3, mounts.Rows.Count);
        Assert.Equal("SCRATCH", mounts.Rows[1].Kind); // newest first: P00002 on 0582, the scratch mount, P00001
        Assert.Null(mounts.Rows[1].Unmounted);
        Assert.Equal(["P00002"], Client(0x0580).Fetch<MountStatusRow>(AdminVolumeKind.Mounts, "0582").Rows.Select(m => m.VolumeSerial));
    }

    [Fact]
    public void Statistics_configuration_and_events_reports_agree_with_the_server()
    {
        PrepareActivity();
        var drives = _library.Tapes.ToList();
        long bytesWritten = drives.Sum(d => d.Counters.BytesWritten);
        long bytesRead = drives.Sum(d => d.Counters.BytesRead);
        long ccws = _library.Statistics.Ccws;
        long unitChecks = _library.Statistics.UnitChecks;
        var events = _library.Statistics.Events();

        var stats = Client(0x0580).Fetch<StatisticRow>(AdminVolumeKind.Statistics).Rows.ToDictionary(r => r.Name, r => r.Value);
        Assert.Equal("30", stats["VOLUMES"]);
        Assert.Equal(_library.Catalog.ListVolumes().Count(v => v.Status == VolumeStatus.Scratch).ToString(), stats["VOLUMES SCRATCH"]);
        Assert.Equal("2", stats["VOLUMES MOUNTED"]); // the scratch volume on 0581, P00002 on 0582
        Assert.Equal("3", stats["DRIVES"]);
        Assert.Equal("2", stats["DRIVES LOADED"]); // the scratch volume on 0581 and P00002 on 0582
        Assert.Equal("3", stats["MOUNTS LAST HOUR"]);
        Assert.Equal(bytesWritten.ToString(), stats["BYTES WRITTEN"]);
        Assert.Equal(bytesRead.ToString(), stats["BYTES READ"]);
        Assert.Equal((ccws + 1).ToString(), stats["CCWS"]); // the Load Display that asked for #STATS
        Assert.Equal(unitChecks.ToString(), stats["UNIT CHECKS"]);
        Assert.True(unitChecks >= 2);

        var configuration = Client(0x0580).Fetch<ConfigurationLineRow>(AdminVolumeKind.Configuration);
        var expectedLines = ConfigurationWriter.Write(_library.Configuration).ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        Assert.Equal(expectedLines, configuration.Rows.Select(r => r.Text));
        Assert.Equal(Enumerable.Range(1, expectedLines.Length).Select(i => (long)i), configuration.Rows.Select(r => r.Line));
        Assert.Contains(configuration.Rows, r => r.Text.Contains("prefix \"#\"", StringComparison.Ordinal));

        var journal = Client(0x0580).Fetch<EventRow>(AdminVolumeKind.Events);
        Assert.Equal(events, journal.Rows);
        var writeProtected = journal.Rows[0]; // newest first
        Assert.Equal((0x0582, "P00002", "UNITCHECK", "01", "30"), (writeProtected.DeviceNumber, writeProtected.VolumeSerial, writeProtected.Kind, writeProtected.Opcode, writeProtected.Era));
        Assert.Contains("write protected", writeProtected.Text, StringComparison.Ordinal);
        var notReady = journal.Rows[1];
        Assert.Equal((0x0582, "", "UNITCHECK", "02", "43"), (notReady.DeviceNumber, notReady.VolumeSerial, notReady.Kind, notReady.Opcode, notReady.Era));
        Assert.Equal(2, journal.Rows.Count); // Rewind Unload's unit check and tape marks read are not journaled
        Assert.Equal(journal.Rows, Client(0x0580).Fetch<EventRow>(AdminVolumeKind.Events, "0582").Rows);
        Assert.Empty(Client(0x0580).Fetch<EventRow>(AdminVolumeKind.Events, "0580").Rows);
    }

    [Fact]
    public void Every_command_round_trips_through_the_command_volume()
    {
        var client = Client(0x0580);
        var response = client.RunCommands(["SCRATCH P00002", "UNSCRATCH T00005", "MOVE P00004 OFFSITE", "READONLY P00006", "QUERY P00006"]);
        Assert.All(response.Rows, r => Assert.Equal(CommandResponseRow.Done, r.Result));
        Assert.Equal(VolumeStatus.Scratch, Volume("P00002").Status);
        Assert.Equal(VolumeStatus.Private, Volume("T00005").Status);
        Assert.Equal("OFFSITE", Volume("P00004").Pool);
        Assert.True(Volume("P00006").ReadOnly);
        Assert.Equal("P00006 PRIVATE POOL=PRIV 3490E SL RO=Y USED=0", response.Rows[4].Message);

        var back = client.RunCommands(["READWRITE P00006", "UNSCRATCH P00002", "SCRATCH T00005", "MOVE P00004 PRIV", "QUERY P00004"]);
        Assert.All(back.Rows, r => Assert.Equal(CommandResponseRow.Done, r.Result));
        Assert.False(Volume("P00006").ReadOnly);
        Assert.Equal(VolumeStatus.Private, Volume("P00002").Status);
        Assert.Equal(VolumeStatus.Scratch, Volume("T00005").Status);
        Assert.Equal("P00004 PRIVATE POOL=PRIV 3490E SL RO=N USED=0", back.Rows[4].Message);

        // the change is visible to the next report read through the channel
        Assert.Contains(client.Fetch<ScratchVolumeRow>(AdminVolumeKind.Scratch).Rows, r => r.VolumeSerial == "T00005");
    }

    [Fact]
    public void Query_of_a_mounted_volume_names_its_drive()
    {
        RequestMount(0x0581, "P00007");
        var response = Client(0x0580).RunCommands(["QUERY P00007"]);
        Assert.Equal("P00007 MOUNTED POOL=PRIV 3490E SL RO=N USED=0 ON=0581", Assert.Single(response.Rows).Message);
    }

    public static TheoryData<string[], string> RefusedRequests => new()
    {
        { ["SCRATCH P00001", "EXPLODE P00002"], "unknown command EXPLODE" },
        { ["SCRATCH P00001", "MOVE P00002"], "MOVE takes a volume serial and a pool name" },
        { ["SCRATCH P00001", "MOVE P00002 NOWHERE"], "no pool NOWHERE in the configuration" },
        { ["SCRATCH P00001", "SCRATCH NOSUCH"], "no volume NOSUCH in the catalog" },
        { ["SCRATCH P00001", "QUERY Q99999"], "no volume Q99999 in the catalog" },
        { ["READONLY P00001", "UNSCRATCH T0001"], "'T0001' is not a volume serial" },
        { ["READONLY P00001", "SCRATCH P00008"], "volume P00008 is mounted; unload it first" },
    };

    [Theory]
    [MemberData(nameof(RefusedRequests))]
    public void A_wrong_request_changes_nothing_and_says_why(string[] requests, string message)
    {
        RequestMount(0x0581, "P00008");
        var before = Snapshot();

        var response = Client(0x0580).RunCommands(requests);

        Assert.Equal(before, Snapshot());
        Assert.Equal(CommandResponseRow.NotDone, response.Rows[0].Result);
        Assert.Equal(CommandResponseRow.Error, response.Rows[1].Result);
        Assert.Contains(message, response.Rows[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Commands_from_a_drive_outside_admin_drives_change_nothing()
    {
        var before = Snapshot();
        var row = Assert.Single(Client(0x0582).RunCommands(["SCRATCH P00001"]).Rows);
        Assert.Equal(before, Snapshot());
        Assert.Equal(CommandResponseRow.Error, row.Result);
        Assert.Contains("drive 0582 of host 127.0.0.1:40001 may not issue commands", row.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.1.2.3:5000")]
    [InlineData("local")]
    public void Commands_from_a_host_outside_admin_hosts_change_nothing(string host)
    {
        _library.AttachHost(0x0580, host);
        var before = Snapshot();
        var row = Assert.Single(Client(0x0580).RunCommands(["SCRATCH P00001", "READONLY P00002"]).Rows);
        Assert.Equal(before, Snapshot());
        Assert.Equal(CommandResponseRow.Error, row.Result);
        Assert.Contains("may not issue commands", row.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Report_volumes_are_read_only_and_leave_no_mount_in_the_catalog()
    {
        using var session = new DriveSession(_library.Device(0x0580));
        session.Mount("#POOLS", s_timeout);
        var error = Assert.Throws<DriveOperationException>(() => session.WriteBlock(new byte[80]));
        Assert.Equal(0x30, error.SenseBytes[3]);
        session.Unload();
        Assert.Empty(_library.Catalog.MountHistory());
        Assert.All(_library.Catalog.ListVolumes(), v => Assert.NotEqual(VolumeStatus.Mounted, v.Status));
    }

    [Fact]
    public void A_report_that_cannot_be_built_leaves_the_mount_pending_with_the_reason_and_a_journal_event()
    {
        // the file the report is built in cannot be created (a directory has its name)
        Directory.CreateDirectory(Path.Combine(_library.Configuration.Storage.Root, "admin", "_HPOOLS.aws.new"));
        RequestMount(0x0580, "#POOLS");

        var state = _library.View.State(0x0580)!;
        Assert.False(_library.Tape(0x0580).IsLoaded);
        Assert.Equal("#POOLS", state.PendingRequest);
        Assert.StartsWith("administrative volume #POOLS could not be built", state.PendingReason, StringComparison.Ordinal);
        var journaled = Assert.Single(_library.Statistics.Events(0x0580));
        Assert.Equal(("MOUNTFAIL", ""), (journaled.Kind, journaled.VolumeSerial));

        // the other drives still get reports, and they show the pending request
        var drives = Client(0x0581).Fetch<DriveStatusRow>(AdminVolumeKind.Drives, "0580");
        Assert.Equal(("NOTREADY", "#POOLS"), (drives.Rows[0].State, drives.Rows[0].Request));
    }

    [Theory]
    [InlineData("#CMD.")]
    [InlineData("#CM/..")]
    [InlineData("#VOLS\u0001")]
    public void A_prefixed_serial_with_characters_no_serial_has_is_not_an_administrative_volume(string serial)
    {
        var resolution = _library.AdminVolumes.Resolve(new VolumeRequest(serial, false, null, 0x0580, "127.0.0.1:1", new Media.TapeImageOptions()));
        Assert.False(resolution.Resolved); // not built as an administrative volume: the catalog refuses it
        Assert.Equal(VolumeRefusalReason.NotAVolumeSerial, resolution.Refusal.Reason);
        var drive = _library.Host.Drive(0x0580);
        var refusal = drive.Executor.RunExclusive(() => _library.Library.MountNow(drive, new VolumeSerialRequest(serial, new Media.TapeImageOptions())));
        Assert.StartsWith($"'{serial}' is not a volume serial", refusal!.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// P00001 written with a 3-block data set and unloaded on 0581; a scratch mount left on 0581;
    /// P00003 scratched; a Read on empty 0582 (intervention required); P00002 made read-only,
    /// mounted on 0582 and written (write protected).
    /// </summary>
    private void PrepareActivity()
    {
        using (var writer = StartWriting(0x0581, "P00001", "PAYROLL.WEEKLY", blocks: 3, blockSize: 800))
        {
            FinishDataSet(writer, "PAYROLL.WEEKLY", "P00001", 3);
            writer.Unload();
        }

        RequestMount(0x0581, "SCRTCH");
        Assert.NotNull(_library.View.State(0x0581)!.VolumeSerial);
        Assert.Equal(VolumeChange.Changed, _library.Catalog.SetScratch(VolumeSerial.Parse("P00003"), scratch: true));

        using var empty = new DriveSession(_library.Device(0x0582));
        Assert.Equal(BlockReadOutcome.End, empty.ReadBlock(new byte[80], out _));

        Assert.Equal(VolumeChange.Changed, _library.Catalog.SetReadOnly(VolumeSerial.Parse("P00002"), readOnly: true));
        RequestMount(0x0582, "P00002");
        Assert.Throws<DriveOperationException>(() => empty.WriteBlock(new byte[80]));
    }

    private DriveSession StartWriting(ushort device, string serial, string dataSetName, int blocks, int blockSize)
    {
        var session = new DriveSession(_library.Device(device));
        session.Mount(serial, s_timeout);
        Assert.Equal(BlockReadOutcome.Block, session.ReadBlock(new byte[80], out _)); // VOL1
        session.WriteBlock(new DataSetLabel1(DataSetLabelKind.Header, dataSetName, serial).ToBytes());
        session.WriteBlock(new DataSetLabel2(DataSetLabelKind.Header, 'F', blockSize, blockSize).ToBytes());
        session.WriteTapeMarks(1);
        var data = new byte[blockSize];
        for (int i = 0; i < blocks; i++)
        {
            session.WriteBlock(data);
        }

        return session;
    }

    private static void FinishDataSet(DriveSession session, string dataSetName, string serial, int blocks)
    {
        session.WriteTapeMarks(1);
        session.WriteBlock(new DataSetLabel1(DataSetLabelKind.EndOfFile, dataSetName, serial, BlockCount: blocks).ToBytes());
        session.WriteBlock(new DataSetLabel2(DataSetLabelKind.EndOfFile, 'F', 800, 800).ToBytes());
        session.WriteTapeMarks(2);
    }

    /// <summary>Load Display mount of <paramref name="serial"/>, whether or not the library can satisfy it.</summary>
    private void RequestMount(ushort device, string serial)
    {
        using var session = new DriveSession(_library.Device(device));
        try
        {
            session.Mount(serial, TimeSpan.FromMilliseconds(1));
        }
        catch (TimeoutException)
        {
            // the request stays pending; the library shows it
        }
    }

    private LibraryManagementClient Client(ushort device) => new(_library.Device(device), "#", s_timeout);

    private VolumeRecord Volume(string serial) => _library.Catalog.FindVolume(VolumeSerial.Parse(serial))!;

    private List<VolumeRecord> Snapshot() => _library.Catalog.ListVolumes().ToList();

    private static VolumeStatusRow ExpectedVolume(VolumeRecord v) => new(
        v.Serial.Value, v.Pool, v.Status.ToString().ToUpperInvariant(), MediaTypes.Name(v.Media), LabelTypes.Name(v.Labels), v.ReadOnly,
        v.Capacity, v.BytesUsed, v.Blocks, v.MountCount, new DateTimeOffset(v.CreatedAt.UtcDateTime.Date),
        v.LastMountedAt is { } last ? new DateTimeOffset(last.UtcDateTime.Date) : null, v.DataSetName ?? "");

    private static MountStatusRow ExpectedMount(MountRecord m) => new(
        m.DeviceNumber, m.Serial.Value, m.ScratchRequest ? "SCRATCH" : "SPECIFIC", Seconds(m.RequestedAt)!.Value, Seconds(m.MountedAt), Seconds(m.UnmountedAt));

    private static DateTimeOffset? Seconds(DateTimeOffset? time) =>
        time is { } t ? new DateTimeOffset(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero) : null;
}
