using ChannelTape.Admin.Commands;
using ChannelTape.Admin.Lms;
using ChannelTape.Admin.Reports;
using ChannelTape.Admin.Volumes;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using ChannelTape.Runtime;

namespace ChannelTape.Admin.Tests;

/// <summary>
/// The library management client against a real in-process 3490 in a real library whose administrative
/// volumes are served from a fake data source and command target: everything goes through CCWs.
/// </summary>
public sealed class AdminVolumeEndToEndTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ctape-admin-e2e-").FullName;
    private readonly FakeLibrary _library = new();
    private readonly LibraryCatalog _catalog;
    private readonly DriveRuntime _runtime = DriveRuntime.Standalone(TapeModel.Ibm3490, 0x0580);
    private readonly TapeDrive _drive;
    private readonly IChannelDevice _device;
    private bool _mayCommand = true;

    public AdminVolumeEndToEndTests()
    {
        var parsed = ConfigurationParser.ParseText($$"""
            storage { root "{{_root}}"; format aws; }
            drive 0580 { model 3490; media 3490E; }
            """, "test.conf", _root);
        Assert.Empty(parsed.Errors);
        var configuration = parsed.Configuration!;
        _catalog = LibraryCatalog.Open(_root);
        _catalog.SyncFromConfiguration(configuration);
        var service = new AdminVolumeService(_library, _library, _root, "#", _ => _mayCommand);
        _ = new LibraryManager(new LibraryView(configuration, _catalog, [_runtime]),
            new AdminVolumeResolver(new CatalogVolumeResolver(_catalog, configuration), service));
        _drive = _runtime.Drive;
        _device = _runtime.ChannelDevice;
    }

    public void Dispose()
    {
        _runtime.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Client_reads_the_drives_report_through_the_channel()
    {
        var client = new LibraryManagementClient(_device, mountTimeout: TimeSpan.FromSeconds(5));
        var report = client.Fetch<DriveStatusRow>(AdminVolumeKind.Drives);
        Assert.Equal("#DRIVE", report.VolumeSerial);
        Assert.Equal("DRIVES", report.Header.ReportName);
        Assert.Equal(_library.DriveRows, report.Rows);
        Assert.False(_drive.IsLoaded); // the client unloaded the volume
    }

    [Fact]
    public void Selector_reaches_the_data_source()
    {
        var client = new LibraryManagementClient(_device, mountTimeout: TimeSpan.FromSeconds(5));
        var report = client.Fetch<VolumeStatusRow>(AdminVolumeKind.Volumes, "T0");
        Assert.Equal("T0", _library.LastVolumePrefix);
        Assert.Equal(3, report.Rows.Count);
    }

    [Fact]
    public void Report_volume_is_mounted_read_only()
    {
        var session = new DriveSession(_device);
        session.Mount("#POOLS", TimeSpan.FromSeconds(5));
        Assert.True(_drive.Media!.IsReadOnly);
        var error = Assert.Throws<DriveOperationException>(() => session.WriteBlock(new byte[80]));
        Assert.Equal(0x30, error.SenseBytes[3]); // ERA 30 write protected
    }

    [Fact]
    public void Command_volume_applies_requests_and_answers_on_the_next_mount()
    {
        var client = new LibraryManagementClient(_device, mountTimeout: TimeSpan.FromSeconds(5));
        var response = client.RunCommands(["SCRATCH T00042", "MOVE T00043 OFFSITE"]);
        Assert.Equal(["SCRATCH T00042", "MOVE T00043 OFFSITE"], _library.Applied.Select(c => c.Text));
        Assert.Equal([CommandResponseRow.Done, CommandResponseRow.Done], response.Rows.Select(r => r.Result));
        Assert.Equal([1L, 2L], response.Rows.Select(r => r.Sequence));

        // the response has been read: the next request starts on a fresh volume
        var second = client.RunCommands(["QUERY T00044"]);
        Assert.Equal("QUERY T00044", Assert.Single(second.Rows).Command);
    }

    [Fact]
    public void Malformed_request_changes_nothing_and_says_why()
    {
        var client = new LibraryManagementClient(_device, mountTimeout: TimeSpan.FromSeconds(5));
        var response = client.RunCommands(["SCRATCH T00042", "EXPLODE T00043"]);
        Assert.Empty(_library.Applied);
        Assert.Equal(CommandResponseRow.NotDone, response.Rows[0].Result);
        Assert.Equal(CommandResponseRow.Error, response.Rows[1].Result);
        Assert.Contains("unknown command EXPLODE", response.Rows[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unauthorised_drive_gets_an_error_response_and_nothing_changes()
    {
        _mayCommand = false;
        var client = new LibraryManagementClient(_device, mountTimeout: TimeSpan.FromSeconds(5));
        var response = client.RunCommands(["SCRATCH T00042"]);
        Assert.Empty(_library.Applied);
        var row = Assert.Single(response.Rows);
        Assert.Equal(CommandResponseRow.Error, row.Result);
        Assert.Contains("may not issue commands", row.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failing_command_rolls_back_the_whole_request()
    {
        var client = new LibraryManagementClient(_device, mountTimeout: TimeSpan.FromSeconds(5));
        var response = client.RunCommands(["SCRATCH T00042", "SCRATCH NOSUCH"]);
        Assert.Empty(_library.Applied);
        Assert.Equal([CommandResponseRow.NotDone, CommandResponseRow.Error], response.Rows.Select(r => r.Result));
        Assert.Equal("no volume NOSUCH", response.Rows[1].Message);
    }

    private sealed class FakeLibrary : IAdminDataSource, IAdminCommandTarget
    {
        private static readonly DateTimeOffset s_now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

        public List<DriveStatusRow> DriveRows { get; } =
        [
            new(0x0580, "3490", "UNLOADED", "", false, 0, 0, 0, 0, 0, 0, "", "", null),
            new(0x0581, "3490", "READY", "T00001", true, 2, 5, 10, 800, 3, 240, "READY", "", s_now),
        ];

        public string? LastVolumePrefix { get; private set; }

        public List<AdminCommand> Applied { get; } = [];

        public IEnumerable<DriveStatusRow> Drives(int? deviceNumber) => DriveRows.Where(d => deviceNumber is null || d.DeviceNumber == deviceNumber);

        public IEnumerable<VolumeStatusRow> Volumes(string serialPrefix)
        {
            LastVolumePrefix = serialPrefix;
            return Enumerable.Range(0, 3).Select(i => new VolumeStatusRow($"T0000{i}", "SCRATCH", "SCRATCH", "3490E", "SL", false, 1000, 0, 0, 0, null, null, ""));
        }

        public IEnumerable<ScratchVolumeRow> Scratch(string poolPrefix) => [];
        public IEnumerable<PoolStatusRow> Pools(string poolPrefix) => [new("SCRATCH", "3490E", "SL", 3, 3, 0, 0, 3000, 0)];
        public IEnumerable<MountStatusRow> Mounts(int? deviceNumber) => [];
        public IEnumerable<StatisticRow> Statistics() => [];
        public IEnumerable<ConfigurationLineRow> Configuration() => [];
        public IEnumerable<EventRow> Events(int? deviceNumber) => [];

        public IReadOnlyList<AdminCommandResult> Apply(IReadOnlyList<AdminCommand> commands)
        {
            var results = commands.Select(c => c.VolumeSerial == "NOSUCH"
                ? new AdminCommandResult(c, false, "no volume NOSUCH")
                : new AdminCommandResult(c, true, "done")).ToList();
            if (results.All(r => r.Succeeded))
            {
                Applied.AddRange(commands);
            }

            return results;
        }
    }
}
