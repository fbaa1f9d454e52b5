using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace ChannelTape.Media;

/// <summary>
/// The file that holds a volume image, as the formats read and write it: positional reads that never
/// go past the length this object knows, a small cache that saves system calls (the header that
/// follows the data just read, and a read-ahead window for header walks and short blocks), and writes
/// that cut the file after the data written, as Hercules does after every write (awstape.c,
/// hetlib.c, faketape.c ftruncate). Every change to the file goes through here, so the cache and the
/// length stay right. Errors are results (-1, false, a <see cref="MediaStatus"/>), never exceptions.
/// </summary>
internal sealed class ImageFile : IDisposable
{
    private const int HeaderCacheSize = 16;

    private readonly SafeFileHandle _handle;

    // Only used for Flush(true) = fsync; all data I/O is positional through RandomAccess.
    private readonly FileStream _syncStream;

    // The bytes that follow the last data read, when they were read along with it: usually the
    // next block's header, so a forward read costs one system call per chunk instead of two.
    private readonly byte[] _headerCache = new byte[HeaderCacheSize];
    private long _headerCacheOffset = -1;
    private int _headerCacheLength;

    // Read-ahead for header walks and small blocks: spacing, Locate and reads of short blocks
    // are served from one 64 KiB read instead of a system call per header.
    private const int ReadAheadSize = 64 * 1024;
    // A header walk over large blocks (spacing, read-ahead by reference over 32-64 KiB blocks)
    // would read 64 KiB per header and use 6 bytes of it: when the header wanted lies more than
    // SparseGap past the end of the last window, the next window is only HeaderOnlySize.
    private const int HeaderOnlySize = 512;
    private const int SparseGap = 4096;
    private byte[] _readAhead = [];
    private long _readAheadOffset = -1;
    private int _readAheadLength;

    public ImageFile(SafeFileHandle handle, bool readOnly)
    {
        _handle = handle;
        Length = RandomAccess.GetLength(handle);
        _syncStream = new FileStream(handle, readOnly ? FileAccess.Read : FileAccess.ReadWrite, bufferSize: 0);
    }

    /// <summary>Current file length as this object last left it.</summary>
    public long Length { get; private set; }

    /// <summary>Flushes and fsyncs; false on an I/O error.</summary>
    public bool Synchronize()
    {
        try
        {
            _syncStream.Flush(flushToDisk: true);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _syncStream.Dispose();
        _handle.Dispose();
    }

    /// <summary>Reads up to <paramref name="destination"/>.Length bytes at <paramref name="offset"/>; fewer only at end of file. -1 on an I/O error.</summary>
    public int ReadAt(long offset, Span<byte> destination)
    {
        // Never past the length this object knows (it writes every byte the file gains), so a
        // device that reads endlessly, such as /dev/zero, still ends.
        long available = Length - offset;
        if (available <= 0)
        {
            return 0;
        }

        if (available < destination.Length)
        {
            destination = destination[..(int)available];
        }

        int total = 0;
        try
        {
            while (total < destination.Length)
            {
                int read = RandomAccess.Read(_handle, destination[total..], offset + total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }
        }
        catch (IOException)
        {
            return -1;
        }

        return total;
    }

    /// <summary>Reads a header at <paramref name="offset"/>, from the cache when the last data read brought it along.</summary>
    public int ReadHeader(long offset, Span<byte> header)
    {
        if (offset == _headerCacheOffset && (_headerCacheLength >= header.Length || offset + _headerCacheLength >= Length))
        {
            int cached = Math.Min(_headerCacheLength, header.Length);
            _headerCache.AsSpan(0, cached).CopyTo(header);
            return cached;
        }

        if (!ReadAheadCovers(offset, header.Length))
        {
            if (_readAhead.Length == 0)
            {
                _readAhead = new byte[ReadAheadSize];
            }

            bool sparse = _readAheadOffset >= 0 && offset - (_readAheadOffset + _readAheadLength) > SparseGap;
            _readAheadOffset = -1;
            int read = ReadAt(offset, sparse ? _readAhead.AsSpan(0, Math.Max(HeaderOnlySize, header.Length)) : _readAhead);
            if (read < 0)
            {
                return -1;
            }

            _readAheadOffset = offset;
            _readAheadLength = read;
        }

        int available = (int)Math.Min(header.Length, _readAheadOffset + _readAheadLength - offset);
        _readAhead.AsSpan((int)(offset - _readAheadOffset), available).CopyTo(header);
        return available;
    }

    /// <summary>
    /// Before reading the block [<paramref name="start"/>, <paramref name="end"/>) backward: when it is
    /// small, fills the read-ahead with the 64 KiB that end at its end, so a run of Read Backward
    /// over short blocks costs one system call per 64 KiB rather than one per block.
    /// </summary>
    public void ReadAheadBackward(long start, long end)
    {
        if (end - start > ReadAheadSize || ReadAheadCovers(start, (int)(end - start)))
        {
            return;
        }

        if (_readAhead.Length == 0)
        {
            _readAhead = new byte[ReadAheadSize];
        }

        long windowStart = Math.Max(0, end - ReadAheadSize);
        _readAheadOffset = -1;
        int read = ReadAt(windowStart, _readAhead.AsSpan(0, (int)(end - windowStart)));
        if (read < 0)
        {
            return;
        }

        _readAheadOffset = windowStart;
        _readAheadLength = read;
    }

    /// <summary>True when the read-ahead holds [offset, offset+length), or holds offset up to the end of the file.</summary>
    private bool ReadAheadCovers(long offset, int length)
    {
        if (_readAheadOffset < 0 || offset < _readAheadOffset)
        {
            return false;
        }

        long end = _readAheadOffset + _readAheadLength;
        return offset + length <= end || (end >= Length && offset <= end);
    }

    /// <summary>
    /// Reads <paramref name="length"/> data bytes at <paramref name="offset"/> into <paramref name="destination"/>
    /// and, in the same system call when room allows, the <paramref name="headerSize"/> bytes after them
    /// (remembered for <see cref="ReadHeader"/>; <paramref name="destination"/> may be scribbled past
    /// <paramref name="length"/>). Returns the data bytes read (short only at end of file), -1 on I/O error.
    /// </summary>
    public int ReadDataAndPeek(long offset, Span<byte> destination, int length, int headerSize)
    {
        _headerCacheOffset = -1;
        if (ReadAheadCovers(offset, length))
        {
            int available = (int)Math.Min(length, _readAheadOffset + _readAheadLength - offset);
            _readAhead.AsSpan((int)(offset - _readAheadOffset), available).CopyTo(destination);
            return available;
        }

        int span = destination.Length >= length + headerSize ? length + headerSize : length;
        int read = ReadAt(offset, destination[..span]);
        if (read < 0)
        {
            return -1;
        }

        if (read < length)
        {
            return read;
        }

        if (span > length)
        {
            _headerCacheLength = read - length;
            destination.Slice(length, _headerCacheLength).CopyTo(_headerCache);
            _headerCacheOffset = offset + length;
        }

        return length;
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/>, then cuts the file there (Hercules ftruncate after every write).</summary>
    public MediaStatus WriteAndTruncate(long offset, ReadOnlySpan<byte> data) => WriteAndTruncate(offset, data, ReadOnlySpan<byte>.Empty);

    /// <summary>Writes <paramref name="header"/> then <paramref name="data"/> at <paramref name="offset"/> (no copy of the data), then cuts the file there.</summary>
    public MediaStatus WriteAndTruncate(long offset, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
    {
        _headerCacheOffset = -1;
        _readAheadOffset = -1;
        long end = offset + header.Length + data.Length;
        try
        {
            WriteGathered(offset, header, data);

            if (Length > end)
            {
                RandomAccess.SetLength(_handle, end);
            }

            Length = end;
            return MediaStatus.Ok;
        }
        catch (IOException e)
        {
            Length = SafeLength();
            // Disk full is the physical end of the volume (awstape.c write_awstape: ENOSPC -> ENDOFTAPE).
            return IsDiskFull(e) ? MediaStatus.EndOfTape : MediaStatus.WriteError;
        }
        catch (UnauthorizedAccessException)
        {
            return MediaStatus.WriteProtected;
        }
    }

    /// <summary>
    /// Writes <paramref name="header"/> and then <paramref name="data"/> at <paramref name="offset"/>: on Linux with one
    /// <c>pwritev</c>, so a block costs one pass through the file system's write path instead of two
    /// (docs/performance.md, "The receive path"); elsewhere with two writes. Throws as <see cref="RandomAccess.Write(SafeFileHandle, ReadOnlySpan{byte}, long)"/> does.
    /// </summary>
    private unsafe void WriteGathered(long offset, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
    {
        if (header.IsEmpty || data.IsEmpty || !OperatingSystem.IsLinux())
        {
            RandomAccess.Write(_handle, header, offset);
            if (!data.IsEmpty)
            {
                RandomAccess.Write(_handle, data, offset + header.Length);
            }

            return;
        }

        long written;
        var added = false;
        fixed (byte* headerBytes = header)
        fixed (byte* dataBytes = data)
        {
            var vectors = stackalloc IoVector[2];
            vectors[0] = new IoVector(headerBytes, (nuint)header.Length);
            vectors[1] = new IoVector(dataBytes, (nuint)data.Length);
            try
            {
                _handle.DangerousAddRef(ref added);
                written = PWriteV((int)_handle.DangerousGetHandle(), vectors, 2, offset);
            }
            finally
            {
                if (added)
                {
                    _handle.DangerousRelease();
                }
            }
        }

        if (written < 0)
        {
            const int EINTR = 4, EPERM = 1, EBADF = 9, EACCES = 13;
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR)
            {
                written = 0;
            }
            else if (errno is EPERM or EBADF or EACCES)
            {
                throw new UnauthorizedAccessException($"pwritev: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
            else
            {
                // HResult carries errno, as RandomAccess's exceptions do on Unix (IsDiskFull reads it).
                throw new IOException($"pwritev: {Marshal.GetPInvokeErrorMessage(errno)}", errno);
            }
        }

        // A short write (a signal, a file size limit): the rest the plain way, which retries or throws.
        if (written < header.Length)
        {
            RandomAccess.Write(_handle, header[(int)written..], offset + written);
            RandomAccess.Write(_handle, data, offset + header.Length);
        }
        else if (written < header.Length + data.Length)
        {
            RandomAccess.Write(_handle, data[(int)(written - header.Length)..], offset + written);
        }
    }

    /// <summary>struct iovec.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly unsafe struct IoVector(byte* start, nuint length)
    {
        public readonly byte* Start = start;
        public readonly nuint Length = length;
    }

    [DllImport("libc", EntryPoint = "pwritev", SetLastError = true)]
    private static extern unsafe nint PWriteV(int fd, IoVector* vectors, int count, long offset);

    /// <summary>Cuts the file at <paramref name="offset"/>.</summary>
    public bool Truncate(long offset)
    {
        _headerCacheOffset = -1;
        _readAheadOffset = -1;
        try
        {
            RandomAccess.SetLength(_handle, offset);
            Length = offset;
            return true;
        }
        catch (IOException)
        {
            Length = SafeLength();
            return false;
        }
    }

    private long SafeLength()
    {
        try
        {
            return RandomAccess.GetLength(_handle);
        }
        catch (IOException)
        {
            return Length;
        }
    }

    private static bool IsDiskFull(IOException e)
    {
        const int ENOSPC = 28, ERROR_DISK_FULL = 0x70, ERROR_HANDLE_DISK_FULL = 0x27;
        int code = e.HResult & 0xFFFF;
        return code is ENOSPC or ERROR_DISK_FULL or ERROR_HANDLE_DISK_FULL;
    }
}
