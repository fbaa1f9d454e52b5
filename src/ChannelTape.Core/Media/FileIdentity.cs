using System.Runtime.InteropServices;

namespace ChannelTape.Media;

/// <summary>What kind of file a path names, without following a last symbolic link and without opening it.</summary>
public enum FileKind
{
    Missing,
    Regular,
    Directory,
    SymbolicLink,
    /// <summary>A FIFO, socket or device: reading it can block for ever or never end.</summary>
    Special,
}

/// <summary>
/// A file's kind, link count, device and inode (Linux <c>statx</c>, whose layout is the same on every
/// architecture; elsewhere from the managed file system API, without link count or inode). Used where
/// a path comes from outside (configuration includes, secret files, images mounted by path): a FIFO must
/// not hang a reader, <c>/dev/zero</c> must not fill memory, and a hard link must not smuggle in a file.
/// </summary>
public readonly record struct FileIdentity(FileKind Kind, long Size, uint LinkCount, ulong Device, ulong Inode)
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7FF;
    private const int StatxBufferSize = 256;
    private const int NlinkOffset = 16;
    private const int ModeOffset = 28;
    private const int InoOffset = 32;
    private const int SizeOffset = 40;
    private const int DevMajorOffset = 136;
    private const int DevMinorOffset = 140;

    /// <summary>True for a plain file.</summary>
    public bool IsRegular => Kind == FileKind.Regular;

    /// <summary>Looks at <paramref name="path"/> itself (a symbolic link is reported as one).</summary>
    public static FileIdentity Of(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsLinux())
        {
            try
            {
                return OfLinux(path);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // A C library without statx: fall back to what the managed API can tell.
            }
        }

        return OfManaged(path);
    }

    /// <summary>Reads a whole regular file of at most <paramref name="maxBytes"/> bytes; false with the reason for anything else.</summary>
    public static bool TryReadSmallFile(string path, int maxBytes, out byte[] contents, out string error)
    {
        contents = [];
        FileIdentity identity;
        try
        {
            identity = Of(Path.GetFullPath(path));
            if (identity.Kind == FileKind.SymbolicLink)
            {
                // The file a link names is what counts; a link to a FIFO is still a FIFO.
                var target = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true);
                identity = target is null ? default : Of(target.FullName);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = e.Message;
            return false;
        }

        switch (identity.Kind)
        {
            case FileKind.Missing:
                error = "no such file";
                return false;
            case FileKind.Directory:
                error = "is a directory";
                return false;
            case FileKind.Special or FileKind.SymbolicLink:
                error = "not a regular file (a FIFO, socket or device cannot be read)";
                return false;
        }

        if (identity.Size > maxBytes)
        {
            error = $"larger than {maxBytes} bytes";
            return false;
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.None);
            var buffer = new byte[maxBytes + 1];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = stream.Read(buffer, total, buffer.Length - total)) > 0)
            {
                total += read;
            }

            if (total > maxBytes)
            {
                error = $"larger than {maxBytes} bytes";
                return false;
            }

            contents = buffer[..total];
            error = "";
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = e.Message;
            return false;
        }
    }

    private static unsafe FileIdentity OfLinux(string path)
    {
        byte* buffer = stackalloc byte[StatxBufferSize];
        new Span<byte>(buffer, StatxBufferSize).Clear();
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxBasicStats, buffer) != 0)
        {
            return new FileIdentity(FileKind.Missing, 0, 0, 0, 0);
        }

        var mode = *(ushort*)(buffer + ModeOffset);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.SymbolicLink,
            _ => FileKind.Special,
        };
        var device = ((ulong)*(uint*)(buffer + DevMajorOffset) << 32) | *(uint*)(buffer + DevMinorOffset);
        return new FileIdentity(kind, *(long*)(buffer + SizeOffset), *(uint*)(buffer + NlinkOffset), device, *(ulong*)(buffer + InoOffset));
    }

    private static FileIdentity OfManaged(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            return new FileIdentity(FileKind.SymbolicLink, 0, 1, 0, 0);
        }

        if (Directory.Exists(path))
        {
            return new FileIdentity(FileKind.Directory, 0, 1, 0, 0);
        }

        return info.Exists ? new FileIdentity(FileKind.Regular, info.Length, 1, 0, 0) : new FileIdentity(FileKind.Missing, 0, 0, 0, 0);
    }

    /// <summary>
    /// The canonical absolute path of <paramref name="path"/>: every <c>..</c> and every symbolic link on
    /// the way resolved (POSIX <c>realpath</c>); null when it does not exist. Elsewhere than on Linux the
    /// full path with the last link resolved.
    /// </summary>
    public static string? RealPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (OperatingSystem.IsLinux())
        {
            try
            {
                var resolved = RealPathNative(path, IntPtr.Zero);
                if (resolved == IntPtr.Zero)
                {
                    return null;
                }

                try
                {
                    return Marshal.PtrToStringUTF8(resolved);
                }
                finally
                {
                    Free(resolved);
                }
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                // Fall through to the managed approximation.
            }
        }

        var full = Path.GetFullPath(path);
        if (!File.Exists(full) && !Directory.Exists(full))
        {
            return null;
        }

        return new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
    }

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    private static extern IntPtr RealPathNative([MarshalAs(UnmanagedType.LPUTF8Str)] string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    private static extern void Free(IntPtr pointer);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern unsafe int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte* buffer);
}
