using System.Globalization;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Images;
using ChannelTape.Library.Mounts;
using ChannelTape.Library;
using ChannelTape.Media;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape volume import|export</c>: copies a Hercules AWS/HET/FakeTape image into the library as
/// a volume, and a volume's image out again, checking every block on the way
/// (<see cref="VolumeImageCopy"/>). Both work on the catalog directly and refuse a mounted volume.
/// </summary>
internal static class VolumeTransfer
{
    /// <summary>
    /// <c>import VOLSER FILE [--pool POOL [--media M] [--capacity SIZE]] [--format aws|het] [--replace]</c>.
    /// The image is built beside the volumes (<c>volumes/.VOLSER.*.partial.*</c>), checked, and
    /// renamed into place inside the catalog's write lock; a refused import leaves nothing.
    /// </summary>
    public static int Import(Arguments arguments, string data, List<string> operands, TextWriter output, TextWriter error, bool progressBar)
    {
        if (operands.Count != 2)
        {
            throw new UsageException("import takes a volume serial and an image file");
        }

        var serial = VolumeCommand.ParseSerial(operands[0]);
        var file = operands[1];
        var pool = arguments.Get("--pool") is null ? null : VolumeCommand.RequiredPool(arguments);
        var format = ParseFormat(arguments.Get("--format"));
        var media = MediaType.Eccst;
        if (arguments.Get("--media") is { } mediaText && !MediaTypes.TryParse(mediaText, out media))
        {
            throw new UsageException($"unknown media '{mediaText}', expected REEL, 3480 (CST) or 3490E (ECCST)");
        }

        if (!File.Exists(file))
        {
            error.WriteLine($"ctape volume: {file}: no such file");
            return 1;
        }

        var catalog = pool is null ? VolumeCommand.OpenExisting(data, error) : LibraryCatalog.Open(data);
        if (catalog is null)
        {
            return 1;
        }

        var existing = catalog.FindVolume(serial);
        if (existing is null && pool is null)
        {
            error.WriteLine($"ctape volume: {serial}: no such volume (give --pool POOL to add it)");
            return 1;
        }

        if (existing is not null)
        {
            if (pool is not null && pool != existing.Pool)
            {
                error.WriteLine($"ctape volume: {serial} is in pool {existing.Pool}; --pool only names the pool of a new volume (use ctape volume move)");
                return 1;
            }

            if (arguments.Has("--media") || arguments.Has("--capacity"))
            {
                error.WriteLine($"ctape volume: {serial} is already in the catalog; --media and --capacity only apply to a new volume");
                return 1;
            }

            if (existing.Status == VolumeStatus.Mounted)
            {
                error.WriteLine($"ctape volume: {serial}: mounted on {existing.MountedOn:X4}, not imported");
                return 1;
            }

            var current = new FileInfo(catalog.Layout.ImagePath(existing));
            if (current.Exists && current.Length > 0 && !arguments.Has("--replace"))
            {
                error.WriteLine($"ctape volume: {serial} already has an image ({current.Length} bytes); give --replace to overwrite it");
                return 1;
            }
        }

        // The library keeps AWS and HET: a FakeTape image becomes the volume's own format (AWS for a new volume).
        var sourceFormat = TapeImage.DetectFormat(file);
        var kind = format
            ?? (sourceFormat == TapeImageFormat.Het ? ImageFileKind.Het
                : sourceFormat == TapeImageFormat.Aws ? ImageFileKind.Aws
                : existing?.ImagePath.EndsWith(".het", StringComparison.Ordinal) == true ? ImageFileKind.Het : ImageFileKind.Aws);
        var capacity = MediaTypes.DefaultCapacity(media);
        if (arguments.Get("--capacity") is { } capacityText
            && (!ByteSize.TryParse(capacityText, out capacity, out var sizeError) || capacity == 0))
        {
            throw new UsageException(sizeError ?? "capacity must be more than 0");
        }

        Directory.CreateDirectory(catalog.Layout.VolumesDirectory);
        var partial = LibraryRecovery.PartialImagePath(catalog.Layout, serial, kind);
        try
        {
            var progress = new CopyProgress(error, progressBar, $"importing {serial}", new FileInfo(file).Length);
            var copy = VolumeImageCopy.Copy(file, partial, ToMediaFormat(kind), new TapeImageOptions(), progress);
            progress.Finish();
            if (!copy.Succeeded)
            {
                error.WriteLine($"ctape volume: {copy.Error}; nothing imported");
                return 1;
            }

            if (copy.Vol1Serial is { } labelled && labelled != serial.Value)
            {
                error.WriteLine($"ctape volume: {file}: its VOL1 label names volume {labelled}, not {serial} (a host would refuse it); nothing imported");
                return 1;
            }

            var summary = VolumeScanner.Scan(partial, copy.Labels);
            var newVolume = new NewVolumes(pool ?? "", media, capacity, copy.Labels, Scratch: false, kind);
            var outcome = catalog.ImportVolume(
                new VolumeImport(serial, kind, copy.Labels, summary.ImageSize, summary.DataBlocks, summary.FirstDataSetName),
                partial,
                existing is null ? newVolume : null);
            switch (outcome)
            {
                case ImportOutcome.Mounted:
                    error.WriteLine($"ctape volume: {serial}: was mounted meanwhile, not imported");
                    return 1;
                case ImportOutcome.NotFound:
                    error.WriteLine($"ctape volume: {serial}: was deleted meanwhile, not imported");
                    return 1;
            }

            output.WriteLine(
                $"imported {serial} from {file} ({Name(copy.SourceFormat)} to {Name(copy.DestinationFormat)}{(outcome == ImportOutcome.Added ? $", new in pool {pool}" : "")}): "
                + $"{Count(copy.Blocks, "block")}, {Count(copy.TapeMarks, "tape mark")}, {summary.ImageSize} bytes, {LabelTypes.Name(copy.Labels)}, "
                + $"data set {summary.FirstDataSetName ?? "-"}, {Seconds(progress.Elapsed)}");
            return 0;
        }
        finally
        {
            File.Delete(partial);
        }
    }

    /// <summary>
    /// <c>export VOLSER FILE [--format aws|het]</c>. The format is <c>--format</c>, else FILE's
    /// extension (.aws, .het), else the volume's own. FILE must not exist; it appears only
    /// complete. A mount during the copy makes the export fail rather than hand out a torn copy.
    /// </summary>
    public static int Export(Arguments arguments, string data, List<string> operands, TextWriter output, TextWriter error, bool progressBar)
    {
        if (operands.Count != 2)
        {
            throw new UsageException("export takes a volume serial and an image file");
        }

        var serial = VolumeCommand.ParseSerial(operands[0]);
        var file = operands[1];
        var format = ParseFormat(arguments.Get("--format"))
            ?? Path.GetExtension(file).ToLowerInvariant() switch
            {
                ".aws" => ImageFileKind.Aws,
                ".het" => ImageFileKind.Het,
                _ => (ImageFileKind?)null,
            };
        if (VolumeCommand.OpenExisting(data, error) is not { } catalog)
        {
            return 1;
        }

        if (catalog.FindVolume(serial) is not { } volume)
        {
            error.WriteLine($"ctape volume: {serial}: no such volume");
            return 1;
        }

        if (volume.Status == VolumeStatus.Mounted)
        {
            error.WriteLine($"ctape volume: {serial}: mounted on {volume.MountedOn:X4}, not exported");
            return 1;
        }

        var image = catalog.Layout.ImagePath(volume);
        // A shared library's data folder is a cache of the store: recall the image when it is not current here.
        if (!catalog.Images.TryMakeCurrent(volume, image, out var recallError))
        {
            error.WriteLine($"ctape volume: {serial}: {recallError}");
            return 1;
        }

        if (!File.Exists(image))
        {
            error.WriteLine($"ctape volume: {serial} has no image yet (it is created when the volume is first mounted)");
            return 1;
        }

        if (File.Exists(file) || Directory.Exists(file))
        {
            error.WriteLine($"ctape volume: {file}: already exists, not overwritten");
            return 1;
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(file))!;
        if (!Directory.Exists(directory))
        {
            error.WriteLine($"ctape volume: {directory}: no such directory");
            return 1;
        }

        var mountBefore = catalog.LatestMountId(serial);
        var partial = Path.Combine(directory, $".{Path.GetFileName(file)}.{Guid.NewGuid():N}{LibraryRecovery.PartialMarker}tmp");
        try
        {
            var progress = new CopyProgress(error, progressBar, $"exporting {serial}", new FileInfo(image).Length);
            var copy = VolumeImageCopy.Copy(image, partial, format is { } kind ? ToMediaFormat(kind) : null, new TapeImageOptions(), progress);
            progress.Finish();
            if (!copy.Succeeded)
            {
                error.WriteLine($"ctape volume: {copy.Error}; nothing exported");
                return 1;
            }

            if (catalog.LatestMountId(serial) != mountBefore || catalog.FindVolume(serial)?.Status == VolumeStatus.Mounted)
            {
                error.WriteLine($"ctape volume: {serial} was mounted while it was copied; nothing exported, try again");
                return 1;
            }

            File.Move(partial, file, overwrite: false);
            output.WriteLine(
                $"exported {serial} to {file} ({Name(copy.SourceFormat)} to {Name(copy.DestinationFormat)}): "
                + $"{Count(copy.Blocks, "block")}, {Count(copy.TapeMarks, "tape mark")}, {copy.DestinationBytes} bytes, {Seconds(progress.Elapsed)}");
            return 0;
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private static ImageFileKind? ParseFormat(string? text) => text switch
    {
        null => null,
        "aws" => ImageFileKind.Aws,
        "het" => ImageFileKind.Het,
        _ => throw new UsageException($"unknown image format '{text}', expected aws or het"),
    };

    private static TapeImageFormat ToMediaFormat(ImageFileKind kind) => kind == ImageFileKind.Het ? TapeImageFormat.Het : TapeImageFormat.Aws;

    private static string Name(TapeImageFormat format) => format switch
    {
        TapeImageFormat.Aws => "AWS",
        TapeImageFormat.Het => "HET",
        _ => "FakeTape",
    };

    private static string Count(long count, string noun) => string.Create(CultureInfo.InvariantCulture, $"{count} {noun}{(count == 1 ? "" : "s")}");

    private static string Seconds(TimeSpan elapsed) => string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds:0.0} s");
}
