using System.Diagnostics.CodeAnalysis;
using ChannelTape.Admin.Volumes;
using ChannelTape.Device;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using ChannelTape.Protocol;
using ChannelTape.Runtime;
using ChannelTape.Runtime.Events;
using ChannelTape.Server;

namespace ChannelTape.Hosting;

/// <summary>How a <see cref="LibraryHost"/> serves its library, beyond the configuration.</summary>
public sealed record LibraryHostOptions
{
    /// <summary>The §5 features granted to hosts that ask (docs/protocol.md); all three by default.</summary>
    public ProtocolFeatures Features { get; init; } = ProtocolFeatureRules.All;

    /// <summary>Server settings other than the listening address, the connection limit and the features, which come from the configuration and <see cref="Features"/>.</summary>
    public TapeServerOptions Server { get; init; } = new();

    /// <summary>Clock for mounts, reports and the journal (tests pass a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// How drives are serialised: gated (the server) by default; tests and tools that drive the library
    /// from one thread use <see cref="DriveExecution.Inline"/>.
    /// </summary>
    public DriveExecution Execution { get; init; } = DriveExecution.Gated;

    /// <summary>The server's shared secret file (<c>ctape serve --secret-file</c>); replaces the configuration's <c>security { secret-file }</c>.</summary>
    public string? SecretFile { get; init; }

    /// <summary>Listening beyond loopback without a secret is wanted (<c>ctape serve --insecure</c>); a warning is logged.</summary>
    public bool Insecure { get; init; }
}

/// <summary>The disk of the library is full: the catalog gave up its space reserve to record an unload (docs/security.md).</summary>
public sealed record CatalogReserveUsed(string Path) : TapeEvent
{
    public override Microsoft.Extensions.Logging.LogLevel Level => Microsoft.Extensions.Logging.LogLevel.Warning;

    public override string Message => $"the library's disk is full: the catalog used its space reserve ({Path}) to record an unload; free some space";
}

/// <summary>Catalog rows that could not be read were set aside at start (the table <c>quarantine</c> keeps them whole); the rest serves.</summary>
public sealed record CatalogRowsQuarantined(IReadOnlyList<QuarantinedRow> Rows) : TapeEvent
{
    public override Microsoft.Extensions.Logging.LogLevel Level => Microsoft.Extensions.Logging.LogLevel.Warning;

    public override string Message =>
        $"catalog: {Rows.Count} row(s) could not be read and were quarantined: "
        + string.Join("; ", Rows.Take(20).Select(r => $"{r.Table} {PeerText.Escape(r.Key, 32)}: {PeerText.Escape(r.Reason, 160)}"))
        + (Rows.Count > 20 ? $"; and {Rows.Count - 20} more (table quarantine)" : "");
}

/// <summary>A newer ctape recorded schema versions this build does not know; the tables and columns it uses are all there, so it serves.</summary>
public sealed record CatalogSchemaNewer(IReadOnlyList<int> Versions, int Known) : TapeEvent
{
    public override Microsoft.Extensions.Logging.LogLevel Level => Microsoft.Extensions.Logging.LogLevel.Warning;

    public override string Message =>
        $"catalog: schema version(s) {string.Join(", ", Versions)} were recorded by a newer ctape; this one knows up to {Known} and serves with what it knows";
}

/// <summary>How the drives of a <see cref="LibraryHost"/> run what is done to them.</summary>
public enum DriveExecution
{
    /// <summary>A gate per drive; posted library work runs on the thread pool after the CCW (<see cref="GatedDriveExecutor"/>).</summary>
    Gated,
    /// <summary>On the caller's thread; posted work runs when the CCW ends (<see cref="InlineDriveExecutor"/>).</summary>
    Inline,
}

/// <summary>
/// The one composition root: a library configuration served. Opens the catalog in the storage root and
/// brings it in line with the configuration and the images (a restart after a crash ends the mounts left
/// open), builds one <see cref="DriveRuntime"/> per configured drive (every CCW recorded for the STATS and
/// EVENTS reports), the library's view, the volume resolvers (administrative volumes in front of the
/// catalog), the library manager and the <see cref="TapeServer"/>. <c>ctape serve</c> (through the generic
/// host, <see cref="HostingExtensions"/>), the tests and the benchmarks all build the server this way.
/// </summary>
public sealed class LibraryHost : IAsyncDisposable
{
    private readonly DataFolderLock _folderLock;
    private AuditLog? _audit;

    private LibraryHost(LibraryConfiguration configuration, DataFolderLock folderLock, LibraryCatalog catalog, TapeEventHub events, LibraryHostOptions options,
        Server.Security.ServerSecurity security)
    {
        _folderLock = folderLock;
        Configuration = configuration;
        Catalog = catalog;
        Events = events;
        var drives = new Dictionary<ushort, DriveRuntime>();
        Statistics = new ServerStatistics(device => drives.GetValueOrDefault(device)?.Volume.VolumeSerial, time: options.Time);
        foreach (var config in configuration.Drives)
        {
            IDriveExecutor executor = options.Execution == DriveExecution.Inline
                ? new InlineDriveExecutor()
                : new GatedDriveExecutor(e => events.Publish(new DriveWorkFailed(config.DeviceNumber, e)));
            drives.Add(config.DeviceNumber, new DriveRuntime(new TapeDrive(config.Model, config.DeviceNumber), executor, events,
                device => new StatisticsRecordingDevice(device, Statistics)));
        }

        // docs/security.md: library volumes by name; images by path only inside the image folders, never in the storage root.
        var confinement = ImageConfinement.Folders(configuration.ImageFolders, [configuration.Storage.Root]);
        foreach (var drive in drives.Values)
        {
            drive.Confine(confinement);
        }

        View = new LibraryView(configuration, catalog, drives.Values);
        AdminVolumes = AdminVolumeResolver.Create(View, new CatalogVolumeResolver(catalog, configuration, events), Statistics, options.Time, events);
        Manager = new LibraryManager(View, AdminVolumes, options.Time);
        events.Subscribe(tapeEvent => Journal(Statistics, tapeEvent));
        Server = new TapeServer(View.Drives, options.Server with
        {
            Listen = configuration.Listen,
            MaxConnections = configuration.Limits.MaxConnections,
            MaxConnectionsPerAddress = configuration.Limits.MaxConnectionsPerAddress,
            HandshakeTimeout = TimeSpan.FromSeconds(configuration.Limits.HandshakeSeconds),
            Features = options.Features,
            Security = security,
        }, events);
    }

    public LibraryConfiguration Configuration { get; }

    public LibraryCatalog Catalog { get; }

    /// <summary>Everything the server and the library do, as typed events (the log, the journal and tests subscribe).</summary>
    public TapeEventHub Events { get; }

    /// <summary>The drives, catalog and configuration as readers see them.</summary>
    public LibraryView View { get; }

    public LibraryManager Manager { get; }

    /// <summary>The administrative volumes in front of the catalog's.</summary>
    public AdminVolumeResolver AdminVolumes { get; }

    /// <summary>The CCW totals and the event journal of the STATS and EVENTS reports.</summary>
    public ServerStatistics Statistics { get; }

    public TapeServer Server { get; }

    /// <summary>The drives, by device number.</summary>
    public IReadOnlyList<DriveRuntime> Drives => View.Drives;

    /// <summary>The drive at <paramref name="deviceNumber"/>; throws for a drive that is not configured.</summary>
    public DriveRuntime Drive(ushort deviceNumber) =>
        View.Drive(deviceNumber) ?? throw new ArgumentOutOfRangeException(nameof(deviceNumber), $"no drive {deviceNumber:X4} is configured");

    /// <summary>
    /// Builds the library served from <paramref name="configuration"/>; false with the reason when another
    /// server holds the data folder (<see cref="DataFolderLock"/>) or the catalog cannot be opened. Events go
    /// to <paramref name="events"/> (subscribe before, to see the first, catalog recovery), or to a hub of
    /// the host's own.
    /// </summary>
    public static bool TryBuild(LibraryConfiguration configuration, LibraryHostOptions options,
        [NotNullWhen(true)] out LibraryHost? host, [NotNullWhen(false)] out string? error, TapeEventHub? events = null)
    {
        host = null;
        events ??= new TapeEventHub();
        if (!HostSecurity.TryBuild(configuration, options.SecretFile, options.Insecure, out var security, out var warning, out error))
        {
            return false;
        }

        if (!DataFolderLock.TryTake(configuration.Storage.Root, out var folderLock, out error))
        {
            return false;
        }

        if (warning is not null)
        {
            events.Publish(warning);
        }

        try
        {
            var catalog = LibraryCatalog.Open(configuration.Storage.Root);
            if (catalog.NewerSchemaVersions.Count > 0)
            {
                events.Publish(new CatalogSchemaNewer(catalog.NewerSchemaVersions, catalog.SchemaVersion));
            }

            // Rows that cannot be read are set aside before anything else reads the catalog; the rest serves.
            if (catalog.QuarantineBadRows() is { Count: > 0 } quarantined)
            {
                events.Publish(new CatalogRowsQuarantined(quarantined));
            }

            catalog.SyncFromConfiguration(configuration);
            // Room for the commits that must happen on a full disk (an unload recorded).
            catalog.EnsureReserve();
            catalog.ReserveUsed += () => events.Publish(new CatalogReserveUsed(catalog.Layout.ReservePath));
            // After a crash (kill -9) the images may hold more than the catalog recorded: rescan
            // them, then end the mounts left open (no volume is on a drive after a restart).
            var recovery = LibraryRecovery.Reconcile(catalog, configuration);
            if (CatalogRecovered.IsWorthSaying(recovery))
            {
                events.Publish(new CatalogRecovered(recovery));
            }

            host = new LibraryHost(configuration, folderLock, catalog, events, options, security);
            if (configuration.Security.AuditLog is { } auditPath)
            {
                var audit = new AuditLog(auditPath);
                events.Subscribe(audit.Write);
                host._audit = audit;
            }
            error = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            folderLock.Dispose();
            error = $"cannot open the catalog in {configuration.Storage.Root}: {e.Message}";
            return false;
        }
    }

    /// <summary>
    /// The server's events an operator reads in the EVENTS report (docs/admin-volumes.md): mounts that could
    /// not be done (MOUNTFAIL), drives taken over by another connection (TAKEOVER), buffered writes that
    /// failed after the host counted them done (DEFERREDUC).
    /// </summary>
    private static void Journal(ServerStatistics statistics, TapeEvent tapeEvent)
    {
        switch (tapeEvent)
        {
            case MountRefused refused:
                statistics.RecordEvent(refused.DeviceNumber, "MOUNTFAIL", $"{refused.Request}: {refused.Refusal.Message}");
                break;
            case DriveTakenOver takenOver:
                statistics.RecordEvent(takenOver.DeviceNumber, "TAKEOVER", $"taken over by {takenOver.By} from {takenOver.Connection}");
                break;
            case DeferredUnitCheck deferred:
                statistics.RecordEvent(deferred.DeviceNumber, "DEFERREDUC", $"buffered Write of {deferred.Count} bytes failed, sense {deferred.SenseHex}");
                break;
        }
    }

    /// <summary>Starts listening (a busy address throws <see cref="System.Net.Sockets.SocketException"/>).</summary>
    public void Start() => Server.Start();

    /// <summary>Stops the server in order (every CCW finished, every volume closed and given back to the catalog).</summary>
    public Task StopAsync() => Server.StopAsync();

    public async ValueTask DisposeAsync()
    {
        await Server.StopAsync().ConfigureAwait(false);
        foreach (var drive in Drives)
        {
            drive.Dispose();
        }

        _audit?.Dispose();
        _folderLock.Dispose();
    }
}
