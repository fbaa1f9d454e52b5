namespace ChannelTape.Media;

/// <summary>
/// A volume kept in memory: a list of blocks and tape marks, for tests of the drive and of what
/// runs on it (nothing in the server keeps volumes in memory: administrative volumes are written
/// to image files, which read-ahead by reference needs). Positions, capacity and the end-of-tape
/// warning are computed as if the volume were an AWS file (6-byte headers, blocks split into
/// 65535-byte chunks; docs/reference/hercules-tape.md §6.1 and §6.5), so a drive behaves the same on both; the
/// media contract tests (tests/ChannelTape.Media.Tests, MediaContractTests) hold it to the same
/// rules as the image formats. A zero-length block reads back as a tape mark, as in an AWS file
/// (§1.2, Write). Where it differs from an AWS file: no block is ever stored in a file
/// (<see cref="TryGetStoredExtent"/> is always false), nothing can be corrupt, and a write is
/// refused at <c>maxsize</c> counting a header for every chunk of the block, not one.
/// </summary>
public sealed class MemoryTapeMedia : ITapeMedia
{
    /// <summary>AWS chunk header size (awstape.c AWSTAPE_BLKHDR).</summary>
    public const int HeaderSize = 6;

    /// <summary>Largest AWS chunk (Hercules default chunksize).</summary>
    public const int ChunkSize = 65535;

    /// <summary>Largest block Hercules reads or writes (2 MiB).</summary>
    public const int MaximumBlockSize = 2 * 1024 * 1024;

    /// <summary>Hercules' default end-of-tape margin (128 KiB, tapedev.h).</summary>
    public const long DefaultEotMargin = 128 * 1024;

    private readonly List<byte[]?> _entries = new(); // null = tape mark
    private int _index;          // entries before the current position
    private long _offset;        // AWS byte offset of the current position
    private int _fileNumber = 1;

    /// <param name="path">Name reported as <see cref="Path"/> (no file is touched).</param>
    /// <param name="readOnly">Write-type operations fail with <see cref="MediaStatus.WriteProtected"/>.</param>
    /// <param name="maxSize">Capacity in AWS bytes (Hercules <c>maxsize=</c>); 0 = unlimited.</param>
    /// <param name="eotMargin">End-of-tape warning margin (Hercules <c>eotmargin=</c>).</param>
    public MemoryTapeMedia(string path = "memory", bool readOnly = false, long maxSize = 0, long eotMargin = DefaultEotMargin)
    {
        Path = path;
        IsReadOnly = readOnly;
        MaxSize = maxSize;
        EotMargin = eotMargin;
    }

    /// <summary>Builds a volume from blocks; a null entry is a tape mark. Positioned at load point.</summary>
    public static MemoryTapeMedia FromBlocks(IEnumerable<byte[]?> blocks, bool readOnly = false, string path = "memory",
        long maxSize = 0, long eotMargin = DefaultEotMargin)
    {
        var media = new MemoryTapeMedia(path, readOnly, maxSize, eotMargin);
        foreach (var block in blocks)
        {
            media._entries.Add(block is null ? null : (byte[])block.Clone());
        }

        return media;
    }

    public string Path { get; }

    public TapeImageFormat Format => TapeImageFormat.Aws;

    public bool IsReadOnly { get; set; }

    public long MaxSize { get; }

    public long EotMargin { get; }

    public int MaxBlockSize => MaximumBlockSize;

    public TapePosition Position => new(_index, _fileNumber, _offset);

    /// <summary>
    /// awstape.c passedeot_awstape: past the warning point when not at load point, a capacity is set
    /// and position + eotmargin exceeds it. Computed from the position, as Hercules does.
    /// </summary>
    public bool IsPastEarlyWarning => MaxSize > 0 && _offset > 0 && _offset + EotMargin > MaxSize;

    /// <summary>As an AWS file with 65535-byte chunks: room up to maxsize - eotmargin (see <see cref="WriteAllowance"/>).</summary>
    public long WriteAllowanceBeforeWarning =>
        MaxSize > 0 ? WriteAllowance.Fitting(MaxSize - Math.Max(EotMargin, 0) - _offset, ChunkSize, HeaderSize) : -1;

    /// <summary>Blocks and tape marks on the volume (null = tape mark), for tests and inspection.</summary>
    public IReadOnlyList<byte[]?> Entries => _entries;

    /// <summary>Size the volume would have as an AWS file.</summary>
    public long ImageSize
    {
        get
        {
            long size = 0;
            foreach (var entry in _entries)
            {
                size += EntrySize(entry);
            }

            return size;
        }
    }

    public bool IsDisposed { get; private set; }

    /// <summary>AWS bytes one entry occupies: one header per chunk plus the data.</summary>
    public static long EntrySize(byte[]? entry) => entry is null ? HeaderSize : AwsSize(entry.Length);

    private static long AwsSize(int length) =>
        length == 0 ? HeaderSize : ((length + ChunkSize - 1) / ChunkSize * (long)HeaderSize) + length;

    public MediaStatus ReadForward(Span<byte> buffer, out int length)
    {
        CheckBuffer(buffer);
        length = 0;
        if (_index >= _entries.Count)
        {
            return MediaStatus.EndOfData;
        }

        var entry = _entries[_index];
        StepForward();
        if (entry is null || entry.Length == 0)
        {
            return MediaStatus.TapeMark;
        }

        length = Math.Min(entry.Length, buffer.Length);
        entry.AsSpan(0, length).CopyTo(buffer);
        return MediaStatus.Ok;
    }

    /// <summary>Blocks live in memory, not in a file: never stored in a file's extent.</summary>
    public bool TryGetStoredExtent(long blockNumber, out long offset, out int length)
    {
        offset = -1;
        length = 0;
        return false;
    }

    public MediaStatus ReadBackward(Span<byte> buffer, out int length)
    {
        CheckBuffer(buffer);
        length = 0;
        if (_index == 0)
        {
            return MediaStatus.LoadPoint;
        }

        StepBackward();
        var entry = _entries[_index];
        if (entry is null || entry.Length == 0)
        {
            return MediaStatus.TapeMark;
        }

        length = Math.Min(entry.Length, buffer.Length);
        entry.AsSpan(0, length).CopyTo(buffer);
        return MediaStatus.Ok;
    }

    public MediaStatus Write(ReadOnlySpan<byte> block)
    {
        if (IsReadOnly)
        {
            return MediaStatus.WriteProtected;
        }

        if (block.Length > MaximumBlockSize)
        {
            return MediaStatus.WriteError;
        }

        // awstape.c: refused when position + data + headers would exceed maxsize.
        if (MaxSize > 0 && _offset + AwsSize(block.Length) > MaxSize)
        {
            return MediaStatus.EndOfTape;
        }

        Truncate();
        _entries.Add(block.ToArray());
        StepForward();
        return MediaStatus.Ok;
    }

    public MediaStatus WriteTapeMark()
    {
        if (IsReadOnly)
        {
            return MediaStatus.WriteProtected;
        }

        if (MaxSize > 0 && _offset + HeaderSize > MaxSize)
        {
            return MediaStatus.EndOfTape;
        }

        Truncate();
        _entries.Add(null);
        StepForward();
        return MediaStatus.Ok;
    }

    public MediaStatus ForwardSpaceBlock()
    {
        if (_index >= _entries.Count)
        {
            return MediaStatus.EndOfData;
        }

        var entry = _entries[_index];
        StepForward();
        return entry is null || entry.Length == 0 ? MediaStatus.TapeMark : MediaStatus.Ok;
    }

    public MediaStatus BackspaceBlock()
    {
        if (_index == 0)
        {
            return MediaStatus.LoadPoint;
        }

        StepBackward();
        var entry = _entries[_index];
        return entry is null || entry.Length == 0 ? MediaStatus.TapeMark : MediaStatus.Ok;
    }

    /// <summary>Spaces forward over blocks up to and including the next tape mark; returns <see cref="MediaStatus.TapeMark"/> when done.</summary>
    public MediaStatus ForwardSpaceFile()
    {
        while (true)
        {
            var status = ForwardSpaceBlock();
            if (status != MediaStatus.Ok)
            {
                return status;
            }
        }
    }

    /// <summary>
    /// Spaces backward over blocks up to and including the previous tape mark (left before it); returns
    /// <see cref="MediaStatus.TapeMark"/> when done, <see cref="MediaStatus.LoadPoint"/> when load point came first.
    /// </summary>
    public MediaStatus BackspaceFile()
    {
        while (true)
        {
            var status = BackspaceBlock();
            if (status != MediaStatus.Ok)
            {
                return status;
            }
        }
    }

    public MediaStatus Rewind()
    {
        _index = 0;
        _offset = 0;
        _fileNumber = 1;
        return MediaStatus.Ok;
    }

    public MediaStatus Locate(long blockNumber)
    {
        if (blockNumber < 0 || blockNumber > _entries.Count)
        {
            // Hercules spaces forward until the data ends, so the volume is left at end of data.
            while (_index < _entries.Count)
            {
                StepForward();
            }

            return MediaStatus.LocateFailed;
        }

        while (_index > blockNumber)
        {
            StepBackward();
        }

        while (_index < blockNumber)
        {
            StepForward();
        }

        return MediaStatus.Ok;
    }

    /// <summary>Nothing to flush; a read-only volume answers WriteProtected, as an image file does (awstape.c sync_awstape).</summary>
    public MediaStatus Synchronize() => IsReadOnly ? MediaStatus.WriteProtected : MediaStatus.Ok;

    public MediaStatus EraseGap()
    {
        if (IsReadOnly)
        {
            return MediaStatus.WriteProtected;
        }

        return MediaStatus.Ok;
    }

    public MediaStatus EraseToEnd()
    {
        if (IsReadOnly)
        {
            return MediaStatus.WriteProtected;
        }

        Truncate();
        return MediaStatus.Ok;
    }

    public void Dispose() => IsDisposed = true;

    private void CheckBuffer(Span<byte> buffer)
    {
        if (buffer.Length < MaxBlockSize)
        {
            throw new ArgumentException($"The read buffer must hold {MaxBlockSize} bytes (MaxBlockSize).", nameof(buffer));
        }
    }

    private void Truncate()
    {
        if (_index < _entries.Count)
        {
            _entries.RemoveRange(_index, _entries.Count - _index);
        }
    }

    private void StepForward()
    {
        var entry = _entries[_index];
        _offset += EntrySize(entry);
        _index++;
        if (entry is null || entry.Length == 0)
        {
            _fileNumber++;
        }
    }

    private void StepBackward()
    {
        _index--;
        var entry = _entries[_index];
        _offset -= EntrySize(entry);
        if (entry is null || entry.Length == 0)
        {
            _fileNumber--;
        }
    }
}
