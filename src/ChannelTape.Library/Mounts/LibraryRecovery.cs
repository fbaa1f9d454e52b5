using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;

namespace ChannelTape.Library.Mounts;

/// <summary>What <see cref="LibraryRecovery.Reconcile"/> did.</summary>
/// <param name="MountsEnded">Mounts left open by the previous server (now ended).</param>
/// <param name="DrivesReset">Drives whose recorded state still named a volume after that.</param>
/// <param name="Rescanned">Volumes whose image had changed since the catalog last recorded it, rescanned.</param>
/// <param name="MissingImages">Volumes the catalog says hold data whose image file is gone (left as they are, for the operator).</param>
/// <param name="PartialFilesRemoved">Unfinished import/export files of an interrupted <c>ctape volume import</c> deleted.</param>
/// <param name="MountHistoryPruned">Ended mounts pruned down to the configured limit.</param>
/// <param name="TornTails">Volumes whose image ended in a block a crash left unfinished, cut back to the last whole block.</param>
public sealed record ReconcileResult(
    int MountsEnded,
    int DrivesReset,
    IReadOnlyList<VolumeSerial> Rescanned,
    IReadOnlyList<VolumeSerial> MissingImages,
    int PartialFilesRemoved,
    int MountHistoryPruned,
    IReadOnlyList<VolumeSerial> TornTails);

/// <summary>
/// Makes the catalog agree with the volume images when the server starts, after a crash or
/// <c>kill -9</c> (issue 4: "after restart the catalog agrees with the images"). The server writes
/// images directly, so what reached the image file is the truth; the catalog may lag behind by
/// everything written since the last release (bytes, blocks, data set name) and may still show
/// volumes on drives.
/// </summary>
public static class LibraryRecovery
{
    /// <summary>Marks a copy in progress in the volumes directory (see <see cref="PartialImagePath"/>).</summary>
    public const string PartialMarker = ".partial.";

    /// <summary>
    /// 1. Rescans every volume whose image differs from what the catalog recorded: size other than
    ///    <c>bytes_used</c>, or modified after <c>last_written_at</c> (created_at when never
    ///    written). This runs first so that step 2 sees a volume written during a mount the
    ///    crash left open as written: it becomes private instead of going back to scratch.
    /// 2. Ends every open mount and marks every drive empty: no drive holds a volume at start.
    /// 3. Deletes unfinished import files (<c>volumes/.*.partial.*</c>) and prunes the mount history
    ///    to <c>limits { mount-history }</c> of <paramref name="configuration"/>.
    /// Must run before the server attaches drives to the library (nothing else may mount meanwhile).
    /// </summary>
    public static ReconcileResult Reconcile(LibraryCatalog catalog, LibraryConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(configuration);

        // One directory read gives every image's size and time (image paths are always
        // volumes/VOLSER.ext, see StorageLayout), instead of one stat per catalog volume.
        var images = new Dictionary<string, (long Length, DateTimeOffset Modified)>(StringComparer.Ordinal);
        if (Directory.Exists(catalog.Layout.VolumesDirectory))
        {
            foreach (var file in new DirectoryInfo(catalog.Layout.VolumesDirectory).EnumerateFiles())
            {
                images[file.Name] = (file.Length, new DateTimeOffset(file.LastWriteTimeUtc, TimeSpan.Zero));
            }
        }

        var changed = new List<(VolumeRecord Volume, DateTimeOffset Modified)>();
        var missing = new List<VolumeSerial>();
        // Collect first: the enumeration holds a read connection open.
        foreach (var volume in catalog.EnumerateVolumes())
        {
            if (!images.TryGetValue(Path.GetFileName(volume.ImagePath), out var image))
            {
                if (volume.BytesUsed > 0)
                {
                    missing.Add(volume.Serial);
                }

                continue;
            }

            var recorded = volume.LastWrittenAt ?? volume.CreatedAt;
            if (image.Length != volume.BytesUsed || image.Modified > recorded)
            {
                changed.Add((volume, image.Modified));
            }
        }

        var rescanned = new List<VolumeSerial>(changed.Count);
        var tornTails = new List<VolumeSerial>();
        foreach (var (volume, modified) in changed)
        {
            var path = catalog.Layout.ImagePath(volume);
            if (VolumeScanner.CutTornTail(path) > 0)
            {
                tornTails.Add(volume.Serial);
            }

            var summary = VolumeScanner.Scan(path, volume.Labels);
            catalog.RecordScan(volume.Serial, summary.ImageSize, summary.DataBlocks, summary.FirstDataSetName, modified);
            rescanned.Add(volume.Serial);
        }

        int mountsEnded = catalog.EndAllMounts();
        int drivesReset = catalog.ResetDrives();

        int partials = 0;
        if (Directory.Exists(catalog.Layout.VolumesDirectory))
        {
            foreach (var partial in Directory.EnumerateFiles(catalog.Layout.VolumesDirectory, "*" + PartialMarker + "*", new EnumerationOptions { AttributesToSkip = 0 }))
            {
                File.Delete(partial);
                partials++;
            }
        }

        int pruned = catalog.PruneMountHistory(configuration.Limits.MountHistory);
        return new ReconcileResult(mountsEnded, drivesReset, rescanned, missing, partials, pruned, tornTails);
    }

    /// <summary>
    /// A unique file in the volumes directory to build an image of <paramref name="serial"/> in
    /// before it is renamed into place (same file system, so the rename is atomic). It keeps the
    /// format's extension so that it opens as what it is. Reconcile deletes what a crash leaves.
    /// </summary>
    public static string PartialImagePath(StorageLayout layout, VolumeSerial serial, ImageFileKind kind) =>
        Path.Combine(layout.VolumesDirectory, $".{serial.Value}.{Guid.NewGuid():N}{PartialMarker}{(kind == ImageFileKind.Aws ? "aws" : "het")}");
}

/// <summary>The catalog was brought in line with the images at start (only published when it had anything to do).</summary>
public sealed record CatalogRecovered(ReconcileResult Result) : Runtime.Events.TapeEvent
{
    public override Microsoft.Extensions.Logging.LogLevel Level => Microsoft.Extensions.Logging.LogLevel.Information;

    public override string Message =>
        $"catalog: ended {Result.MountsEnded} mount(s) left open by the previous run, rescanned {Result.Rescanned.Count} image(s)"
        + (Result.TornTails.Count > 0 ? $", cut an unfinished last block off: {string.Join(' ', Result.TornTails.Select(v => v.Value))}" : "")
        + (Result.MissingImages.Count > 0 ? $", images missing: {string.Join(' ', Result.MissingImages.Select(v => v.Value))}" : "");

    /// <summary>True when recovery changed or found something worth a log line.</summary>
    public static bool IsWorthSaying(ReconcileResult result) =>
        result.MountsEnded > 0 || result.Rescanned.Count > 0 || result.MissingImages.Count > 0;
}
