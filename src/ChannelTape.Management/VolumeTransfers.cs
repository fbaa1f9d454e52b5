using ChannelTape.Client.Management;
using ChannelTape.Labels;
using ChannelTape.Library;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Images;
using ChannelTape.Library.Mounts;
using ChannelTape.Media;
using Microsoft.AspNetCore.Http;

namespace ChannelTape.Management;

/// <summary>
/// Import and export over HTTP, confined to the transfer folder (<c>transfer-folder</c>, docs/config.md):
/// the request names a file inside it, never a path of the server's choosing. A name that leads out of the
/// folder — absolute, with <c>..</c>, or through a symbolic link that points elsewhere — is refused, so a
/// holder of the token cannot make the server read or write any other file it may reach. Copies check every
/// block (<see cref="VolumeImageCopy"/>) and are put in place whole, as <c>ctape volume import|export</c> does. A copy
/// stopped part way (the server stops, SIGTERM; the client goes away) is taken back whole: the catalog is not touched
/// and the half copy is deleted, so no half volume is left marked private.
/// </summary>
public sealed class VolumeTransfers(ManagedLibrary library, string? folder)
{
    private LibraryCatalog Catalog => library.Catalog;

    public IResult Import(VolumeSerial serial, ImportBody body, CancellationToken cancel = default)
    {
        if (!TryResolve(body.File, out var file, out var problem))
        {
            return problem;
        }

        if (!File.Exists(file))
        {
            return Problems.NotFound($"{body.File}: no such file in the transfer folder");
        }

        if (body.Pool is { } poolName && !PoolNames.IsValid(poolName))
        {
            return Problems.BadRequest($"invalid pool name '{Problems.Shorten(poolName)}'");
        }

        // A new volume takes its pool's media and capacity unless the request says otherwise.
        var pool = body.Pool is null ? null : library.Configuration.FindPool(body.Pool);
        var media = pool?.Media ?? MediaType.Eccst;
        if (body.Media is { } mediaText && !MediaTypes.TryParse(mediaText, out media))
        {
            return Problems.BadRequest($"unknown media '{Problems.Shorten(mediaText)}', expected REEL, 3480 (CST) or 3490E (ECCST)");
        }

        if (body.Capacity is <= 0)
        {
            return Problems.BadRequest($"capacity {body.Capacity} must be more than 0 bytes");
        }

        if (!TryFormat(body.Format, out var format, out problem))
        {
            return problem;
        }

        var existing = Catalog.FindVolume(serial);
        if (existing is null && body.Pool is null)
        {
            return Problems.NotFound($"no volume {serial} in the library (give a pool to add it)");
        }

        if (existing is not null)
        {
            if (body.Pool is not null && body.Pool != existing.Pool)
            {
                return Problems.Conflict("volume exists", $"{serial} is in pool {existing.Pool}; the pool only names the pool of a new volume (move it instead)");
            }

            if (existing.Status == VolumeStatus.Mounted)
            {
                return Problems.Conflict("volume mounted", $"{serial} is mounted on drive {existing.MountedOn:X4}: unload it first; not imported");
            }

            var current = new FileInfo(Catalog.Layout.ImagePath(existing));
            if (current.Exists && current.Length > 0 && !body.Replace)
            {
                return Problems.Conflict("volume has an image", $"{serial} already has an image ({current.Length} bytes); ask with replace to overwrite it");
            }
        }

        var sourceFormat = TapeImage.DetectFormat(file);
        var kind = format
            ?? (sourceFormat == TapeImageFormat.Het ? ImageFileKind.Het
                : sourceFormat == TapeImageFormat.Aws ? ImageFileKind.Aws
                : existing?.ImagePath.EndsWith(".het", StringComparison.Ordinal) == true ? ImageFileKind.Het : ImageFileKind.Aws);
        Directory.CreateDirectory(Catalog.Layout.VolumesDirectory);
        var partial = LibraryRecovery.PartialImagePath(Catalog.Layout, serial, kind);
        try
        {
            var copy = VolumeImageCopy.Copy(file, partial, Format(kind), new TapeImageOptions(), cancel: cancel);
            if (!copy.Succeeded)
            {
                return Problems.BadRequest($"{copy.Error}; nothing imported");
            }

            if (copy.Vol1Serial is { } labelled && labelled != serial.Value)
            {
                return Problems.BadRequest($"{body.File}: its VOL1 label names volume {labelled}, not {serial} (a host would refuse it); nothing imported");
            }

            var summary = VolumeScanner.Scan(partial, copy.Labels);
            var capacity = body.Capacity ?? (pool is not null && body.Media is null ? pool.Capacity : MediaTypes.DefaultCapacity(media));
            var outcome = Catalog.ImportVolume(
                new VolumeImport(serial, kind, copy.Labels, summary.ImageSize, summary.DataBlocks, summary.FirstDataSetName),
                partial,
                existing is null ? new NewVolumes(body.Pool!, media, capacity, copy.Labels, Scratch: false, kind) : null);
            switch (outcome)
            {
                case ImportOutcome.Mounted:
                    return Problems.Conflict("volume mounted", $"{serial} was mounted meanwhile; not imported");
                case ImportOutcome.NotFound:
                    return Problems.NotFound($"{serial} was deleted meanwhile; not imported");
            }

            var result = new TransferResult(serial.Value, body.File, outcome == ImportOutcome.Added ? "added" : "replaced",
                Name(copy.SourceFormat), Name(copy.DestinationFormat), copy.Blocks, copy.TapeMarks, summary.ImageSize);
            library.Events.Publish(new LibraryChanged($"volume {serial} imported from {body.File} ({result.Outcome}, {copy.Blocks} blocks)"));
            return Results.Ok(result);
        }
        catch (OperationCanceledException)
        {
            return Problems.Unavailable($"import of {serial} from {body.File} stopped (the server is stopping or the request went away); nothing imported");
        }
        finally
        {
            File.Delete(partial);
        }
    }

    public IResult Export(VolumeSerial serial, ExportBody body, CancellationToken cancel = default)
    {
        if (!TryResolve(body.File, out var file, out var problem))
        {
            return problem;
        }

        if (!TryFormat(body.Format, out var format, out problem))
        {
            return problem;
        }

        format ??= Path.GetExtension(file).ToLowerInvariant() switch
        {
            ".aws" => ImageFileKind.Aws,
            ".het" => ImageFileKind.Het,
            _ => null,
        };
        if (Catalog.FindVolume(serial) is not { } volume)
        {
            return Problems.NotFound($"no volume {serial} in the library");
        }

        if (volume.Status == VolumeStatus.Mounted)
        {
            return Problems.Conflict("volume mounted", $"{serial} is mounted on drive {volume.MountedOn:X4}: unload it first; not exported");
        }

        var image = Catalog.Layout.ImagePath(volume);
        if (!File.Exists(image))
        {
            return Problems.Conflict("no image yet", $"{serial} has no image yet (it is created when the volume is first mounted)");
        }

        if (File.Exists(file) || Directory.Exists(file))
        {
            return Problems.Conflict("file exists", $"{body.File} already exists in the transfer folder; not overwritten");
        }

        var directory = Path.GetDirectoryName(file)!;
        if (!Directory.Exists(directory))
        {
            return Problems.NotFound($"{Path.GetRelativePath(folder!, directory)}: no such folder in the transfer folder");
        }

        var mountBefore = Catalog.LatestMountId(serial);
        var partial = Path.Combine(directory, $".{Path.GetFileName(file)}.{Guid.NewGuid():N}{LibraryRecovery.PartialMarker}tmp");
        try
        {
            var copy = VolumeImageCopy.Copy(image, partial, format is { } kind ? Format(kind) : null, new TapeImageOptions(), cancel: cancel);
            if (!copy.Succeeded)
            {
                return Problems.Conflict("copy failed", $"{copy.Error}; nothing exported");
            }

            if (Catalog.LatestMountId(serial) != mountBefore || Catalog.FindVolume(serial)?.Status == VolumeStatus.Mounted)
            {
                return Problems.Conflict("volume mounted", $"{serial} was mounted while it was copied; nothing exported, try again");
            }

            File.Move(partial, file, overwrite: false);
            library.Events.Publish(new LibraryChanged($"volume {serial} exported to {body.File} ({copy.Blocks} blocks)"));
            return Results.Ok(new TransferResult(serial.Value, body.File, "exported", Name(copy.SourceFormat), Name(copy.DestinationFormat),
                copy.Blocks, copy.TapeMarks, copy.DestinationBytes));
        }
        catch (IOException e)
        {
            return Problems.Conflict("export failed", $"{body.File}: {e.Message}; nothing exported");
        }
        catch (OperationCanceledException)
        {
            return Problems.Unavailable($"export of {serial} to {body.File} stopped (the server is stopping or the request went away); nothing exported");
        }
        finally
        {
            File.Delete(partial);
        }
    }

    /// <summary>
    /// <paramref name="name"/> as a path inside the transfer folder; a problem when there is no folder, or the
    /// name is absolute, leads out with <c>..</c>, or passes through a symbolic link that points out of it.
    /// </summary>
    public bool TryResolve(string? name, out string path, out IResult problem)
    {
        path = "";
        problem = Results.Empty;
        if (folder is null)
        {
            problem = Problems.Forbidden("this server has no transfer folder (transfer-folder in the configuration): HTTP import and export are off");
            return false;
        }

        if (string.IsNullOrEmpty(name) || name.Contains('\0', StringComparison.Ordinal))
        {
            problem = Problems.BadRequest("file: a file name inside the transfer folder is needed");
            return false;
        }

        if (Path.IsPathRooted(name))
        {
            problem = Problems.Forbidden($"'{Problems.Shorten(name)}' is an absolute path: name a file inside the transfer folder");
            return false;
        }

        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder));
        var full = Path.GetFullPath(Path.Combine(root, name));
        if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            problem = Problems.Forbidden($"'{Problems.Shorten(name)}' leads out of the transfer folder");
            return false;
        }

        // Every part of the path below the folder that is a symbolic link must point inside it.
        var relative = Path.GetRelativePath(root, full).Split(Path.DirectorySeparatorChar);
        var walked = root;
        foreach (var part in relative)
        {
            walked = Path.Combine(walked, part);
            FileSystemInfo entry = Directory.Exists(walked) ? new DirectoryInfo(walked) : new FileInfo(walked);
            if (entry.LinkTarget is null)
            {
                continue;
            }

            var target = entry.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? "";
            if (!Path.GetFullPath(target).StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                problem = Problems.Forbidden($"'{Problems.Shorten(name)}' passes through a symbolic link that leads out of the transfer folder");
                return false;
            }
        }

        path = full;
        return true;
    }

    private static bool TryFormat(string? text, out ImageFileKind? format, out IResult problem)
    {
        problem = Results.Empty;
        format = text switch
        {
            null => null,
            "aws" => ImageFileKind.Aws,
            "het" => ImageFileKind.Het,
            _ => (ImageFileKind)(-1),
        };
        if (format == (ImageFileKind)(-1))
        {
            problem = Problems.BadRequest($"unknown image format '{Problems.Shorten(text!)}', expected aws or het");
            return false;
        }

        return true;
    }

    private static TapeImageFormat Format(ImageFileKind kind) => kind == ImageFileKind.Het ? TapeImageFormat.Het : TapeImageFormat.Aws;

    private static string Name(TapeImageFormat format) => format switch
    {
        TapeImageFormat.Aws => "AWS",
        TapeImageFormat.Het => "HET",
        _ => "FakeTape",
    };
}
