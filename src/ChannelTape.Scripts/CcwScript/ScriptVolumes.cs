using System.Diagnostics.CodeAnalysis;
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

    /// <summary>Creates <paramref name="workDirectory"/> if missing, for a script drive's volumes; false with the reason when it cannot.</summary>
    /// <param name="scriptDirectory">Folder relative volume paths are taken from (the script's folder).</param>
    /// <param name="workDirectory">Folder the images are created in.</param>
    /// <param name="volumes">The volumes of that script.</param>
    /// <param name="error">Why the work directory could not be created.</param>
    public static bool TryCreate(string scriptDirectory, string workDirectory,
        [NotNullWhen(true)] out ScriptVolumes? volumes, [NotNullWhen(false)] out string? error)
    {
        volumes = null;
        try
        {
            Directory.CreateDirectory(workDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = $"{workDirectory}: {e.Message}";
            return false;
        }

        volumes = new ScriptVolumes(scriptDirectory, workDirectory);
        error = null;
        return true;
    }

    /// <summary>
    /// Prepares and opens <paramref name="volume"/> (kind <see cref="VolumeKind.None"/> gives no media
    /// and no error). False with a reason when an option, the file or the image is bad.
    /// </summary>
    public bool TryOpen(VolumeSpec volume, out ITapeMedia? media, out string? error)
    {
        ArgumentNullException.ThrowIfNull(volume);
        media = null;
        if (!TryPrepare(volume, out var path, out error) || path is null)
        {
            return error is null;
        }

        _ = TapeImageOptions.TryParse(volume.Options, out var options, out _);
        return TapeImage.TryOpen(path, options, out media, out error);
    }

    /// <summary>
    /// Puts the image of <paramref name="volume"/> in the work directory and returns its path (null for
    /// <see cref="VolumeKind.None"/>), for a drive that opens it itself, such as one on a server.
    /// </summary>
    public bool TryPrepare(VolumeSpec volume, out string? path, out string? error)
    {
        ArgumentNullException.ThrowIfNull(volume);
        path = null;
        if (volume.Kind == VolumeKind.None)
        {
            error = null;
            return true;
        }

        if (!TapeImageOptions.TryParse(volume.Options, out _, out error))
        {
            return false;
        }

        var number = ++_images;
        try
        {
            switch (volume.Kind)
            {
                case VolumeKind.File:
                    var source = Path.Combine(_scriptDirectory, volume.Path!);
                    path = Path.Combine(_workDirectory, $"{number:D2}-{SafeName(Path.GetFileName(source))}");
                    File.Copy(source, path, overwrite: true);
                    return true;
                case VolumeKind.Empty:
                    path = Path.Combine(_workDirectory, $"{number:D2}-empty.aws");
                    File.WriteAllBytes(path, []);
                    return true;
                case VolumeKind.Blocks:
                    path = Path.Combine(_workDirectory, $"{number:D2}-blocks.aws");
                    File.WriteAllBytes(path, []);
                    return TryWriteBlocks(path, volume.Blocks, out error);
                default:
                    error = $"unknown volume kind {volume.Kind}";
                    return false;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = $"{volume.Path ?? volume.Kind.ToString().ToLowerInvariant()}: {e.Message}";
            return false;
        }
    }

    /// <summary>
    /// <paramref name="name"/> with every character other than letters, digits, '.', '-' and '_' as '_':
    /// a server receives the image path inside a blank-separated mount request.
    /// </summary>
    public static string SafeName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return string.Create(name.Length, name, static (chars, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                chars[i] = char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_';
            }
        });
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
