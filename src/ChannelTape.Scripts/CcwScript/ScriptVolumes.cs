using ChannelTape.Media;

namespace ChannelTape.Scripts.CcwScript;

/// <summary>
/// Turns a <c>tape</c> / <c>mount</c> volume into an image in a work directory, as the reference
/// runner does: files are copied first (a script never changes its fixtures), <c>empty</c> is a new
/// zero-length AWS file, <c>blocks { ... }</c> a new AWS file holding the blocks.
/// </summary>
public sealed class ScriptVolumes
{
    private readonly string _scriptDirectory;
    private readonly string _workDirectory;
    private int _images;

    /// <param name="scriptDirectory">Folder relative volume paths are taken from (the script's folder).</param>
    /// <param name="workDirectory">Folder the images are created in; it must exist.</param>
    public ScriptVolumes(string scriptDirectory, string workDirectory)
    {
        _scriptDirectory = scriptDirectory;
        _workDirectory = workDirectory;
    }

    /// <summary>
    /// Prepares and opens <paramref name="volume"/> (kind <see cref="VolumeKind.None"/> gives no media
    /// and no error). False with a reason when an option, the file or the image is bad.
    /// </summary>
    public bool TryOpen(VolumeSpec volume, out ITapeMedia? media, out string? error)
    {
        ArgumentNullException.ThrowIfNull(volume);
        media = null;
        if (volume.Kind == VolumeKind.None)
        {
            error = null;
            return true;
        }

        if (!TapeImageOptions.TryParse(volume.Options, out var options, out error))
        {
            return false;
        }

        var number = ++_images;
        switch (volume.Kind)
        {
            case VolumeKind.File:
            {
                var source = Path.Combine(_scriptDirectory, volume.Path!);
                var copy = Path.Combine(_workDirectory, $"{number:D2}-{Path.GetFileName(source)}");
                try
                {
                    File.Copy(source, copy, overwrite: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
                {
                    error = $"{volume.Path}: {e.Message}";
                    return false;
                }

                return TapeImage.TryOpen(copy, options, out media, out error);
            }

            case VolumeKind.Empty:
                return TapeImage.TryCreate(Path.Combine(_workDirectory, $"{number:D2}-empty.aws"), TapeImageFormat.Aws, options, out media, out error);
            case VolumeKind.Blocks:
            {
                var path = Path.Combine(_workDirectory, $"{number:D2}-blocks.aws");
                if (!TryWriteBlocks(path, volume.Blocks, out error))
                {
                    return false;
                }

                return TapeImage.TryOpen(path, options, out media, out error);
            }

            default:
                error = $"unknown volume kind {volume.Kind}";
                return false;
        }
    }

    /// <summary>
    /// Writes the blocks as the reference runner's <c>aws_encode</c> does: one chunk per block, with
    /// default options (the volume's own options, such as <c>ro</c> or <c>maxsize</c>, apply when it is mounted).
    /// </summary>
    private static bool TryWriteBlocks(string path, IReadOnlyList<VolumeBlock> blocks, out string? error)
    {
        if (!TapeImage.TryCreate(path, TapeImageFormat.Aws, new TapeImageOptions(), out var media, out error))
        {
            return false;
        }

        using (media)
        {
            foreach (var block in blocks)
            {
                var status = block.Data is { } data ? media!.Write(data) : media!.WriteTapeMark();
                if (status != MediaStatus.Ok)
                {
                    error = $"line {block.Location.Line}: writing the block gave {status}";
                    return false;
                }
            }

            return true;
        }
    }
}
