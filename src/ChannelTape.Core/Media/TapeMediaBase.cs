using Microsoft.Win32.SafeHandles;

namespace ChannelTape.Media;

/// <summary>
/// What AWSTAPE, HET and FakeTape share: a chain of blocks in one file, the position model of
/// docs/reference/hercules-tape.md §6.5 (block counter, file number, offset of the next header), the
/// <see cref="BlockIndex"/> that makes backward motion and Locate free of rereading, and write
/// protection. The file I/O and its cache are the <see cref="ImageFile"/>'s. Formats supply how one
/// block is walked and written (<see cref="ChunkedTapeMedia"/> for AWSTAPE and HET,
/// <see cref="FakeTapeMedia"/>).
/// </summary>
internal abstract class TapeMediaBase : ITapeMedia
{
    /// <summary>Largest block: 2 MiB (Hyperion tapedev.h MAX_TAPE_BLKSIZE, hetlib.h HETMAX_BLOCKSIZE).</summary>
    public const int MaximumBlockSize = 2 * 1024 * 1024;

    protected readonly TapeImageOptions Options;
    protected readonly BlockIndex Index = new();

    /// <summary>The image file: every read and write of the volume goes through it.</summary>
    protected readonly ImageFile Image;

    private long _block;
    private bool _disposed;

    protected TapeMediaBase(string path, TapeImageFormat format, SafeFileHandle handle, bool readOnly, TapeImageOptions options)
    {
        Path = path;
        Format = format;
        IsReadOnly = readOnly;
        Options = options;
        Image = new ImageFile(handle, readOnly);
    }

    public string Path { get; }
    public TapeImageFormat Format { get; }
    public bool IsReadOnly { get; }
    public virtual int MaxBlockSize => MaximumBlockSize;
    public long ImageSize => Image.Length;
    public abstract bool IsPastEarlyWarning { get; }
    public abstract long WriteAllowanceBeforeWarning { get; }

    public TapePosition Position => new(_block, Index.FileNumberAt(_block), Index.OffsetOf(_block));

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

    /// <summary>
    /// Reads the next block and moves past it. A block whose structure is broken or cut short leaves the
    /// volume in front of it (awstape.c, faketape.c read errors do not move); a whole block whose data
    /// does not decode is passed (<see cref="BlockScan.Unreadable"/>).
    /// </summary>
    private MediaStatus Forward(Span<byte> buffer, out int length)
    {
        length = 0;
        BlockScan scan = ScanBlock(CurrentOffset, buffer, ScanData.Read);
        if (scan.Status != MediaStatus.Ok)
        {
            // A well-formed block whose data cannot be read has been passed, as on a real drive (the
            // block has gone by the head when the data check is known) and in Hercules (hetlib.c
            // het_read has read all its chunks before it fails to decompress): the next Read gets the
            // block after it, and a Backspace Block returns to it for a retry.
            if (scan.PassedOver)
            {
                Advance(scan);
            }

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
        Image.ReadAheadBackward(start, Index.OffsetOf(_block));
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

        return Image.Synchronize() ? MediaStatus.Ok : MediaStatus.WriteError;
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
        return Image.Truncate(offset) ? MediaStatus.Ok : MediaStatus.WriteError;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        Image.Dispose();
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
}
