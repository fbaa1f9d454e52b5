using System.Collections.Concurrent;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Store;
using ChannelTape.Media;
using ChannelTape.Runtime;
using ChannelTape.Runtime.Events;

namespace ChannelTape.Library.Mounts;

/// <summary>
/// The catalog's volumes as a <see cref="IVolumeResolver"/>: starts a mount in the catalog (a specific
/// volume, or any scratch volume of a pool, each atomic in the catalog so no volume is handed out twice),
/// opens the volume's image — creating and labelling it on first use, as <c>hetinit</c> would — and
/// completes the mount; the lease it returns records what was written and ends the mount.
/// With images in a store (<see cref="CachedStoreImages"/>) the image must be current in this server's
/// cache first: a specific mount whose image is missing or stale starts a recall and is refused as
/// <see cref="VolumeRefusalReason.Recalling"/> — the mount is in progress, the volume held for the drive —
/// and completes when the library asks again after <see cref="VolumeRecalled"/>. A scratch mount recalls
/// nothing (the host writes it from the start: the volume gets fresh labels, as a TS7700 fast-ready
/// category does). A changed image is uploaded on release before the volume is free for others
/// (<see cref="StoreUploads"/>).
/// </summary>
public sealed class CatalogVolumeResolver : IVolumeResolver
{
    private readonly LibraryCatalog _catalog;
    private readonly LibraryConfiguration _configuration;
    private readonly TapeEventHub? _events;
    private readonly CachedStoreImages? _store;
    private readonly ConcurrentDictionary<ushort, PendingRecall> _recalls = new();

    public CatalogVolumeResolver(LibraryCatalog catalog, LibraryConfiguration configuration, TapeEventHub? events = null)
    {
        _catalog = catalog;
        _configuration = configuration;
        _events = events;
        _store = catalog.Images as CachedStoreImages;
        Uploads = _store is null ? null : new StoreUploads(catalog, _store, events);
    }

    /// <summary>Uploads of changed images after demounts (null without a store).</summary>
    public StoreUploads? Uploads { get; }

    /// <summary>True while the server has no lease on the shared catalog: nothing is mounted.</summary>
    public bool Fenced { get; set; }

    public VolumeResolution Resolve(in VolumeRequest request)
    {
        try
        {
            return ResolveCore(request);
        }
        catch (Exception e) when (LibraryCatalog.IsDiskFull(e) || e is System.Data.Common.DbException or IOException)
        {
            // A full disk (or a catalog that cannot be written) refuses the mount; the connection stays.
            bool full = LibraryCatalog.IsDiskFull(e) || StorageIsFull();
            return VolumeResolution.Refused(full ? VolumeRefusalReason.DiskFull : VolumeRefusalReason.CannotOpen,
                full
                    ? $"the disk holding the library ({_catalog.Layout.DataDirectory}) is full: volume {request.Serial} cannot be mounted until there is room"
                    : $"the catalog cannot be written: {e.Message}");
        }
    }

    private VolumeResolution ResolveCore(in VolumeRequest request)
    {
        if (Fenced)
        {
            return VolumeResolution.Refused(VolumeRefusalReason.Fenced, "this server lost its lease on the shared catalog; mounts resume when it holds one again");
        }

        if (_recalls.TryRemove(request.DeviceNumber, out var pending))
        {
            if (!request.Scratch && pending.Volume.Serial.Value == request.Serial.Trim())
            {
                return ResolveRecalled(pending, request.Options);
            }

            _catalog.EndMount(pending.MountId); // the host asks for something else now
        }

        MountStart start;
        if (request.Scratch)
        {
            if (request.ScratchPool is not { } pool)
            {
                return VolumeResolution.Refused(VolumeRefusalReason.NoScratchPool, "no scratch pool for this drive");
            }

            if (!request.Authority.MayUsePool(pool))
            {
                return VolumeResolution.Refused(VolumeRefusalReason.NotAuthorised, $"host {request.Authority} may not take scratch volumes from pool {pool}");
            }

            start = _catalog.TryAllocateScratch(pool, request.DeviceNumber);
        }
        else if (!VolumeSerial.TryParse(request.Serial, out var serial))
        {
            return VolumeResolution.Refused(VolumeRefusalReason.NotAVolumeSerial, $"'{request.Serial}' is not a volume serial");
        }
        else if (PoolRefusal(_catalog.FindVolume(serial), request) is { } refused)
        {
            return refused;
        }
        else if (MediaRefusal(serial, request.DeviceNumber) is { } refusal)
        {
            return refusal;
        }
        else
        {
            start = _catalog.BeginMount(serial, request.DeviceNumber);
        }

        if (!start.Started)
        {
            return Refusal(start, request.Serial);
        }

        var volume = start.Volume!;
        if (PoolRefusal(volume, request) is { } moved)
        {
            // Moved to another pool between the look and the mount.
            _catalog.EndMount(start.MountId);
            return moved;
        }

        if (_store is not null)
        {
            var path = _catalog.Layout.ImagePath(volume);
            if (request.Scratch)
            {
                _store.Discard(path);
            }
            else if (!_store.IsCurrent(volume, path))
            {
                return StartRecall(new PendingRecall(start.MountId, volume, request.DeviceNumber, _store.BeginRecall(volume, path), DateTimeOffset.UtcNow));
            }
        }

        if (request.Scratch && request.Labels is { } wanted)
        {
            volume = Relabelled(volume, wanted, request.DeviceNumber);
        }

        return OpenAndComplete(start.MountId, volume, request.Options);
    }

    private VolumeResolution StartRecall(PendingRecall pending)
    {
        _recalls[pending.DeviceNumber] = pending;
        pending.Recall.ContinueWith(task =>
        {
            if (task.IsFaulted)
            {
                _events?.Publish(new VolumeRecallFailed(pending.DeviceNumber, pending.Volume.Serial.Value, task.Exception!.InnerException!.Message));
            }

            // The library asks again (a failed recall then gives its refusal).
            _events?.Publish(new VolumeRecalled(pending.DeviceNumber, pending.Volume.Serial.Value, task.IsFaulted ? 0 : pending.Volume.Stored!.Size,
                DateTimeOffset.UtcNow - pending.Started));
        }, TaskScheduler.Default);
        return VolumeResolution.Refused(VolumeRefusalReason.Recalling,
            $"volume {pending.Volume.Serial.Value} is being recalled from the store ({pending.Volume.Stored!.Size} bytes): mount in progress");
    }

    private VolumeResolution ResolveRecalled(PendingRecall pending, TapeImageOptions options)
    {
        if (!pending.Recall.IsCompleted)
        {
            _recalls[pending.DeviceNumber] = pending;
            return VolumeResolution.Refused(VolumeRefusalReason.Recalling,
                $"volume {pending.Volume.Serial.Value} is being recalled from the store: mount in progress");
        }

        if (pending.Recall.IsFaulted)
        {
            _catalog.EndMount(pending.MountId);
            return VolumeResolution.Refused(VolumeRefusalReason.CannotOpen,
                $"volume {pending.Volume.Serial.Value} cannot be recalled: {pending.Recall.Exception!.InnerException!.Message}");
        }

        return OpenAndComplete(pending.MountId, pending.Volume, options);
    }

    private VolumeResolution OpenAndComplete(long mountId, VolumeRecord volume, TapeImageOptions options)
    {
        if (!TryOpenImage(volume, options, out var media, out var error, out var diskFull))
        {
            _catalog.EndMount(mountId, durable: true);
            // Whether the disk was full is looked at where the image failed, before its remains were deleted.
            return diskFull
                ? VolumeResolution.Refused(VolumeRefusalReason.DiskFull,
                    $"the disk holding the library ({_catalog.Layout.DataDirectory}) is full: volume {volume.Serial.Value} cannot be created ({error})")
                : VolumeResolution.Refused(VolumeRefusalReason.CannotOpen, $"volume {volume.Serial.Value} cannot be opened: {error}");
        }

        if (_store is not null)
        {
            var path = _catalog.Layout.ImagePath(volume);
            _store.Pin(volume.Serial);
            _store.Touch(path);
        }

        try
        {
            _catalog.CompleteMount(mountId);
        }
        catch (Exception e) when (LibraryCatalog.IsDiskFull(e))
        {
            media.Dispose();
            _catalog.EndMount(mountId, durable: true);
            throw;
        }

        // docs/performance.md: a pool's sync points; the default makes Write Tape Mark and the unload durable.
        var sync = _configuration.FindPool(volume.Pool)?.Sync ?? SyncPoint.TapeMark;
        if (sync != SyncPoint.None && !media.IsReadOnly)
        {
            media = new SynchronizingMedia(media, sync == SyncPoint.TapeMark ? SyncPoints.TapeMark | SyncPoints.Close : SyncPoints.Close);
        }

        _catalog.EnsureReserve();
        return VolumeResolution.Of(new CatalogLease(this, volume, media, mountId, durable: sync != SyncPoint.None));
    }

    /// <summary>Less than a megabyte left where the library keeps its images: a new image failing there failed for room.</summary>
    private bool StorageIsFull()
    {
        try
        {
            return new DriveInfo(_catalog.Layout.DataDirectory).AvailableFreeSpace < 1024 * 1024;
        }
        catch (Exception e) when (e is IOException or ArgumentException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// A volume belongs to its pool and the pool to the hosts that list it (docs/security.md): a host
    /// mounts only volumes of its own pools, so another host's private volume is refused here, before the
    /// catalog is touched.
    /// </summary>
    private static VolumeRefusal? PoolRefusal(VolumeRecord? volume, in VolumeRequest request) =>
        volume is not null && !request.Authority.MayUsePool(volume.Pool)
            ? new VolumeRefusal(VolumeRefusalReason.NotAuthorised, $"volume {volume.Serial.Value} belongs to pool {volume.Pool}, which host {request.Authority} may not use")
            : null;

    /// <summary>
    /// A volume whose media the drive cannot take: a 3480 reads and writes Cartridge System Tape only, a 3420
    /// reels only; a 3490E takes both cartridge kinds (docs/config.md "drive"; <see cref="MediaTypes.IsSupportedBy"/>).
    /// </summary>
    private VolumeRefusal? MediaRefusal(VolumeSerial serial, ushort deviceNumber)
    {
        if (_configuration.FindDrive(deviceNumber) is not { } drive || _catalog.FindVolume(serial) is not { } volume
            || volume.Media.IsSupportedBy(drive.Model))
        {
            return null;
        }

        return new VolumeRefusal(VolumeRefusalReason.MediaNotSupported,
            $"volume {serial.Value} is {MediaTypes.Name(volume.Media)} media, which drive {deviceNumber:X4} (IBM {(ushort)drive.Model:X4}) does not take");
    }

    private VolumeRefusal Refusal(MountStart start, string serial) => start.Refusal switch
    {
        MountRefusal.UnknownVolume when _catalog.QuarantineReason(serial) is { } reason =>
            new(VolumeRefusalReason.Quarantined, $"volume {serial}'s catalog row was quarantined at start ({reason}); an operator must repair it"),
        MountRefusal.UnknownVolume => new(VolumeRefusalReason.UnknownVolume, $"volume {serial} is not in the library"),
        MountRefusal.VolumeMounted => new(VolumeRefusalReason.VolumeMounted, start.Volume?.MountedBy is { } server
            ? $"volume {serial} is mounted on drive {start.Volume.MountedOn:X4} of server {server}"
            : $"volume {serial} is mounted on drive {start.Volume?.MountedOn:X4}"),
        MountRefusal.NoScratchVolume => new(VolumeRefusalReason.NoScratchVolume, "no scratch volume left in the pool"),
        MountRefusal.DriveBusy => new(VolumeRefusalReason.DriveBusy, "the drive has a mount in progress"),
        MountRefusal.UnknownDrive => new(VolumeRefusalReason.UnknownDrive, "the drive is not in the catalog"),
        _ => throw new InvalidOperationException($"mount refusal {start.Refusal} has no wording"),
    };

    /// <summary>
    /// A scratch volume for a non-specific request whose host expects other labels than its image has
    /// (<c>IEF233A M 480,SCRTCH,NL,...</c>, a Load Display's label character): its data sets have expired, so its
    /// image is made again, labelled as the host expects, when it is opened (docs/guests.md). The catalog records
    /// the labels the host wrote when the volume comes back.
    /// </summary>
    private VolumeRecord Relabelled(VolumeRecord volume, LabelType wanted, ushort deviceNumber)
    {
        var path = _catalog.Layout.ImagePath(volume);
        if (File.Exists(path) && VolumeScanner.DetectLabels(path, volume.Labels) != wanted)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _events?.Publish(new CatalogWriteFailed(deviceNumber, volume.Serial.Value, $"scratch volume not relabelled {LabelTypes.Name(wanted)}", e.Message));
                return volume;
            }
        }

        return volume with { Labels = wanted };
    }

    /// <summary>
    /// Opens a catalog volume's image, creating and labelling it on first use. The volume's own settings win
    /// over what the mount asked for: read-only if either says so, the volume's capacity.
    /// </summary>
    private bool TryOpenImage(VolumeRecord volume, TapeImageOptions asked, out ITapeMedia media, out string error, out bool diskFull)
    {
        diskFull = false;
        string path = _catalog.Layout.ImagePath(volume);
        var options = asked with { ReadOnly = asked.ReadOnly || volume.ReadOnly, MaxSize = volume.Capacity };
        if (File.Exists(path))
        {
            return TapeImage.TryOpen(path, options, out media!, out error!);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var format = path.EndsWith(".het", StringComparison.OrdinalIgnoreCase) ? TapeImageFormat.Het : TapeImageFormat.Aws;
        if (format == TapeImageFormat.Het)
        {
            var storage = _configuration.Storage.Format;
            options = options with
            {
                Compress = storage.Compression != Configuration.HetCompression.None,
                Method = storage.Compression == Configuration.HetCompression.Bzip2 ? Media.HetCompression.Bzip2 : Media.HetCompression.Zlib,
                Level = storage.Level == 0 ? ImageFormat.DefaultLevel : storage.Level,
            };
        }

        if (!TapeImage.TryCreate(path, format, options with { ReadOnly = false }, out media!, out error!))
        {
            diskFull = StorageIsFull();
            DeleteUnfinished(path);
            return false;
        }

        try
        {
            LabelledVolumeWriter.Initialize(media, volume.Serial.Value, "", volume.Labels);
        }
        catch (LabelWriteException e)
        {
            // A disk too full for the labels: no half-made image is left to be taken for a volume later.
            media.Dispose();
            diskFull = StorageIsFull();
            DeleteUnfinished(path);
            error = $"labels could not be written: {e.Message}";
            return false;
        }

        if (media.Synchronize() != MediaStatus.Ok)
        {
            media.Dispose();
            diskFull = StorageIsFull();
            DeleteUnfinished(path);
            error = "the new image could not be written to disk";
            return false;
        }
        if (options.ReadOnly)
        {
            media.Dispose();
            return TapeImage.TryOpen(path, options, out media!, out error!);
        }

        return true;
    }

    private static void DeleteUnfinished(string path)
    {
        try
        {
            if (File.Exists(path) && new FileInfo(path).Length < 64 * 1024)
            {
                File.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Left for recovery: an image without labels is rescanned at the next start.
        }
    }

    /// <summary>A mount held for a drive while its image is recalled.</summary>
    private sealed record PendingRecall(long MountId, VolumeRecord Volume, ushort DeviceNumber, Task Recall, DateTimeOffset Started);

    /// <summary>
    /// A catalog volume mounted on a drive: the mount to end, what was written to record, an image to upload.
    /// With the pool's sync points on (<paramref name="durable"/>), the unload is committed with full
    /// synchronisation, and on a full disk with the catalog's space reserve, so the catalog still matches the drives.
    /// </summary>
    private sealed class CatalogLease(CatalogVolumeResolver resolver, VolumeRecord volume, ITapeMedia media, long mountId, bool durable)
        : VolumeLease(volume.Serial.Value, media)
    {
        public override void Release(in VolumeRelease release)
        {
            var catalog = resolver._catalog;
            var path = catalog.Layout.ImagePath(volume);
            try
            {
                if (release.BlocksWritten > 0 && catalog.FindVolume(volume.Serial) is { } current)
                {
                    // What an import records offline, the label type included: a host (or ctape volume import --server)
                    // may have written a volume with other labels than it had.
                    var labels = VolumeScanner.DetectLabels(path, current.Labels);
                    var summary = VolumeScanner.Scan(path, labels);
                    catalog.RecordWrite(volume.Serial, summary.ImageSize, summary.DataBlocks, summary.FirstDataSetName, labels, durable);
                }
            }
            catch (Exception e) when (LibraryCatalog.IsDiskFull(e) || e is System.Data.Common.DbException or IOException)
            {
                // What was written is in the image; the next start's recovery rescans it. The mount must still end.
                resolver._events?.Publish(new CatalogWriteFailed(release.DeviceNumber, volume.Serial.Value, "the blocks written could not be recorded", e.Message));
            }

            if (resolver._store is { } store)
            {
                if (store.ChangedHere(path))
                {
                    // The volume stays mounted (held for this server) until its image is in the store.
                    resolver.Uploads!.Upload(release.DeviceNumber, volume.Serial, path, mountId);
                    return;
                }

                store.Unpin(volume.Serial);
            }

            catalog.EndMount(mountId, durable);
        }
    }
}
/// <summary>The catalog could not record something about a volume (a full disk); what happened to the image stays true and recovery rescans it.</summary>
public sealed record CatalogWriteFailed(ushort DeviceNumber, string Volume, string What, string Reason) : DriveEvent(DeviceNumber)
{
    public override Microsoft.Extensions.Logging.LogLevel Level => Microsoft.Extensions.Logging.LogLevel.Warning;

    public override string Message => $"drive {Drive}: volume {Volume}: {What}: {Reason}";
}

