using ChannelTape.Labels;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Store;

namespace ChannelTape.Library.Catalog;

/// <summary>
/// The library catalog: volumes, drives and mount history, as every part of ChannelTape sees it. Two
/// engines keep it with the same schema migrations and the same behaviour (the contract tests run
/// against both): <see cref="SqliteCatalog"/>, the embedded default (<c>DATA/catalog.db</c>, one server),
/// and <see cref="PostgresCatalog"/>, one catalog shared by several servers (docs/scale-out.md). An
/// instance may be shared by threads; operations that must not interleave (scratch allocation, mounts)
/// are atomic in the engine, so two drives — on one server or on several — never get the same volume.
/// </summary>
/// <remarks>
/// An abstract class rather than an interface so that <c>LibraryCatalog.Open(DATA)</c>, which every
/// command and test already calls, opens whichever catalog the data folder belongs to.
/// </remarks>
public abstract class LibraryCatalog
{
    protected LibraryCatalog(StorageLayout layout, int schemaVersion, string serverName)
    {
        Layout = layout;
        SchemaVersion = schemaVersion;
        ServerName = serverName;
    }

    /// <summary>Files of the data directory (for a shared catalog: this server's cache of the images).</summary>
    public StorageLayout Layout { get; }

    /// <summary>Schema version after migrations.</summary>
    public int SchemaVersion { get; }

    /// <summary>
    /// The server this instance mounts for: its drives and its mounts in a shared catalog (empty for the
    /// embedded catalog, whose drives all belong to the one server).
    /// </summary>
    public string ServerName { get; }

    /// <summary>Where the catalog is, for messages (<c>SQLite /srv/ctape/catalog.db</c>, <c>PostgreSQL db1:5432/ctape</c>).</summary>
    public abstract string Description { get; }

    /// <summary>True when several servers share the catalog (leases, per-server drives).</summary>
    public virtual bool IsShared => false;

    /// <summary>
    /// Where the images are kept beyond the data folder (an S3 bucket), with the data folder as its cache;
    /// <see cref="LocalVolumeImages"/> when the data folder is all there is.
    /// </summary>
    public VolumeImages Images { get; private set; } = new LocalVolumeImages();

    /// <summary>Sets where the images live (done once, when the library is opened).</summary>
    public void UseImages(VolumeImages images) => Images = images;

    /// <summary>
    /// Opens the catalog of the data folder <paramref name="dataDirectory"/>: the shared library the folder
    /// is bound to (<see cref="LibraryBinding"/>, written by <c>ctape serve --catalog</c>), else the embedded
    /// SQLite catalog in it (created if needed).
    /// </summary>
    /// <param name="dataDirectory">Data directory (created if missing).</param>
    /// <param name="time">Clock for timestamps (tests pass a fake one).</param>
    public static LibraryCatalog Open(string dataDirectory, TimeProvider? time = null)
    {
        var binding = LibraryBinding.Read(dataDirectory);
        return binding is null ? SqliteCatalog.Open(dataDirectory, time) : binding.Open(dataDirectory, time);
    }

    /// <summary>True when <paramref name="dataDirectory"/> has a catalog: an SQLite file, or a binding to a shared one.</summary>
    public static bool ExistsIn(string dataDirectory) =>
        File.Exists(new StorageLayout(dataDirectory).CatalogPath) || File.Exists(LibraryBinding.PathIn(dataDirectory));

    // ---- volumes

    /// <summary>Adds every serial of <paramref name="ranges"/> not yet in the catalog, in one transaction; existing volumes are left as they are.</summary>
    /// <returns>Volumes added and volumes that already existed.</returns>
    public abstract (long Added, long Existing) AddVolumes(IEnumerable<VolumeRange> ranges, NewVolumes volumes);

    /// <summary>The volume with serial <paramref name="serial"/>, or null.</summary>
    public abstract VolumeRecord? FindVolume(VolumeSerial serial);

    /// <summary>Volumes in serial order, optionally of one pool and/or status (read into memory).</summary>
    public IReadOnlyList<VolumeRecord> ListVolumes(string? pool = null, VolumeStatus? status = null) =>
        EnumerateVolumes(pool, status).ToList();

    /// <summary>Volumes in serial order, streamed: memory does not grow with the catalog.</summary>
    public abstract IEnumerable<VolumeRecord> EnumerateVolumes(string? pool = null, VolumeStatus? status = null);

    /// <summary>Volumes that match the filter (the total a page belongs to; the management API's <c>/api/volumes</c>).</summary>
    public abstract long CountVolumes(string? pool = null, VolumeStatus? status = null);

    /// <summary>At most <paramref name="limit"/> volumes in serial order from the <paramref name="offset"/>-th on, of one pool and/or status.</summary>
    public abstract IReadOnlyList<VolumeRecord> ListVolumes(string? pool, VolumeStatus? status, int offset, int limit);

    /// <summary>Number of volumes per pool and status, pools in name order.</summary>
    public abstract IReadOnlyList<PoolCounts> CountByPool();

    /// <summary>Makes a volume scratch (<paramref name="scratch"/> true) or private; refused while it is mounted.</summary>
    public abstract VolumeChange SetScratch(VolumeSerial serial, bool scratch);

    /// <summary>Moves a volume to another pool; refused while it is mounted.</summary>
    public abstract VolumeChange MoveToPool(VolumeSerial serial, string pool);

    /// <summary>Sets or clears the read-only flag (allowed while mounted; it applies to the next mount).</summary>
    public abstract VolumeChange SetReadOnly(VolumeSerial serial, bool readOnly);

    /// <summary>
    /// Records what is on a volume after it was written: bytes, blocks, first data set name, and the label type
    /// its first block now has when <paramref name="labels"/> is given (a host may write any labels); last written = now.
    /// </summary>
    public VolumeChange RecordWrite(VolumeSerial serial, long bytesUsed, long blocks, string? dataSetName, LabelType? labels = null) =>
        RecordWrite(serial, bytesUsed, blocks, dataSetName, labels, durable: false);

    /// <summary>
    /// As <see cref="RecordWrite(VolumeSerial, long, long, string?, LabelType?)"/>; <paramref name="durable"/>: committed
    /// with full synchronisation (a synchronisation point, docs/performance.md), using the catalog's space reserve on a full disk.
    /// </summary>
    public abstract VolumeChange RecordWrite(VolumeSerial serial, long bytesUsed, long blocks, string? dataSetName, LabelType? labels, bool durable);

    /// <summary>
    /// Records that the image of <paramref name="serial"/> is now <paramref name="image"/> in the store, if
    /// the volume is still held by the mount <paramref name="mountId"/> (null: no mount, an import under the
    /// caller's own lock). False when the mount ended meanwhile (a server that lost its lease): the upload is
    /// then not the volume's image, and the object stays unreferenced. <paramref name="superseded"/>: the object
    /// the catalog named before (null when none, or when nothing was recorded); nothing names it any more once
    /// this returns true, so the caller deletes it from the store.
    /// </summary>
    public abstract bool RecordStoredImage(VolumeSerial serial, StoredImage image, long? mountId, out string? superseded);

    /// <summary>Marks a volume mounted-dirty (its image changed here and is not yet in the store) or clean.</summary>
    public abstract VolumeChange SetDirty(VolumeSerial serial, bool dirty);

    // ---- drives and configuration

    /// <summary>This server's drives (every server's in a shared catalog opened without a server), in device number order.</summary>
    public abstract IReadOnlyList<DriveRecord> ListDrives();

    /// <summary>
    /// Makes the catalog agree with <paramref name="configuration"/>, in one transaction: every serial of
    /// every pool range gets a volume row if it has none (existing volumes keep their pool, status and
    /// contents); configured drives are added or get their model updated; drives no longer configured are
    /// removed unless a volume is on them. Idempotent: every server of a shared library runs it at start.
    /// </summary>
    public abstract CatalogSyncResult SyncFromConfiguration(LibraryConfiguration configuration);

    // ---- mounts

    /// <summary>Takes the least recently mounted writable scratch volume of <paramref name="pool"/> for drive <paramref name="deviceNumber"/> and starts its mount, atomically.</summary>
    public abstract MountStart TryAllocateScratch(string pool, ushort deviceNumber);

    /// <summary>Starts the mount of a specific volume on a drive (refused while it is mounted anywhere).</summary>
    public abstract MountStart BeginMount(VolumeSerial serial, ushort deviceNumber);

    /// <summary>The volume of mount <paramref name="mountId"/> is ready on its drive: counts the mount. False if the mount is not pending.</summary>
    public abstract bool CompleteMount(long mountId);

    /// <summary>
    /// Ends mount <paramref name="mountId"/> and frees its drive. The volume becomes private if a scratch
    /// request took it and the mount completed, or it was written during the mount; otherwise it returns to
    /// the status it had. False if the mount had already ended.
    /// </summary>
    public bool EndMount(long mountId) => EndMount(mountId, durable: false);

    /// <summary>
    /// As <see cref="EndMount(long)"/>; <paramref name="durable"/>: committed with full synchronisation (a Rewind
    /// Unload is a synchronisation point, docs/performance.md). On a full disk the embedded catalog gives up its
    /// space reserve for it (<see cref="StorageLayout.ReservePath"/>): an unload is always recorded.
    /// </summary>
    public abstract bool EndMount(long mountId, bool durable);

    /// <summary>Ends every open mount of this server (after a restart nothing is on its drives). Returns how many.</summary>
    public abstract int EndAllMounts();

    /// <summary>The open mount on this server's drive <paramref name="deviceNumber"/>, or null.</summary>
    public abstract MountRecord? OpenMount(ushort deviceNumber);

    /// <summary>Most recent mounts first, of one volume or all; at most <paramref name="limit"/>.</summary>
    public abstract IReadOnlyList<MountRecord> MountHistory(VolumeSerial? serial = null, int limit = 100);

    /// <summary>Deletes the oldest ended mounts so that at most <paramref name="keep"/> ended ones remain; returns how many went.</summary>
    public abstract int PruneMountHistory(int keep);

    /// <summary>Mounts not yet ended (requested or loaded), of every server, in device number order.</summary>
    public abstract IReadOnlyList<MountRecord> OpenMounts();

    // ---- edits and import

    /// <summary>Applies every edit in one transaction, or none when any is refused.</summary>
    public IReadOnlyList<VolumeEditResult> ApplyEdits(IReadOnlyList<VolumeEdit> edits) => ApplyEdits(edits, [], out _);

    /// <summary>
    /// As <see cref="ApplyEdits(IReadOnlyList{VolumeEdit})"/>, and in the same transaction adds the volumes
    /// of <paramref name="additions"/>; an addition that names a volume already in the catalog refuses
    /// everything (<paramref name="existing"/> says how many were there).
    /// </summary>
    public abstract IReadOnlyList<VolumeEditResult> ApplyEdits(IReadOnlyList<VolumeEdit> edits,
        IReadOnlyList<(VolumeRange Range, NewVolumes Volumes)> additions, out long[] existing);

    /// <summary>
    /// Puts a prepared image (a complete, validated file in the volumes directory) in place as volume
    /// <c>import.Serial</c> while the volume is locked, so no mount can start on the old or a half image
    /// (with a store: uploaded before the catalog names it). Refused while mounted. On a refusal the prepared
    /// file is left for the caller to delete.
    /// </summary>
    public abstract ImportOutcome ImportVolume(VolumeImport import, string preparedImagePath, NewVolumes? newVolume);

    /// <summary>The newest mount of <paramref name="serial"/> (open or ended), or null if it was never mounted.</summary>
    public abstract long? LatestMountId(VolumeSerial serial);

    // ---- recovery

    /// <summary>Records what a rescan of a volume's image found, with <paramref name="writtenAt"/> as last written.</summary>
    public abstract VolumeChange RecordScan(VolumeSerial serial, long bytesUsed, long blocks, string? dataSetName, DateTimeOffset writtenAt);

    /// <summary>Marks every drive of this server empty. Returns how many drives changed.</summary>
    public abstract int ResetDrives();

    // ---- reports

    /// <summary>Volumes whose serial starts with <paramref name="serialPrefix"/> ("" = all), in serial order, streamed.</summary>
    public abstract IEnumerable<VolumeRecord> EnumerateVolumesByPrefix(string serialPrefix);

    /// <summary>The VOLUMES report's rows: volumes whose serial starts with <paramref name="serialPrefix"/>, in serial order, streamed.</summary>
    public abstract IEnumerable<VolumeListing> EnumerateVolumeListings(string serialPrefix);

    /// <summary>Scratch volumes of the pools whose name starts with <paramref name="poolPrefix"/> ("" = all), by pool then serial, streamed.</summary>
    public abstract IEnumerable<VolumeRecord> EnumerateScratchVolumes(string poolPrefix);

    /// <summary>Per-pool totals, pools whose name starts with <paramref name="poolPrefix"/>, in name order.</summary>
    public abstract IReadOnlyList<PoolUsage> PoolUsage(string poolPrefix);

    /// <summary>Mounts newest first, of one drive (of this server) or all, at most <paramref name="limit"/>, streamed.</summary>
    public abstract IEnumerable<MountRecord> EnumerateMountHistory(ushort? deviceNumber, int limit);

    /// <summary>Mounts that completed (volume ready) at or after <paramref name="since"/>.</summary>
    public abstract long CountMountsSince(DateTimeOffset since);

    // ---- servers sharing the catalog

    /// <summary>
    /// Takes or renews this server's lease for <paramref name="lease"/> from now (the catalog's clock).
    /// False when the lease had run out before it was renewed: other servers may have ended this server's
    /// mounts, so it must stop writing to them (fence its drives) and start again with
    /// <see cref="RegisterServer"/>. The embedded catalog has no other servers: always true.
    /// </summary>
    public virtual bool RenewLease(TimeSpan lease) => true;

    /// <summary>Registers this server with a fresh lease (at start, and after it lost one).</summary>
    public virtual void RegisterServer(TimeSpan lease)
    {
    }

    /// <summary>Gives up this server's lease (a clean stop, after its mounts ended).</summary>
    public virtual void UnregisterServer()
    {
    }

    /// <summary>
    /// Ends the open mounts of every server whose lease has run out (it died or was cut off) and drops those
    /// servers, except volumes it left mounted-dirty (their newest image is only in that server's cache:
    /// they stay held until it comes back). Returns what was released.
    /// </summary>
    public virtual IReadOnlyList<ReleasedLease> ReleaseExpiredLeases() => [];

    /// <summary>The servers of a shared catalog with their leases (empty for the embedded catalog).</summary>
    public virtual IReadOnlyList<ServerLease> Servers() => [];

    // ---- damaged catalogs and full disks (docs/security.md, "Crash-safe state")

    /// <summary>Schema versions a newer ctape recorded, which this build serves without (their tables and columns are left alone).</summary>
    public virtual IReadOnlyList<int> NewerSchemaVersions => [];

    /// <summary>Sets aside every row that cannot be read; returns what it set aside (empty when all read).</summary>
    public virtual IReadOnlyList<QuarantinedRow> QuarantineBadRows() => [];

    /// <summary>The rows set aside so far, newest first.</summary>
    public virtual IReadOnlyList<QuarantinedRow> ListQuarantine() => [];

    /// <summary>Why <paramref name="serial"/> (as the host wrote it) is quarantined; null when it is not.</summary>
    public virtual string? QuarantineReason(string serial) => null;

    /// <summary>
    /// Keeps the space reserve of a catalog on the library's own disk in place (<see cref="StorageLayout.ReservePath"/>);
    /// false when the disk has no room for it. A catalog on a database server has none and answers true.
    /// </summary>
    public virtual bool EnsureReserve() => true;

    /// <summary>Raised when a commit on a full disk used up the space reserve (the library reports it).</summary>
    public event Action? ReserveUsed;

    protected void OnReserveUsed() => ReserveUsed?.Invoke();

    /// <summary>True for an exception that says the disk (or the database's limit) is full: SQLite's SQLITE_FULL, ENOSPC.</summary>
    public static bool IsDiskFull(Exception e) =>
        e is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 13 } || e is IOException io && (io.HResult & 0xFFFF) == 28;
}

/// <summary>An image as it is kept in the store.</summary>
/// <param name="Key">Object key (each upload writes a new object; the catalog names the current one).</param>
/// <param name="ETag">The store's entity tag of the object.</param>
/// <param name="Size">Bytes.</param>
/// <param name="Sha256">SHA-256 of the bytes, hex (checked after a recall).</param>
public sealed record StoredImage(string Key, string ETag, long Size, string Sha256);

/// <summary>A server of a shared catalog.</summary>
/// <param name="Name">Its name (host and data folder).</param>
/// <param name="StartedAt">When it registered.</param>
/// <param name="LeaseUntil">When its lease runs out unless renewed (the catalog's clock).</param>
/// <param name="Expired">True when the lease has run out.</param>
public sealed record ServerLease(string Name, DateTimeOffset StartedAt, DateTimeOffset LeaseUntil, bool Expired);

/// <summary>The mounts of a server whose lease ran out, released by another.</summary>
/// <param name="Server">The server that lost its lease.</param>
/// <param name="VolumesReleased">Volumes given back.</param>
/// <param name="VolumesKeptDirty">Volumes left held because the server had not uploaded their newest image.</param>
public sealed record ReleasedLease(string Server, IReadOnlyList<VolumeSerial> VolumesReleased, IReadOnlyList<VolumeSerial> VolumesKeptDirty);
