namespace ChannelTape.Media;

/// <summary>
/// What is known of the volume from load point on: the start offset of every block (tape marks
/// included) passed so far, whether it is a tape mark, and the data length of its last chunk (the
/// next header's "previous length"). Built lazily as blocks are passed forward, cut back on write
/// and erase, so backspace, Read Backward and Locate within the known part cost O(1) and never
/// reread the volume (better than Hercules' rewind-and-space Locate, docs/reference/hercules-tape.md §8.5).
/// Entry <c>i</c> describes block <c>i</c>; the known part always begins at load point and is contiguous.
/// </summary>
internal sealed class BlockIndex
{
    private const int InitialCapacity = 256;

    private long[] _offsets = new long[InitialCapacity];
    private int[] _fileNumbers = new int[InitialCapacity];
    private ushort[] _lastChunkLengths = new ushort[InitialCapacity];
    private bool[] _tapeMarks = new bool[InitialCapacity];

    /// <summary>Blocks known.</summary>
    public int Count { get; private set; }

    /// <summary>Offset just after the last known block (the start of block <see cref="Count"/>).</summary>
    public long EndOffset { get; private set; }

    /// <summary>File number at <see cref="EndOffset"/>.</summary>
    public int EndFileNumber { get; private set; } = 1;

    /// <summary>Data length of the last chunk before <see cref="EndOffset"/> (0 at load point or after a tape mark).</summary>
    public ushort EndPreviousChunkLength { get; private set; }

    /// <summary>Start offset of block <paramref name="block"/> (0..Count).</summary>
    public long OffsetOf(long block) => block == Count ? EndOffset : _offsets[block];

    /// <summary>File number of the position before block <paramref name="block"/> (0..Count).</summary>
    public int FileNumberAt(long block) => block == Count ? EndFileNumber : _fileNumbers[block];

    /// <summary>Data length of the last chunk before block <paramref name="block"/> (0..Count).</summary>
    public ushort PreviousChunkLengthAt(long block) => block == Count
        ? EndPreviousChunkLength
        : block == 0 ? (ushort)0 : _lastChunkLengths[block - 1];

    public bool IsTapeMark(long block) => _tapeMarks[block];

    /// <summary>Records block <see cref="Count"/>, which ends at <paramref name="nextOffset"/>.</summary>
    public void Append(long nextOffset, bool tapeMark, ushort lastChunkLength)
    {
        if (Count == _offsets.Length)
        {
            Grow();
        }

        _offsets[Count] = EndOffset;
        _fileNumbers[Count] = EndFileNumber;
        _lastChunkLengths[Count] = lastChunkLength;
        _tapeMarks[Count] = tapeMark;
        Count++;
        EndOffset = nextOffset;
        EndPreviousChunkLength = lastChunkLength;
        if (tapeMark)
        {
            EndFileNumber++;
        }
    }

    /// <summary>Forgets block <paramref name="block"/> and everything after it.</summary>
    public void Truncate(long block)
    {
        if (block >= Count)
        {
            return;
        }

        EndOffset = _offsets[block];
        EndFileNumber = _fileNumbers[block];
        EndPreviousChunkLength = block == 0 ? (ushort)0 : _lastChunkLengths[block - 1];
        Count = (int)block;
    }

    private void Grow()
    {
        int capacity = checked(_offsets.Length * 2);
        Array.Resize(ref _offsets, capacity);
        Array.Resize(ref _fileNumbers, capacity);
        Array.Resize(ref _lastChunkLengths, capacity);
        Array.Resize(ref _tapeMarks, capacity);
    }
}
