using System.Text;
using ChannelTape.Media;

namespace ChannelTape.Runtime;

/// <summary>
/// Where images may be mounted by path (docs/security.md, "Confinement"): a server's drives mount
/// library volumes by name; an image by its path only when it lies, after every <c>..</c> and symbolic
/// link is resolved, inside one of the image folders the configuration names, is a regular file with
/// one link (a hard link could bring in any file of the file system), is not inside the storage root
/// (the catalog, the lock file, the library's own images and administrative volumes) and is a tape
/// image (named as one, empty, or starting with an AWS/HET or FakeTape header). An image is mounted on one drive
/// at a time. One instance is shared by the drives of a server; <see cref="Unconfined"/> is for drives of
/// tools and tests that mount whatever path they are given.
/// </summary>
public sealed class ImageConfinement
{
    private readonly string[] _folders;
    private readonly string[] _forbidden;
    private readonly Dictionary<string, DriveRuntime> _claims = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    private ImageConfinement(string[] folders, string[] forbidden, bool confined)
    {
        _folders = folders;
        _forbidden = forbidden;
        IsConfined = confined;
    }

    /// <summary>Any path may be mounted (in-process tools, tests of the drive).</summary>
    public static ImageConfinement Unconfined { get; } = new([], [], confined: false);

    /// <summary>Paths inside <paramref name="folders"/> and outside <paramref name="forbidden"/> (the storage root).</summary>
    public static ImageConfinement Folders(IEnumerable<string> folders, IEnumerable<string> forbidden) =>
        new([.. folders.Select(Canonical)], [.. forbidden.Select(Canonical)], confined: true);

    /// <summary>False for <see cref="Unconfined"/>.</summary>
    public bool IsConfined { get; }

    /// <summary>The image folders, resolved.</summary>
    public IReadOnlyList<string> ImageFolders => _folders;

    /// <summary>
    /// Decides whether <paramref name="path"/> may be mounted; the path to open (resolved), or the refusal.
    /// Does not claim it (see <see cref="TryClaim"/>).
    /// </summary>
    public bool TryAdmit(string path, out string resolved, out VolumeRefusal? refusal)
    {
        resolved = path;
        refusal = null;
        if (!IsConfined)
        {
            return true;
        }

        if (_folders.Length == 0)
        {
            refusal = Refused($"mounting an image by path is not allowed here: the configuration names no image folder; mount a library volume by its serial");
            return false;
        }

        if (!Path.IsPathFullyQualified(path))
        {
            refusal = Refused($"'{path}' is not an absolute path: an image is mounted by its full path inside an image folder");
            return false;
        }

        var real = FileIdentity.RealPath(path);
        if (real is null)
        {
            refusal = new VolumeRefusal(VolumeRefusalReason.CannotOpen, $"{path}: no such file");
            return false;
        }

        if (_forbidden.Any(root => IsInside(real, root)))
        {
            refusal = Refused($"{path} is in the library's storage: library volumes are mounted by their serial, never by path");
            return false;
        }

        if (!_folders.Any(folder => IsInside(real, folder)))
        {
            refusal = Refused($"{path} is outside the image folders ({string.Join(", ", _folders)})"
                + (real != Path.GetFullPath(path) ? $": it resolves to {real}" : ""));
            return false;
        }

        var identity = FileIdentity.Of(real);
        if (!identity.IsRegular)
        {
            refusal = Refused($"{path} is not a regular file");
            return false;
        }

        if (identity.LinkCount > 1)
        {
            refusal = Refused($"{path} has {identity.LinkCount} hard links: an image in an image folder must have one");
            return false;
        }

        if (!LooksLikeTapeImage(real, out var why))
        {
            refusal = Refused($"{path} is not a tape image: {why}");
            return false;
        }

        resolved = real;
        return true;
    }

    /// <summary>
    /// Claims <paramref name="resolved"/> for <paramref name="drive"/>; false (with the drive that has it) when
    /// another drive has that image mounted. A claim lasts while its drive still holds the image, so an
    /// unload, a Rewind Unload or a library mount over it ends it without being told.
    /// </summary>
    public bool TryClaim(string resolved, DriveRuntime drive, out ushort holder)
    {
        lock (_lock)
        {
            if (_claims.TryGetValue(resolved, out var other) && other != drive && other.Drive.Media?.Path == resolved)
            {
                holder = other.DeviceNumber;
                return false;
            }

            _claims[resolved] = drive;
            holder = drive.DeviceNumber;
            return true;
        }
    }

    /// <summary>The names Hercules takes for tape images by their extension (tapedev.c gettapetype).</summary>
    private static readonly string[] ImageExtensions = [".aws", ".het", ".fkt"];

    /// <summary>
    /// A tape image: named as one (<c>.aws</c>, <c>.het</c>, <c>.fkt</c>; a damaged image is still an image, and
    /// the drive reports its damage as Hercules does), or empty (a new tape), or starting with a first block
    /// header: AWS/HET (previous length 0, start of record or tape mark flag, no unknown flag bits) or
    /// FakeTape (twelve hex digits, previous length 0000). A shell script, a database or a text file is none.
    /// </summary>
    public static bool LooksLikeTapeImage(string path, out string why)
    {
        if (ImageExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
        {
            why = "";
            return true;
        }

        Span<byte> start = stackalloc byte[12];
        int read;
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            read = RandomAccess.Read(handle, start, 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            why = e.Message;
            return false;
        }

        why = "";
        if (read == 0)
        {
            return true;
        }

        if (read >= 6 && start[2] == 0 && start[3] == 0 && (start[4] & 0xC0) != 0 && (start[4] & 0x1C) == 0)
        {
            return true;
        }

        if (read == 12 && start[..4].SequenceEqual("0000"u8) && start.ToArray().All(b => Uri.IsHexDigit((char)b)))
        {
            return true;
        }

        why = $"it is not named .aws, .het or .fkt and starts with {Convert.ToHexString(start[..Math.Min(read, 6)])}"
            + $" ('{Printable(start[..Math.Min(read, 6)])}'), not with the header of a first block";
        return false;
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder();
        foreach (var b in bytes)
        {
            text.Append(b is >= 0x20 and < 0x7F ? (char)b : '.');
        }

        return text.ToString();
    }

    private static VolumeRefusal Refused(string message) => new(VolumeRefusalReason.NotAuthorised, message);

    private static string Canonical(string folder)
    {
        var full = Path.GetFullPath(folder);
        return (FileIdentity.RealPath(full) ?? full).TrimEnd(Path.DirectorySeparatorChar);
    }

    private static bool IsInside(string path, string folder) =>
        path == folder || path.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal)
        || folder.Length == 0;
}
