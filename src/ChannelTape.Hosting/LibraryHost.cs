using System.Diagnostics.CodeAnalysis;
using ChannelTape.Admin.Volumes;
using ChannelTape.Device;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using ChannelTape.Library.Store;
using ChannelTape.Management;
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

    /// <summary>Where the management API's own warnings go (Kestrel's); null for nowhere. Its events go to the hub like every other.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? Loggers { get; init; }

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
    private readonly CatalogVolumeResolver _catalogVolumes;
    private readonly ServerLeaseKeeper? _leases;
    private readonly string? _managementSecret;
    private readonly LibraryHostOptions _options;
    private AuditLog? _audit;

    private LibraryHost(LibraryConfiguration configuration, DataFolderLock folderLock, LibraryCatalog catalog, CatalogVolumeResolver catalogVolumes,
        TapeEventHub events, LibraryHostOptions options, Server.Security.ServerSecurity security, string? managementSecret)
    {
        _folderLock = folderLock;
        _catalogVolumes = catalogVolumes;
        Configuration = configuration;
        // The operations plane hears every event from here on (mounts, connections) for its counters and feed.
        Monitor = configuration.Management.Http is null ? null : new OperationsMonitor(events, options.Time);
        Catalog = catalog;
        Events = events;
        var drives = new Dictionary<ushort, DriveRuntime>();
        Statistics = new ServerStatistics(device => drives.GetValueOrDefault(device)?.Volume.VolumeSerial, time: options.Time);
        foreach (var config in configuration.Drives)
        {
            IDriveExecutor executor = options.Execution == DriveExecution.Inline
                ? new InlineDriveExecutor()
                : new GatedDriveExecutor(e => events.Publish(new DriveWorkFailed(config.DeviceNumber, e)));
            DriveRuntime? drive = null;
            drive = new DriveRuntime(new TapeDrive(config.Model, config.DeviceNumber), executor, events,
                device => new StatisticsRecordingDevice(device, Statistics, () => drive!.Volume.IsAdministrative));
            drives.Add(config.DeviceNumber, drive);
        }

        // docs/security.md: library volumes by name; images by path only inside the image folders, never in the storage root.
        var confinement = ImageConfinement.Folders(configuration.ImageFolders, [configuration.Storage.Root]);
        foreach (var drive in drives.Values)
        {
            drive.Confine(confinement);
        }

        View = new LibraryView(configuration, catalog, drives.Values);
        AdminVolumes = AdminVolumeResolver.Create(View, catalogVolumes, Statistics, options.Time, events);
        Manager = new LibraryManager(View, AdminVolumes, options.Time);
        events.Subscribe(tapeEvent => Journal(Statistics, tapeEvent));
        // A recalled image completes the mount waiting for it; an upload that ended a mount frees the volume
        // (and the drive) for requests that waited on it.
        events.Subscribe(tapeEvent =>
        {
            switch (tapeEvent)
            {
                case VolumeRecalled recalled:
                    Manager.RetryPending(recalled.DeviceNumber);
                    break;
                case VolumeUploaded uploaded:
                    Manager.RetryPending(uploaded.DeviceNumber);
                    foreach (var waiting in View.Drives.Where(d => d.Volume.PendingRequest == uploaded.Volume))
                    {
                        Manager.RetryPending(waiting.DeviceNumber);
                    }

                    break;
            }
        });
        if (catalog.IsShared)
        {
            _leases = new ServerLeaseKeeper(catalog, Manager, catalogVolumes, events, configuration.Storage.SharedOrDefault.Lease);
        }

        Server = new TapeServer(View.Drives, options.Server with
        {
            Listen = configuration.Listen,
            MaxConnections = configuration.Limits.MaxConnections,
            MaxConnectionsPerAddress = configuration.Limits.MaxConnectionsPerAddress,
            HandshakeTimeout = TimeSpan.FromSeconds(configuration.Limits.HandshakeSeconds),
            Features = options.Features,
            Security = security,
        }, events);
        _managementSecret = managementSecret;
        _options = options;
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

    /// <summary>The management API, metrics, health checks and status page (docs/operations.md) once started; null when turned off (<c>http none</c>).</summary>
    public ManagementServer? Management { get; private set; }

    /// <summary>What the operations plane learned from the events; null when the management API is off.</summary>
    public OperationsMonitor? Monitor { get; }

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
        var shared = configuration.Storage.SharedOrDefault;
        if (shared.Catalog is not null && shared.Store is null)
        {
            error = "a shared catalog (--catalog) needs a shared store for the images (--store s3://BUCKET): each server's data folder is only its cache";
            return false;
        }

        if (!HostSecurity.TryBuild(configuration, options.SecretFile, options.Insecure, out var security, out var warning, out error))
        {
            return false;
        }

        // The management API's bearer token: its own secret file, else the server's shared secret (docs/operations.md).
        string? managementSecret = null;
        if (ManagementSecretFile(configuration, options) is { } secretFile && !ManagementSettings.TryReadSecret(secretFile, out managementSecret, out error))
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

        LibraryCatalog? catalog = null;
        try
        {
            catalog = OpenCatalog(configuration, options.Time);
            if (catalog.NewerSchemaVersions.Count > 0)
            {
                events.Publish(new CatalogSchemaNewer(catalog.NewerSchemaVersions, catalog.SchemaVersion));
            }

            // Rows that cannot be read are set aside before anything else reads the catalog; the rest serves.
            if (catalog.QuarantineBadRows() is { Count: > 0 } quarantined)
            {
                events.Publish(new CatalogRowsQuarantined(quarantined));
            }

            if (catalog.IsShared)
            {
                // Registered before anything is mounted, so the servers' reapers see this one alive.
                catalog.RegisterServer(shared.Lease);
            }

            catalog.SyncFromConfiguration(configuration);
            // Room for the commits that must happen on a full disk (an unload recorded).
            catalog.EnsureReserve();
            var reserveHolder = catalog;
            catalog.ReserveUsed += () => events.Publish(new CatalogReserveUsed(reserveHolder.Layout.ReservePath));
            var catalogVolumes = new CatalogVolumeResolver(catalog, configuration, events);
            // After a crash (kill -9) the images may hold more than the catalog recorded: rescan them (with a
            // store: upload what this server's own open mounts wrote), then end the mounts left open.
            var recovery = catalog.Images is CachedStoreImages store
                ? StoreRecovery.Reconcile(catalog, configuration, store, catalogVolumes.Uploads!)
                : LibraryRecovery.Reconcile(catalog, configuration);
            if (CatalogRecovered.IsWorthSaying(recovery))
            {
                events.Publish(new CatalogRecovered(recovery));
            }

            host = new LibraryHost(configuration, folderLock, catalog, catalogVolumes, events, options, security, managementSecret);
            if (configuration.Security.AuditLog is { } auditPath)
            {
                var audit = new AuditLog(auditPath);
                events.Subscribe(audit.Write);
                host._audit = audit;
            }

            host._leases?.Start();
            error = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Data.Common.DbException or ArgumentException
                                       or VolumeStoreException or InvalidDataException or InvalidOperationException or TimeoutException)
        {
            (catalog as IDisposable)?.Dispose();
            (catalog?.Images as IDisposable)?.Dispose();
            folderLock.Dispose();
            var where = configuration.Storage.Shared?.Catalog is not null ? "the shared catalog" : $"the catalog in {configuration.Storage.Root}";
            error = e is VolumeStoreException ? e.Message : $"cannot open {where}: {e.Message}";
            return false;
        }
    }

    /// <summary>
    /// The file whose secret the management API asks for as a bearer token: the top-level <c>secret-file</c>, else
    /// the server's shared secret (<c>ctape serve --secret-file</c>, <c>security { secret-file }</c>); null for none.
    /// </summary>
    private static string? ManagementSecretFile(LibraryConfiguration configuration, LibraryHostOptions options) =>
        configuration.Management.SecretFile ?? options.SecretFile ?? configuration.Security.SecretFile;

    /// <summary>
    /// The configuration's library: a shared one (its binding written into the data folder, so that
    /// <c>ctape volume</c> and <c>ctape status</c> there open the same library), else whatever the data folder
    /// belongs to (<see cref="LibraryCatalog.Open"/>).
    /// </summary>
    private static LibraryCatalog OpenCatalog(LibraryConfiguration configuration, TimeProvider time)
    {
        var root = configuration.Storage.Root;
        var shared = configuration.Storage.SharedOrDefault;
        if (!shared.IsShared)
        {
            return LibraryCatalog.Open(root, time);
        }

        var binding = new LibraryBinding(shared.Catalog, shared.Store, shared.S3Endpoint, shared.CacheLimit);
        var catalog = binding.Open(root, time, shared.ServerName ?? $"{Environment.MachineName}:{root}");
        binding.Write(root);
        return catalog;
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

    /// <summary>
    /// Starts listening: the tape server (a busy address throws <see cref="System.Net.Sockets.SocketException"/>),
    /// then the management API (a busy address throws <see cref="ManagementStartException"/>).
    /// </summary>
    public void Start()
    {
        Server.Start();
        if (Configuration.Management.Http is { } http)
        {
            var management = Management = new ManagementServer(
                new ManagedLibrary(Configuration, View, Server, Statistics, Events, _options.Time),
                Monitor!,
                new ManagementSettings(http, _managementSecret, Configuration.Management.TransferFolder),
                _options.Loggers);
            try
            {
                management.StartAsync().GetAwaiter().GetResult();
            }
            catch (IOException e)
            {
                throw new ManagementStartException($"cannot listen for the management API on {management.Settings.Http}: {e.Message}", e);
            }

            // Announced in every HelloReply from now on: ctape finds the API from the tape server's address.
            Server.ManagementAddress = management.Address.ToString();

            Events.Publish(new ManagementListening(management.Address, management.Settings.Secret is not null,
                management.Settings.TransferFolder, System.Net.IPAddress.IsLoopback(management.Settings.Http.Address),
                ManagementSecretFile(Configuration, _options) is { } secretFile && ManagementSettings.IsReadableByOthers(secretFile)));
        }
    }

    /// <summary>Stops the management API, then the server in order (every CCW finished, every volume closed and given back to the catalog).</summary>
    public async Task StopAsync()
    {
        if (Management is { } management)
        {
            await management.StopAsync().ConfigureAwait(false);
        }

        await Server.StopAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        if (Management is { } management)
        {
            await management.DisposeAsync().ConfigureAwait(false);
        }

        Monitor?.Dispose();
        foreach (var drive in Drives)
        {
            drive.Dispose();
        }

        // Volumes whose upload is still failing stay mounted-dirty in the catalog; the next start uploads them.
        if (_catalogVolumes.Uploads is { } uploads)
        {
            await uploads.DrainAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            await uploads.DisposeAsync().ConfigureAwait(false);
        }

        if (_leases is not null)
        {
            await _leases.DisposeAsync().ConfigureAwait(false);
        }

        (Catalog.Images as IDisposable)?.Dispose();
        (Catalog as IDisposable)?.Dispose();
        _audit?.Dispose();
        _folderLock.Dispose();
    }

    /// <summary>The lease keeper of a shared catalog (null for the embedded one).</summary>
    public ServerLeaseKeeper? Leases => _leases;

    /// <summary>The catalog's volumes (uploads of a store-backed library, fencing).</summary>
    public CatalogVolumeResolver CatalogVolumes => _catalogVolumes;
}

/// <summary>The management API could not listen (its address is in use or not this machine's).</summary>
public sealed class ManagementStartException(string message, Exception inner) : Exception(message, inner);

/// <summary>The management API listens at <paramref name="Address"/>.</summary>
public sealed record ManagementListening(Uri Address, bool Secret, string? TransferFolder, bool Loopback, bool SecretReadableByOthers) : TapeEvent
{
    /// <summary>
    /// An API open to the network without a secret, or a secret file others may read, is worth a warning:
    /// anyone who reaches the address (or reads the file) may change the library.
    /// </summary>
    public override Microsoft.Extensions.Logging.LogLevel Level =>
        (Secret || Loopback) && !SecretReadableByOthers ? Microsoft.Extensions.Logging.LogLevel.Information : Microsoft.Extensions.Logging.LogLevel.Warning;

    public override string Message =>
        $"management API, metrics and status page on {Address}"
        + (Secret ? "; writes need the secret" : Loopback ? "; no secret: writes are open to this machine" : "; NO SECRET: anyone who reaches this address may mount, unload and change volumes")
        + (SecretReadableByOthers ? "; the secret file is readable by every user of this machine: chmod o-r it" : "")
        + (TransferFolder is null ? "; HTTP import/export off (no transfer-folder)" : $"; transfer folder {TransferFolder}");
}
