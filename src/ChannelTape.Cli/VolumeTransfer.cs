using System.CommandLine;
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
/// a volume, and a volume's image out again, checking every block on the way. Offline both work on the
/// catalog directly (<see cref="VolumeImageCopy"/>) and refuse a mounted volume; with <c>--server</c>
/// the volume is written or read block by block on a free drive of the server
/// (<see cref="ServerVolumeCommands"/>).
/// </summary>
internal static class VolumeTransfer
{
    public static Command CreateImport(CliContext context, VolumeOptions o)
    {
        var command = new Command("import", "Copy an AWS, HET or FakeTape image into the library as volume VOLSER (checked block by block; nothing is left behind when it is refused or stopped)");
        var serial = VolumeOptions.Serial();
        var file = new Argument<string>("FILE") { Description = "The image to import" };
        var pool = o.Pool("Add VOLSER to this pool when it is not in the catalog yet (offline only)");
        var format = VolumeOptions.Format("Format the library keeps the volume's image in (default: the image's own; a FakeTape image becomes aws; offline only)");
        o.AddCommon(command, serial, file, pool, o.Media, o.Capacity, format, o.Replace);
        command.SetAction(async (parse, cancel) =>
        {
            var request = new ImportRequest(parse.GetValue(serial), parse.GetValue(file)!, parse.GetValue(pool), parse.GetValue(format),
                parse.GetValue(o.Media), parse.GetValue(o.Capacity), parse.GetValue(o.Replace));
            if (o.Target(parse) is { } target)
            {
                o.RefuseWithServer(parse, "through a server a volume must be in the library already and keeps its pool, media, capacity and format (add it with 'ctape volume add --server' first)", pool, o.Media, o.Capacity, format);
                return await Task.Run(() => ServerVolumeCommands.Import(context, target, request, cancel), CancellationToken.None);
            }

            return Import(request, parse.GetValue(o.Data)!, context.Output, context.Error, context.ProgressBar, cancel);
        });
        return command;
    }

    public static Command CreateExport(CliContext context, VolumeOptions o)
    {
        var command = new Command("export", "Copy volume VOLSER out to a new image file (FILE must not exist; it appears only complete)");
        var serial = VolumeOptions.Serial();
        var file = new Argument<string>("FILE") { Description = "The image to write; its format is --format, else its extension (.aws, .het), else the volume's" };
        var formatOption = VolumeOptions.Format("Format of FILE (default: its extension, .aws or .het, else the volume's own)");
        o.AddCommon(command, serial, file, formatOption);
        command.SetAction(async (parse, cancel) =>
        {
            var format = parse.GetValue(formatOption);
            string path = parse.GetValue(file)!;
            if (o.Target(parse) is { } target)
            {
                return await Task.Run(() => ServerVolumeCommands.Export(context, target, parse.GetValue(serial), path, format, cancel), CancellationToken.None);
            }

            return Export(parse.GetValue(serial), path, format, parse.GetValue(o.Data)!, context.Output, context.Error, context.ProgressBar, cancel);
        });
        return command;
    }

    /// <summary>
    /// <c>import VOLSER FILE [--pool POOL [--media M] [--capacity SIZE]] [--format aws|het] [--replace]</c>.
    /// The image is built beside the volumes (<c>volumes/.VOLSER.*.partial.*</c>), checked, and
    /// renamed into place inside the catalog's write lock; a refused import leaves nothing, and neither does one
    /// stopped by SIGINT or SIGTERM (<paramref name="cancel"/>) before the catalog took it.
    /// </summary>
    private static int Import(ImportRequest request, string data, TextWriter output, TextWriter error, bool progressBar, CancellationToken cancel)
    {
        var (serial, file, pool, format, mediaGiven, capacityGiven, replace) = request;
        var media = mediaGiven ?? MediaType.Eccst;
        if (!File.Exists(file))
        {
            error.WriteLine($"ctape volume import: {file}: no such file");
            return 1;
        }

        var catalog = pool is null ? VolumeCommand.OpenExisting(data) : LibraryCatalog.Open(data);

        var existing = catalog.FindVolume(serial);
        if (existing is null && pool is null)
        {
            error.WriteLine($"ctape volume import: {serial}: no such volume (give --pool POOL to add it)");
            return 1;
        }

        if (existing is not null)
        {
            if (pool is not null && pool != existing.Pool)
            {
                error.WriteLine($"ctape volume import: {serial} is in pool {existing.Pool}; --pool only names the pool of a new volume (use ctape volume move)");
                return 1;
            }

            if (mediaGiven is not null || capacityGiven is not null)
            {
                error.WriteLine($"ctape volume import: {serial} is already in the catalog; --media and --capacity only apply to a new volume");
                return 1;
            }

            if (existing.Status == VolumeStatus.Mounted)
            {
                error.WriteLine($"ctape volume import: {serial}: mounted on {existing.MountedOn:X4}, not imported");
                return 1;
            }

            var current = new FileInfo(catalog.Layout.ImagePath(existing));
            if (current.Exists && current.Length > 0 && !replace)
            {
                error.WriteLine($"ctape volume import: {serial} already has an image ({current.Length} bytes); give --replace to overwrite it");
                return 1;
            }
        }

        // The library keeps AWS and HET: a FakeTape image becomes the volume's own format (AWS for a new volume).
        var sourceFormat = TapeImage.DetectFormat(file);
        var kind = format
            ?? (sourceFormat == TapeImageFormat.Het ? ImageFileKind.Het
                : sourceFormat == TapeImageFormat.Aws ? ImageFileKind.Aws
                : existing?.ImagePath.EndsWith(".het", StringComparison.Ordinal) == true ? ImageFileKind.Het : ImageFileKind.Aws);
        var capacity = capacityGiven ?? MediaTypes.DefaultCapacity(media);

        Directory.CreateDirectory(catalog.Layout.VolumesDirectory);
        var partial = LibraryRecovery.PartialImagePath(catalog.Layout, serial, kind);
        try
        {
            var progress = new CopyProgress(error, progressBar, $"importing {serial}", new FileInfo(file).Length);
            ImageCopyResult copy;
            try
            {
                copy = VolumeImageCopy.Copy(file, partial, ToMediaFormat(kind), new TapeImageOptions(), progress, cancel);
            }
            catch (OperationCanceledException)
            {
                progress.Finish();
                error.WriteLine($"ctape volume import: import of {serial} cancelled; nothing imported");
                return 1;
            }

            progress.Finish();
            if (!copy.Succeeded)
            {
                error.WriteLine($"ctape volume import: {copy.Error}; nothing imported");
                return 1;
            }

            if (copy.Vol1Serial is { } labelled && labelled != serial.Value)
            {
                error.WriteLine($"ctape volume import: {file}: its VOL1 label names volume {labelled}, not {serial} (a host would refuse it); nothing imported");
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
                    error.WriteLine($"ctape volume import: {serial}: was mounted meanwhile, not imported");
                    return 1;
                case ImportOutcome.NotFound:
                    error.WriteLine($"ctape volume import: {serial}: was deleted meanwhile, not imported");
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
    private static int Export(VolumeSerial serial, string file, ImageFileKind? formatGiven, string data, TextWriter output, TextWriter error, bool progressBar,
        CancellationToken cancel)
    {
        var format = formatGiven
            ?? Path.GetExtension(file).ToLowerInvariant() switch
            {
                ".aws" => ImageFileKind.Aws,
                ".het" => ImageFileKind.Het,
                _ => (ImageFileKind?)null,
            };
        var catalog = VolumeCommand.OpenExisting(data);
        if (catalog.FindVolume(serial) is not { } volume)
        {
            error.WriteLine($"ctape volume export: {serial}: no such volume");
            return 1;
        }

        if (volume.Status == VolumeStatus.Mounted)
        {
            error.WriteLine($"ctape volume export: {serial}: mounted on {volume.MountedOn:X4}, not exported");
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
            error.WriteLine($"ctape volume export: {serial} has no image yet (it is created when the volume is first mounted)");
            return 1;
        }

        if (File.Exists(file) || Directory.Exists(file))
        {
            error.WriteLine($"ctape volume export: {file}: already exists, not overwritten");
            return 1;
        }

        var directory = Path.GetDirectoryName(Path.GetFullPath(file))!;
        if (!Directory.Exists(directory))
        {
            error.WriteLine($"ctape volume export: {directory}: no such directory");
            return 1;
        }

        var mountBefore = catalog.LatestMountId(serial);
        var partial = Path.Combine(directory, $".{Path.GetFileName(file)}.{Guid.NewGuid():N}{LibraryRecovery.PartialMarker}tmp");
        try
        {
            var progress = new CopyProgress(error, progressBar, $"exporting {serial}", new FileInfo(image).Length);
            ImageCopyResult copy;
            try
            {
                copy = VolumeImageCopy.Copy(image, partial, format is { } kind ? ToMediaFormat(kind) : null, new TapeImageOptions(), progress, cancel);
            }
            catch (OperationCanceledException)
            {
                progress.Finish();
                error.WriteLine($"ctape volume export: export of {serial} cancelled; nothing exported");
                return 1;
            }

            progress.Finish();
            if (!copy.Succeeded)
            {
                error.WriteLine($"ctape volume export: {copy.Error}; nothing exported");
                return 1;
            }

            if (catalog.LatestMountId(serial) != mountBefore || catalog.FindVolume(serial)?.Status == VolumeStatus.Mounted)
            {
                error.WriteLine($"ctape volume export: {serial} was mounted while it was copied; nothing exported, try again");
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

/// <summary>What <c>ctape volume import</c> was asked to do.</summary>
internal sealed record ImportRequest(VolumeSerial Serial, string File, string? Pool, ImageFileKind? Format, MediaType? Media, long? Capacity, bool Replace);
