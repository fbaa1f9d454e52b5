using Microsoft.Win32.SafeHandles;

namespace ChannelTape.Media;

/// <summary>
/// Outcome of walking one block: its status, data length, where the next block starts, and for a walk
/// that asked where the data lies (<see cref="ScanData.StoredExtent"/>) where it starts when the block is
/// stored in one uncompressed piece (else -1).
/// </summary>
internal readonly record struct BlockScan(MediaStatus Status, int Length, long NextOffset, ushort LastChunkLength, bool IsTapeMark,
    long ImageOffset = -1)
{
    public static BlockScan Failed(MediaStatus status) => new(status, 0, 0, 0, false);
}

/// <summary>What a block walk does with the block's data.</summary>
internal enum ScanData
{
    /// <summary>Headers only (spacing, Locate).</summary>
    Skip,
    /// <summary>Reads (and decompresses) the data into the destination.</summary>
    Read,
    /// <summary>
    /// Reads no data: for a data block stored in one piece without compression, wholly inside the file,
    /// gives where its data starts (<see cref="BlockScan.ImageOffset"/>); for any other data block
    /// <see cref="BlockScan.ImageOffset"/> is -1 and the rest of the block is not walked.
    /// </summary>
    StoredExtent,
}

/// <summary>Outcome of writing one block or tape mark.</summary>
/// <param name="Status">Result for the caller.</param>
/// <param name="Written">The block is now on the volume (the position moves past it), even if <paramref name="Status"/> is not Ok (HET past maxsize).</param>
/// <param name="FileChanged">The file was touched, so whatever followed the write position is gone.</param>
/// <param name="NextOffset">Where the block written ends.</param>
/// <param name="LastChunkLength">Data length of its last chunk (the next header's previous length).</param>
internal readonly record struct WriteOutcome(MediaStatus Status, bool Written, bool FileChanged, long NextOffset, ushort LastChunkLength)
{
    public static WriteOutcome Refused(MediaStatus status) => new(status, false, false, 0, 0);
}

/// <summary>
/// What AWSTAPE, HET and FakeTape share: a chain of blocks in one file, the position model of
/// hercules-tape.md §6.5 (block counter, file number, offset of the next header), the
/// <see cref="BlockIndex"/> that makes backward motion and Locate free of rereading, write
/// protection and the file I/O. Formats supply how one block is walked and written.
/// </summary>
internal abstract class TapeMediaBase : ITapeMedia
{
    /// <summary>Largest block: 2 MiB (Hyperion tapedev.h MAX_TAPE_BLKSIZE, hetlib.h HETMAX_BLOCKSIZE).</summary>
    public const int MaximumBlockSize = 2 * 1024 * 1024;

    private const int HeaderCacheSize = 16;

    protected readonly SafeFileHandle Handle;
    protected readonly TapeImageOptions Options;
    protected readonly BlockIndex Index = new();
    private readonly FileStream _syncStream;
    private long _block;
    private bool _disposed;

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

    protected TapeMediaBase(string path, TapeImageFormat format, SafeFileHandle handle, bool readOnly, TapeImageOptions options)
    {
        Path = path;
        Format = format;
        Handle = handle;
        IsReadOnly = readOnly;
        Options = options;
        FileLength = RandomAccess.GetLength(handle);
        // Only used for Flush(true) = fsync; all data I/O is positional through RandomAccess.
        _syncStream = new FileStream(handle, readOnly ? FileAccess.Read : FileAccess.ReadWrite, bufferSize: 0);
    }

    public string Path { get; }
    public TapeImageFormat Format { get; }
    public bool IsReadOnly { get; }
    public virtual int MaxBlockSize => MaximumBlockSize;
    public long ImageSize => FileLength;
    public abstract bool IsPastEarlyWarning { get; }
    public abstract long WriteAllowanceBeforeWarning { get; }

    public TapePosition Position => new(_block, Index.FileNumberAt(_block), Index.OffsetOf(_block));

    /// <summary>Current file length as this object last left it.</summary>
    protected long FileLength { get; set; }

    /// <summary>Offset of the next header.</summary>
    protected long CurrentOffset => Index.OffsetOf(_block);

    /// <summary>Walks the block at <paramref name="offset"/>; as <paramref name="data"/> says, its data goes to <paramref name="destination"/>.</summary>
    protected abstract BlockScan ScanBlock(long offset, Span<byte> destination, ScanData data);

    /// <summary>
    /// For <see cref="TryGetStoredExtent"/>: the extent of block <paramref name="block"/>, already in the
    /// index (written here or walked before), from the index alone, without reading its header; false when
    /// the format cannot tell from the index that the block lies in one piece as it would be read.
    /// </summary>
    protected virtual bool TryStoredExtentFromIndex(long block, out long offset, out int length)
    {
        offset = -1;
        length = 0;
        return false;
    }

    /// <summary>Writes a block at <paramref name="offset"/> (capacity rules included) and truncates the file after it.</summary>
    protected abstract WriteOutcome WriteBlockAt(long offset, ushort previousChunkLength, ReadOnlySpan<byte> block);

    /// <summary>Writes a tape mark at <paramref name="offset"/> (capacity rules included) and truncates the file after it.</summary>
    protected abstract WriteOutcome WriteTapeMarkAt(long offset, ushort previousChunkLength);

    public MediaStatus ReadForward(Span<byte> buffer, out int length)
    {
        CheckBuffer(buffer);
        return Forward(buffer, out length);
    }

    public bool TryGetStoredExtent(long blockNumber, out long offset, out int length)
    {
        offset = -1;
        length = 0;
        if (blockNumber < 0 || blockNumber > Index.Count)
        {
            return false;
        }

        if (blockNumber < Index.Count)
        {
            if (Index.IsTapeMark(blockNumber))
            {
                return false;
            }

            if (TryStoredExtentFromIndex(blockNumber, out offset, out length))
            {
                return true;
            }
        }

        BlockScan scan = ScanBlock(Index.OffsetOf(blockNumber), Span<byte>.Empty, ScanData.StoredExtent);
        if (scan.Status != MediaStatus.Ok || scan.IsTapeMark || scan.ImageOffset < 0)
        {
            return false;
        }

        offset = scan.ImageOffset;
        length = scan.Length;
        return true;
    }

    /// <summary>Reads the next block and moves past it (a bad block: nothing moves).</summary>
    private MediaStatus Forward(Span<byte> buffer, out int length)
    {
        length = 0;
        BlockScan scan = ScanBlock(CurrentOffset, buffer, ScanData.Read);
        if (scan.Status != MediaStatus.Ok)
        {
            return scan.Status;
        }

        Advance(scan);
        if (scan.IsTapeMark)
        {
            return MediaStatus.TapeMark;
        }

        length = scan.Length;
        return MediaStatus.Ok;
    }

    public MediaStatus ReadBackward(Span<byte> buffer, out int length)
    {
        CheckBuffer(buffer);
        length = 0;
        if (_block == 0)
        {
            return MediaStatus.LoadPoint;
        }

        long previous = _block - 1;
        if (Index.IsTapeMark(previous))
        {
            _block = previous;
            return MediaStatus.TapeMark;
        }

        // The whole block is read forward from its start, whatever its number of chunks, and
        // returned in forward byte order (better than Hercules, which returns the last chunk, §8.9).
        long start = Index.OffsetOf(previous);
        ReadAheadBackward(start, Index.OffsetOf(_block));
        BlockScan scan = ScanBlock(start, buffer, ScanData.Read);
        if (scan.Status != MediaStatus.Ok)
        {
            return scan.Status;
        }

        _block = previous;
        if (scan.IsTapeMark)
        {
            return MediaStatus.TapeMark;
        }

        length = scan.Length;
        return MediaStatus.Ok;
    }

    public MediaStatus Write(ReadOnlySpan<byte> block)
    {
        if (IsReadOnly)
        {
            return MediaStatus.WriteProtected;
        }

        if (block.Length > MaxBlockSize)
        {
            return MediaStatus.WriteError;
        }

        // A zero-length block reads back as a tape mark (Hercules' "phantom tape mark", §8.8), so it is indexed as one.
        return Record(WriteBlockAt(CurrentOffset, Index.PreviousChunkLengthAt(_block), block), tapeMark: block.IsEmpty);
    }

    public MediaStatus WriteTapeMark()
    {
        if (IsReadOnly)
        {
            return MediaStatus.WriteProtected;
        }

        return Record(WriteTapeMarkAt(CurrentOffset, Index.PreviousChunkLengthAt(_block)), tapeMark: true);
    }

    public MediaStatus ForwardSpaceBlock()
    {
        bool tapeMark;
        if (_block < Index.Count)
        {
            // Already walked: no I/O.
            tapeMark = Index.IsTapeMark(_block);
            _block++;
        }
        else
        {
            BlockScan scan = ScanBlock(CurrentOffset, Span<byte>.Empty, ScanData.Skip);
            if (scan.Status != MediaStatus.Ok)
            {
                return scan.Status;
            }

            Advance(scan);
            tapeMark = scan.IsTapeMark;
        }

        return tapeMark ? MediaStatus.TapeMark : MediaStatus.Ok;
    }

    public MediaStatus BackspaceBlock()
    {
        if (_block == 0)
        {
            return MediaStatus.LoadPoint;
        }

        _block--;
        return Index.IsTapeMark(_block) ? MediaStatus.TapeMark : MediaStatus.Ok;
    }

    /// <summary>Spaces forward over blocks up to and including the next tape mark; returns <see cref="MediaStatus.TapeMark"/> when done.</summary>
    public MediaStatus ForwardSpaceFile()
    {
        while (true)
        {
            MediaStatus status = ForwardSpaceBlock();
            if (status != MediaStatus.Ok)
            {
                return status;
            }
        }
    }

    /// <summary>
    /// Spaces backward over blocks up to and including the previous tape mark (left before it);
    /// returns <see cref="MediaStatus.TapeMark"/> when done, <see cref="MediaStatus.LoadPoint"/> when load
    /// point came first (the volume is then at load point; awstape.c bsf_awstape).
    /// </summary>
    public MediaStatus BackspaceFile()
    {
        while (true)
        {
            MediaStatus status = BackspaceBlock();
            if (status != MediaStatus.Ok)
            {
                return status;
            }
        }
    }

    public MediaStatus Rewind()
    {
        _block = 0;
        return MediaStatus.Ok;
    }

    public MediaStatus Locate(long blockNumber)
    {
        if (blockNumber < 0)
        {
            return MediaStatus.LocateFailed;
        }

        if (blockNumber <= Index.Count)
        {
            _block = blockNumber;
            return MediaStatus.Ok;
        }

        // Beyond what is known: walk headers on from the end of the index, never from load point.
        _block = Index.Count;
        while (_block < blockNumber)
        {
            BlockScan scan = ScanBlock(CurrentOffset, Span<byte>.Empty, ScanData.Skip);
            if (scan.Status != MediaStatus.Ok)
            {
                return MediaStatus.LocateFailed;
            }

            Advance(scan);
        }

        return MediaStatus.Ok;
    }

    /// <summary>Flush and fsync. Read-only volumes answer WriteProtected, as Hercules does (awstape.c sync_awstape).</summary>
    public MediaStatus Synchronize()
    {
        if (IsReadOnly)
        {
            return MediaStatus.WriteProtected;
        }

        try
        {
            _syncStream.Flush(flushToDisk: true);
            return MediaStatus.Ok;
        }
        catch (IOException)
        {
            return MediaStatus.WriteError;
        }
    }

    public MediaStatus EraseGap() => IsReadOnly ? MediaStatus.WriteProtected : MediaStatus.Ok;

    /// <summary>Data Security Erase: truncates the image at the current position (Hercules does nothing, §8.4).</summary>
    public MediaStatus EraseToEnd()
    {
        if (IsReadOnly)
        {
            return MediaStatus.WriteProtected;
        }

        long offset = CurrentOffset;
        Index.Truncate(_block);
        return TruncateFile(offset) ? MediaStatus.Ok : MediaStatus.WriteError;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _syncStream.Dispose();
        Handle.Dispose();
    }

    private void CheckBuffer(Span<byte> buffer)
    {
        if (buffer.Length < MaxBlockSize)
        {
            throw new ArgumentException($"The read buffer must hold {MaxBlockSize} bytes (MaxBlockSize).", nameof(buffer));
        }
    }

    private void Advance(in BlockScan scan)
    {
        if (_block == Index.Count)
        {
            Index.Append(scan.NextOffset, scan.IsTapeMark, scan.LastChunkLength);
        }

        _block++;
    }

    private MediaStatus Record(in WriteOutcome outcome, bool tapeMark)
    {
        if (outcome.FileChanged)
        {
            Index.Truncate(_block);
        }

        if (outcome.Written)
        {
            Index.Append(outcome.NextOffset, tapeMark, outcome.LastChunkLength);
            _block++;
        }

        return outcome.Status;
    }

    // ---- file I/O shared by the formats -------------------------------------------------------

    /// <summary>Reads up to <paramref name="destination"/>.Length bytes at <paramref name="offset"/>; fewer only at end of file. -1 on an I/O error.</summary>
    protected int ReadAt(long offset, Span<byte> destination)
    {
        // Never past the length this object knows (it writes every byte the file gains), so a
        // device that reads endlessly, such as /dev/zero, still ends.
        long available = FileLength - offset;
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
                int read = RandomAccess.Read(Handle, destination[total..], offset + total);
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
    protected int ReadHeader(long offset, Span<byte> header)
    {
        if (offset == _headerCacheOffset && (_headerCacheLength >= header.Length || offset + _headerCacheLength >= FileLength))
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
    private void ReadAheadBackward(long start, long end)
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
        return offset + length <= end || (end >= FileLength && offset <= end);
    }

    /// <summary>
    /// Reads <paramref name="length"/> data bytes at <paramref name="offset"/> into <paramref name="destination"/>
    /// and, in the same system call when room allows, the <paramref name="headerSize"/> bytes after them
    /// (remembered for <see cref="ReadHeader"/>; <paramref name="destination"/> may be scribbled past
    /// <paramref name="length"/>). Returns the data bytes read (short only at end of file), -1 on I/O error.
    /// </summary>
    protected int ReadDataAndPeek(long offset, Span<byte> destination, int length, int headerSize)
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
    protected MediaStatus WriteAndTruncate(long offset, ReadOnlySpan<byte> data) => WriteAndTruncate(offset, data, ReadOnlySpan<byte>.Empty);

    /// <summary>Writes <paramref name="header"/> then <paramref name="data"/> at <paramref name="offset"/> (no copy of the data), then cuts the file there.</summary>
    protected MediaStatus WriteAndTruncate(long offset, ReadOnlySpan<byte> header, ReadOnlySpan<byte> data)
    {
        _headerCacheOffset = -1;
        _readAheadOffset = -1;
        long end = offset + header.Length + data.Length;
        try
        {
            RandomAccess.Write(Handle, header, offset);
            if (!data.IsEmpty)
            {
                RandomAccess.Write(Handle, data, offset + header.Length);
            }

            if (FileLength > end)
            {
                RandomAccess.SetLength(Handle, end);
            }

            FileLength = end;
            return MediaStatus.Ok;
        }
        catch (IOException e)
        {
            FileLength = SafeLength();
            // Disk full is the physical end of the volume (awstape.c write_awstape: ENOSPC -> ENDOFTAPE).
            return IsDiskFull(e) ? MediaStatus.EndOfTape : MediaStatus.WriteError;
        }
        catch (UnauthorizedAccessException)
        {
            return MediaStatus.WriteProtected;
        }
    }

    /// <summary>Cuts the file at <paramref name="offset"/>.</summary>
    protected bool TruncateFile(long offset)
    {
        _headerCacheOffset = -1;
        _readAheadOffset = -1;
        try
        {
            RandomAccess.SetLength(Handle, offset);
            FileLength = offset;
            return true;
        }
        catch (IOException)
        {
            FileLength = SafeLength();
            return false;
        }
    }

    /// <summary>
    /// <see cref="ITapeMedia.WriteAllowanceBeforeWarning"/> for a format with <paramref name="headerSize"/>-byte
    /// headers per chunk of at most <paramref name="chunkSize"/> bytes: the image may grow up to
    /// maxsize - eotmargin, the last offset that is not past the warning (awstape.c passedeot_awstape,
    /// hettape.c passedeot_het); writes are refused only later (at maxsize).
    /// </summary>
    protected long AllowanceBeforeWarning(int chunkSize, int headerSize)
    {
        if (Options.MaxSize <= 0)
        {
            return -1;
        }

        long room = Options.MaxSize - Math.Max(Options.EotMargin, 0) - CurrentOffset;
        return WriteAllowance.Fitting(room, chunkSize, headerSize);
    }

    /// <summary>AWS/FakeTape end-of-tape warning (awstape.c passedeot_awstape): past load point and within eotmargin of maxsize.</summary>
    protected bool PassedEotByPosition(long offset)
        => offset != 0 && Options.MaxSize > 0 && offset + Options.EotMargin > Options.MaxSize;

    private long SafeLength()
    {
        try
        {
            return RandomAccess.GetLength(Handle);
        }
        catch (IOException)
        {
            return FileLength;
        }
    }

    private static bool IsDiskFull(IOException e)
    {
        const int ENOSPC = 28, ERROR_DISK_FULL = 0x70, ERROR_HANDLE_DISK_FULL = 0x27;
        int code = e.HResult & 0xFFFF;
        return code is ENOSPC or ERROR_DISK_FULL or ERROR_HANDLE_DISK_FULL;
    }
}
