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

            start = _catalog.TryAllocateScratch(pool, request.DeviceNumber);
        }
        else if (!VolumeSerial.TryParse(request.Serial, out var serial))
        {
            return VolumeResolution.Refused(VolumeRefusalReason.NotAVolumeSerial, $"'{request.Serial}' is not a volume serial");
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
        if (!TryOpenImage(volume, options, out var media, out var error))
        {
            _catalog.EndMount(mountId);
            return VolumeResolution.Refused(VolumeRefusalReason.CannotOpen, $"volume {volume.Serial.Value} cannot be opened: {error}");
        }

        if (_store is not null)
        {
            var path = _catalog.Layout.ImagePath(volume);
            _store.Pin(volume.Serial);
            _store.Touch(path);
        }

        _catalog.CompleteMount(mountId);
        return VolumeResolution.Of(new CatalogLease(this, volume, media, mountId));
    }

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

    private static VolumeRefusal Refusal(MountStart start, string serial) => start.Refusal switch
    {
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
    /// Opens a catalog volume's image, creating and labelling it on first use. The volume's own settings win
    /// over what the mount asked for: read-only if either says so, the volume's capacity.
    /// </summary>
    private bool TryOpenImage(VolumeRecord volume, TapeImageOptions asked, out ITapeMedia media, out string error)
    {
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
            return false;
        }

        try
        {
            LabelledVolumeWriter.Initialize(media, volume.Serial.Value, "", volume.Labels);
        }
        catch (LabelWriteException e)
        {
            media.Dispose();
            error = $"labels could not be written: {e.Message}";
            return false;
        }

        media.Synchronize();
        if (options.ReadOnly)
        {
            media.Dispose();
            return TapeImage.TryOpen(path, options, out media!, out error!);
        }

        return true;
    }

    /// <summary>A mount held for a drive while its image is recalled.</summary>
    private sealed record PendingRecall(long MountId, VolumeRecord Volume, ushort DeviceNumber, Task Recall, DateTimeOffset Started);

    /// <summary>A catalog volume mounted on a drive: the mount to end, what was written to record, an image to upload.</summary>
    private sealed class CatalogLease(CatalogVolumeResolver resolver, VolumeRecord volume, ITapeMedia media, long mountId)
        : VolumeLease(volume.Serial.Value, media)
    {
        public override void Release(in VolumeRelease release)
        {
            var catalog = resolver._catalog;
            var path = catalog.Layout.ImagePath(volume);
            if (release.BlocksWritten > 0 && catalog.FindVolume(volume.Serial) is { } current)
            {
                // What an import records offline, the label type included: a host (or ctape volume import --server)
                // may have written a volume with other labels than it had.
                var labels = VolumeScanner.DetectLabels(path, current.Labels);
                var summary = VolumeScanner.Scan(path, labels);
                catalog.RecordWrite(volume.Serial, summary.ImageSize, summary.DataBlocks, summary.FirstDataSetName, labels);
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

            catalog.EndMount(mountId);
        }
    }
}
