using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Media;
using ChannelTape.Runtime;
using ChannelTape.Runtime.Events;

namespace ChannelTape.Library.Mounts;

/// <summary>
/// The catalog's volumes as a <see cref="IVolumeResolver"/>: starts a mount in the catalog (a specific
/// volume, or any scratch volume of a pool, each in one IMMEDIATE transaction so no volume is handed out
/// twice), opens the volume's image — creating and labelling it on first use, as <c>hetinit</c> would —
/// and completes the mount; the lease it returns records what was written and ends the mount.
/// </summary>
public sealed class CatalogVolumeResolver(LibraryCatalog catalog, LibraryConfiguration configuration, TapeEventHub? events = null) : IVolumeResolver
{
    public VolumeResolution Resolve(in VolumeRequest request)
    {
        try
        {
            return ResolveCore(request);
        }
        catch (Exception e) when (LibraryCatalog.IsDiskFull(e) || e is Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            // A full disk (or a catalog that cannot be written) refuses the mount; the connection stays.
            return VolumeResolution.Refused(LibraryCatalog.IsDiskFull(e) || StorageIsFull() ? VolumeRefusalReason.DiskFull : VolumeRefusalReason.CannotOpen,
                LibraryCatalog.IsDiskFull(e) || StorageIsFull()
                    ? $"the disk holding the library ({catalog.Layout.DataDirectory}) is full: volume {request.Serial} cannot be mounted until there is room"
                    : $"the catalog cannot be written: {e.Message}");
        }
    }

    private VolumeResolution ResolveCore(in VolumeRequest request)
    {
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

            start = catalog.TryAllocateScratch(pool, request.DeviceNumber);
        }
        else if (!VolumeSerial.TryParse(request.Serial, out var serial))
        {
            return VolumeResolution.Refused(VolumeRefusalReason.NotAVolumeSerial, $"'{request.Serial}' is not a volume serial");
        }
        else if (PoolRefusal(catalog.FindVolume(serial), request) is { } refused)
        {
            return refused;
        }
        else
        {
            start = catalog.BeginMount(serial, request.DeviceNumber);
        }

        if (!start.Started)
        {
            return Refusal(start, request.Serial);
        }

        var volume = start.Volume!;
        if (PoolRefusal(volume, request) is { } moved)
        {
            // Moved to another pool between the look and the mount.
            catalog.EndMount(start.MountId);
            return moved;
        }

        if (!TryOpenImage(volume, request.Options, out var media, out var error, out var diskFull))
        {
            catalog.EndMount(start.MountId, durable: true);
            // Whether the disk was full is looked at where the image failed, before its remains were deleted.
            return diskFull
                ? VolumeResolution.Refused(VolumeRefusalReason.DiskFull,
                    $"the disk holding the library ({catalog.Layout.DataDirectory}) is full: volume {volume.Serial.Value} cannot be created ({error})")
                : VolumeResolution.Refused(VolumeRefusalReason.CannotOpen, $"volume {volume.Serial.Value} cannot be opened: {error}");
        }

        try
        {
            catalog.CompleteMount(start.MountId);
        }
        catch (Exception e) when (LibraryCatalog.IsDiskFull(e))
        {
            media.Dispose();
            catalog.EndMount(start.MountId, durable: true);
            throw;
        }

        // docs/performance.md: a pool's sync points; the default makes Write Tape Mark and the unload durable.
        var sync = configuration.FindPool(volume.Pool)?.Sync ?? SyncPoint.TapeMark;
        if (sync != SyncPoint.None && !media.IsReadOnly)
        {
            media = new SynchronizingMedia(media, sync == SyncPoint.TapeMark ? SyncPoints.TapeMark | SyncPoints.Close : SyncPoints.Close);
        }

        catalog.EnsureReserve();
        return VolumeResolution.Of(new CatalogLease(catalog, volume, media, start.MountId, sync != SyncPoint.None, events));
    }

    /// <summary>Less than a megabyte left where the library keeps its images: a new image failing there failed for room.</summary>
    private bool StorageIsFull()
    {
        try
        {
            return new DriveInfo(catalog.Layout.DataDirectory).AvailableFreeSpace < 1024 * 1024;
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

    private VolumeRefusal Refusal(MountStart start, string serial) => start.Refusal switch
    {
        MountRefusal.UnknownVolume when catalog.QuarantineReason(serial) is { } reason =>
            new(VolumeRefusalReason.Quarantined, $"volume {serial}'s catalog row was quarantined at start ({reason}); an operator must repair it"),
        MountRefusal.UnknownVolume => new(VolumeRefusalReason.UnknownVolume, $"volume {serial} is not in the library"),
        MountRefusal.VolumeMounted => new(VolumeRefusalReason.VolumeMounted, $"volume {serial} is mounted on drive {start.Volume?.MountedOn:X4}"),
        MountRefusal.NoScratchVolume => new(VolumeRefusalReason.NoScratchVolume, "no scratch volume left in the pool"),
        MountRefusal.DriveBusy => new(VolumeRefusalReason.DriveBusy, "the drive has a mount in progress"),
        MountRefusal.UnknownDrive => new(VolumeRefusalReason.UnknownDrive, "the drive is not in the catalog"),
        _ => throw new InvalidOperationException($"mount refusal {start.Refusal} has no wording"),
    };

    /// <summary>
    /// Opens a catalog volume's image, creating and labelling it on first use. The volume's own settings win
    /// over what the mount asked for: read-only if either says so, the volume's capacity.
    /// </summary>
    private bool TryOpenImage(VolumeRecord volume, TapeImageOptions asked, out ITapeMedia media, out string error, out bool diskFull)
    {
        diskFull = false;
        string path = catalog.Layout.ImagePath(volume);
        var options = asked with { ReadOnly = asked.ReadOnly || volume.ReadOnly, MaxSize = volume.Capacity };
        if (File.Exists(path))
        {
            return TapeImage.TryOpen(path, options, out media!, out error!);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var format = path.EndsWith(".het", StringComparison.OrdinalIgnoreCase) ? TapeImageFormat.Het : TapeImageFormat.Aws;
        if (format == TapeImageFormat.Het)
        {
            var storage = configuration.Storage.Format;
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

    /// <summary>
    /// A catalog volume mounted on a drive: the mount to end, what was written to record. With the pool's sync
    /// points on, the unload is committed with full synchronisation, and on a full disk with the catalog's
    /// space reserve, so the catalog still matches the drives.
    /// </summary>
    private sealed class CatalogLease(LibraryCatalog catalog, VolumeRecord volume, ITapeMedia media, long mountId, bool durable, TapeEventHub? events)
        : VolumeLease(volume.Serial.Value, media)
    {
        public override void Release(in VolumeRelease release)
        {
            try
            {
                if (release.BlocksWritten > 0 && catalog.FindVolume(volume.Serial) is { } current)
                {
                    var summary = VolumeScanner.Scan(catalog.Layout.ImagePath(current), current.Labels);
                    catalog.RecordWrite(volume.Serial, summary.ImageSize, summary.DataBlocks, summary.FirstDataSetName, durable);
                }
            }
            catch (Exception e) when (LibraryCatalog.IsDiskFull(e) || e is Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                // What was written is in the image; the next start's recovery rescans it. The mount must still end.
                events?.Publish(new CatalogWriteFailed(release.DeviceNumber, volume.Serial.Value, "the blocks written could not be recorded", e.Message));
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
