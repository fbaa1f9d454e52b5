using ChannelTape.Admin.Volumes;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;

namespace ChannelTape.Admin.Tests;

/// <summary>
/// A whole library in process, wired as the server wires it: the real catalog in a temporary
/// directory, a configuration parsed from text, the library manager with the administrative
/// volume provider, real 3490 drives, and the statistics hook called after every CCW.
/// </summary>
internal sealed class LibraryHarness : IDisposable
{
    public const string ConfigurationTemplate = """
        storage { root "{ROOT}"; format aws; }
        drive 0580-0582 { model 3490; media 3490E; pool SCRATCH; }
        pool SCRATCH { volumes T00000-T00019; media 3490E; capacity 10M; labels SL; scratch; }
        pool PRIV { volumes P00000-P00009; media 3490E; capacity 20M; labels SL; private; }
        pool OFFSITE { media 3490E; capacity 10M; labels SL; }
        admin { prefix "#"; hosts 127.0.0.0/8; drives 0580-0581; }
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("ctape-admin-lib-").FullName;

    public LibraryHarness()
    {
        var result = ConfigurationParser.ParseText(ConfigurationTemplate.Replace("{ROOT}", _root, StringComparison.Ordinal), "test.conf", _root);
        Assert.Empty(result.Errors);
        Configuration = result.Configuration!;
        Catalog = LibraryCatalog.Open(Configuration.Storage.Root);
        Catalog.SyncFromConfiguration(Configuration);
        LibraryManager? library = null;
        Statistics = new ServerStatistics(device => library?.State(device)?.VolumeSerial);
        Provider = AdminVolumeProvider.Create(Configuration, Catalog, () => library!, () => Drives.Values.Select(d => d.Drive), Statistics);
        library = new LibraryManager(Configuration, Catalog, Provider);
        Library = library;
        foreach (var drive in Configuration.Drives)
        {
            var hosted = new HostedDrive(new TapeDrive(drive.Model, drive.DeviceNumber), Statistics);
            Library.Attach(hosted.Drive, hosted, () => hosted.Host);
            Drives[drive.DeviceNumber] = hosted;
        }
    }

    public LibraryConfiguration Configuration { get; }

    public LibraryCatalog Catalog { get; }

    public LibraryManager Library { get; }

    public ServerStatistics Statistics { get; }

    public AdminVolumeProvider Provider { get; }

    public Dictionary<ushort, HostedDrive> Drives { get; } = [];

    public void Dispose()
    {
        foreach (var hosted in Drives.Values)
        {
            hosted.Drive.Dispose();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>
    /// One drive as the server hosts it: CCWs serialised per drive, recorded in the statistics
    /// (through <see cref="StatisticsRecordingDevice"/>), and library work posted during a CCW run
    /// right after it, before the next CCW.
    /// </summary>
    internal sealed class HostedDrive(TapeDrive drive, ServerStatistics statistics) : IChannelDevice, IDriveScheduler
    {
        private readonly StatisticsRecordingDevice _recording = new(drive, statistics);
        private readonly object _gate = new();
        private readonly System.Collections.Concurrent.ConcurrentQueue<Action> _posted = new();

        public TapeDrive Drive { get; } = drive;

        /// <summary>Who is attached (the peer address the server would pass).</summary>
        public string Host { get; set; } = "127.0.0.1:40001";

        public ushort DeviceNumber => Drive.DeviceNumber;

        public int MaxTransfer => Drive.MaxTransfer;

        public ReadOnlySpan<byte> Sense => Drive.Sense;

        public event Action<IChannelDevice, UnitStatus>? UnsolicitedStatus
        {
            add => Drive.UnsolicitedStatus += value;
            remove => Drive.UnsolicitedStatus -= value;
        }

        public void Post(Action work) => _posted.Enqueue(work);

        public bool IsImmediate(byte command) => Drive.IsImmediate(command);

        public CcwResult Execute(in CcwRequest request, Span<byte> buffer)
        {
            lock (_gate)
            {
                var result = _recording.Execute(request, buffer);
                while (_posted.TryDequeue(out var work))
                {
                    work();
                }

                return result;
            }
        }

        public int TakeConcurrentSense(Span<byte> destination)
        {
            lock (_gate)
            {
                return Drive.TakeConcurrentSense(destination);
            }
        }

        public void StartChannelProgram() => Drive.StartChannelProgram();

        public void EndChannelProgram() => Drive.EndChannelProgram();

        public void Halt() => Drive.Halt();
    }
}
