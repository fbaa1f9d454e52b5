using System.Diagnostics.CodeAnalysis;
using Microsoft.Win32.SafeHandles;

namespace ChannelTape.Media;

/// <summary>Opens and creates volume images (docs/reference/hercules-tape.md §6.5; tapedev.c gettapetype, open_awstape, het_open).</summary>
public static class TapeImage
{
    private const int DetectionBytes = 6;

    /// <summary>
    /// The image format, as tapedev.c gettapetype decides it: by name (<c>.aws</c>, <c>.het</c>,
    /// <c>.fkt</c>, case-insensitive), then by the first header: "0000" FakeTape; a zero previous
    /// length means AWS, or HET when a compression bit is set (a leading tape mark is undecidable);
    /// the data wins over the name except that a <c>.het</c> name wins over plain AWS data.
    /// Anything undecided is AWS.
    /// </summary>
    public static TapeImageFormat DetectFormat(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        Span<byte> start = stackalloc byte[DetectionBytes];
        int length = 0;
        if (File.Exists(path) && TryOpenHandle(path, FileMode.Open, readOnly: false, out SafeFileHandle? handle, out _, out _))
        {
            using (handle)
            {
                length = ReadStart(handle, start);
            }
        }

        return Decide(FormatByName(path), FormatByData(start[..length]));
    }

    /// <summary>
    /// Opens an existing image. A missing or unreadable file fails (Hercules: load failure, ERA 33);
    /// a file that cannot be opened for writing opens read-only (awstape.c open_awstape). An empty
    /// HET file opened for writing is initialised with two tape marks, as hetlib.c het_open does.
    /// </summary>
    public static bool TryOpen(string path, TapeImageOptions options, [NotNullWhen(true)] out ITapeMedia? media, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        media = null;
        if (System.IO.Path.GetExtension(path).Equals(".tdf", StringComparison.OrdinalIgnoreCase))
        {
            error = $"{path}: OMA (.tdf) images are not supported";
            return false;
        }

        if (Directory.Exists(path))
        {
            error = $"{path}: is a directory, not a tape image";
            return false;
        }

        if (!File.Exists(path))
        {
            error = $"{path}: no such file";
            return false;
        }

        if (!TryOpenHandle(path, FileMode.Open, options.ReadOnly, out SafeFileHandle? handle, out bool readOnly, out error))
        {
            return false;
        }

        if (!IsSeekable(handle))
        {
            // A pipe or socket: its reads could wait for ever.
            handle.Dispose();
            error = $"{path}: not a regular file";
            return false;
        }

        Span<byte> start = stackalloc byte[DetectionBytes];
        start = start[..ReadStart(handle, start)];
        if (start.StartsWith("@TDF"u8))
        {
            handle.Dispose();
            error = $"{path}: OMA (.tdf) images are not supported";
            return false;
        }

        TapeImageFormat format = Decide(FormatByName(path), FormatByData(start));
        if (!TryCreateMedia(path, format, handle, readOnly, options, out media, out error))
        {
            return false;
        }

        if (format == TapeImageFormat.Het && !readOnly && media.ImageSize == 0)
        {
            // hetlib.c het_open: "If uninitialized tape, write 2 tapemarks to make it a valid NL tape".
            if (media.WriteTapeMark() != MediaStatus.Ok || media.WriteTapeMark() != MediaStatus.Ok || media.Rewind() != MediaStatus.Ok)
            {
                media.Dispose();
                media = null;
                error = $"{path}: cannot initialise the empty HET image";
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Creates a new, empty image (0 bytes). An existing empty file is taken over; an existing file
    /// with data is refused, so no volume is overwritten by accident.
    /// </summary>
    public static bool TryCreate(string path, TapeImageFormat format, TapeImageOptions options, [NotNullWhen(true)] out ITapeMedia? media, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(options);
        media = null;
        if (!Enum.IsDefined(format))
        {
            error = $"{path}: unknown image format {format}";
            return false;
        }

        try
        {
            if (File.Exists(path) && new FileInfo(path).Length > 0)
            {
                error = $"{path}: already exists and is not empty";
                return false;
            }

            using (File.Open(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = $"{path}: {e.Message}";
            return false;
        }

        return TryOpenHandle(path, FileMode.Open, options.ReadOnly, out SafeFileHandle? handle, out bool readOnly, out error)
            && TryCreateMedia(path, format, handle!, readOnly, options, out media, out error);
    }

    private static bool TryCreateMedia(string path, TapeImageFormat format, SafeFileHandle handle, bool readOnly, TapeImageOptions options,
        [NotNullWhen(true)] out ITapeMedia? media, [NotNullWhen(false)] out string? error)
    {
        try
        {
            media = format switch
            {
                TapeImageFormat.FakeTape => new FakeTapeMedia(path, handle, readOnly, options),
                TapeImageFormat.Het => new HetTapeMedia(path, handle, readOnly, options),
                _ => new AwsTapeMedia(path, handle, readOnly, options),
            };
            error = null;
            return true;
        }
        catch (IOException e)
        {
            handle.Dispose();
            media = null;
            error = $"{path}: {e.Message}";
            return false;
        }
    }

    private static bool TryOpenHandle(string path, FileMode mode, bool readOnly, [NotNullWhen(true)] out SafeFileHandle? handle, out bool openedReadOnly, [NotNullWhen(false)] out string? error)
    {
        handle = null;
        openedReadOnly = readOnly;
        error = null;
        if (!readOnly)
        {
            try
            {
                handle = File.OpenHandle(path, mode, FileAccess.ReadWrite, FileShare.ReadWrite);
                return true;
            }
            catch (UnauthorizedAccessException)
            {
                // Read-only file or file system: retry read-only (awstape.c open_awstape, EROFS/EACCES).
                openedReadOnly = true;
            }
            catch (IOException e) when (IsReadOnlyFileSystem(e))
            {
                openedReadOnly = true;
            }
            catch (Exception e) when (e is IOException or ArgumentException or NotSupportedException)
            {
                error = $"{path}: {e.Message}";
                return false;
            }
        }

        try
        {
            handle = File.OpenHandle(path, mode, FileAccess.Read, FileShare.ReadWrite);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = $"{path}: {e.Message}";
            return false;
        }
    }

    private static bool IsReadOnlyFileSystem(IOException e)
    {
        const int EROFS = 30;
        return (e.HResult & 0xFFFF) == EROFS;
    }

    private static TapeImageFormat? FormatByName(string path)
    {
        string extension = System.IO.Path.GetExtension(path);
        if (extension.Equals(".aws", StringComparison.OrdinalIgnoreCase))
        {
            return TapeImageFormat.Aws;
        }

        if (extension.Equals(".het", StringComparison.OrdinalIgnoreCase))
        {
            return TapeImageFormat.Het;
        }

        if (extension.Equals(".fkt", StringComparison.OrdinalIgnoreCase))
        {
            return TapeImageFormat.FakeTape;
        }

        return null;
    }

    /// <summary>tapedev.c gettapetype: the data wins, except that a .het name wins over plain AWS data; AWS by default.</summary>
    private static TapeImageFormat Decide(TapeImageFormat? byName, TapeImageFormat? byData)
    {
        if (byData is { } data && (data != TapeImageFormat.Aws || byName != TapeImageFormat.Het))
        {
            return data;
        }

        return byName ?? TapeImageFormat.Aws;
    }

    /// <summary>tapedev.c gettapetype_bydata, from the first 6 bytes (fewer: undecided).</summary>
    private static TapeImageFormat? FormatByData(ReadOnlySpan<byte> header)
    {
        if (header.Length < DetectionBytes)
        {
            return null;
        }

        if (header[0] == '0' && header[1] == '0' && header[2] == '0' && header[3] == '0')
        {
            return TapeImageFormat.FakeTape;
        }

        if (header[2] != 0 || header[3] != 0)
        {
            return null;
        }

        var flags1 = (AwsFlags1)header[4];
        var flags2 = (AwsFlags2)header[5];
        if ((flags1 & AwsFlags1.TapeMark) != 0)
        {
            return null;
        }

        if ((flags1 & AwsFlags1.CompressionMask) != 0 || (flags2 & AwsFlags2.BusTechZlib) != 0)
        {
            return TapeImageFormat.Het;
        }

        return TapeImageFormat.Aws;
    }

    /// <summary>False for pipes and sockets (RandomAccess refuses handles that cannot seek).</summary>
    private static bool IsSeekable(SafeFileHandle handle)
    {
        try
        {
            RandomAccess.Read(handle, Span<byte>.Empty, 0);
            return true;
        }
        catch (Exception e) when (e is NotSupportedException or IOException)
        {
            return false;
        }
    }

    /// <summary>Reads the first bytes of the file, never past its length (so a device such as /dev/zero ends at 0).</summary>
    private static int ReadStart(SafeFileHandle handle, Span<byte> destination)
    {
        try
        {
            long fileLength = RandomAccess.GetLength(handle);
            int wanted = (int)Math.Min(destination.Length, fileLength);
            int total = 0;
            while (total < wanted)
            {
                int read = RandomAccess.Read(handle, destination[total..wanted], total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            return total;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return 0;
        }
    }
}
