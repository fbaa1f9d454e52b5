namespace ChannelTape.Media;

/// <summary>
/// Semantic outcome of a media operation. The device maps each to unit status and sense per model
/// (docs/reference/hercules-tape.md §2.3); media never throws for anything a volume image can contain.
/// </summary>
public enum MediaStatus
{
    /// <summary>Done.</summary>
    Ok,
    /// <summary>A tape mark was read or spaced over (forward: now after it; backward: now before it).</summary>
    TapeMark,
    /// <summary>Backward motion found the volume at load point; nothing moved.</summary>
    LoadPoint,
    /// <summary>No more blocks: end of the recorded data ("tape void"; AWS/FakeTape data check ERA 31).</summary>
    EndOfData,
    /// <summary>Physical end of volume: capacity (maxsize) reached, disk full (equipment check ERA 38).</summary>
    EndOfTape,
    /// <summary>Volume is read-only (ERA 30).</summary>
    WriteProtected,
    /// <summary>Image structure is corrupt or data does not decompress (data check ERA 23).</summary>
    DataCheck,
    /// <summary>Header or data truncated by end of file (equipment check ERA 36).</summary>
    BlockShort,
    /// <summary>Host I/O error while writing or flushing (data check ERA 25).</summary>
    WriteError,
    /// <summary>Locate target not found or seek error (equipment check ERA 44, fences the volume).</summary>
    LocateFailed,
}

/// <summary>Volume image format (docs/reference/hercules-tape.md §6).</summary>
public enum TapeImageFormat
{
    Aws,
    Het,
    FakeTape,
}

/// <summary>Where the volume is positioned.</summary>
/// <param name="BlockNumber">Blocks and tape marks passed since load point (the 3480/3490 block id counter).</param>
/// <param name="FileNumber">Current file, 1 at load point (Hercules <c>curfilen</c>).</param>
/// <param name="Offset">Byte offset of the next header in the image.</param>
public readonly record struct TapePosition(long BlockNumber, int FileNumber, long Offset)
{
    public bool AtLoadPoint => Offset == 0;
}

/// <summary>
/// A mounted volume image. Reads go into a caller-owned buffer (at least <see cref="MaxBlockSize"/>
/// bytes) so that steady-state I/O allocates nothing. One caller at a time.
/// </summary>
public interface ITapeMedia : IDisposable
{
    /// <summary>Host path of the image.</summary>
    string Path { get; }

    TapeImageFormat Format { get; }

    /// <summary>Read-only image (option <c>ro</c>, or the file could not be opened for writing).</summary>
    bool IsReadOnly { get; }

    /// <summary>Largest block this image reads or writes (2 MiB).</summary>
    int MaxBlockSize { get; }

    TapePosition Position { get; }

    /// <summary>True after a successful write, tape mark or erase gap past the end-of-tape warning point (§6.5).</summary>
    bool IsPastEarlyWarning { get; }

    /// <summary>
    /// Room before the end-of-tape warning, in <see cref="WriteAllowance"/> units (block length + 32 per
    /// block): any run of Writes from the current position that adds up to at most this is taken and
    /// ends before the warning point (no unit exception, no end of tape). -1 when the volume has no
    /// capacity (<c>maxsize</c> 0). Host disk space is not counted (docs/protocol.md §5.1).
    /// </summary>
    long WriteAllowanceBeforeWarning { get; }

    /// <summary>
    /// Reads the next block into <paramref name="buffer"/> and returns its length in <paramref name="length"/>.
    /// A read that fails leaves the volume in front of the block, except a <see cref="MediaStatus.DataCheck"/>
    /// on a whole block whose data cannot be decoded (HET data that does not decompress): that read has
    /// passed the block, as a drive has when it reports a data check (docs/device-behaviour.md, Media).
    /// </summary>
    MediaStatus ReadForward(Span<byte> buffer, out int length);

    /// <summary>
    /// A storage question any format can answer: true when block <paramref name="blockNumber"/> (the
    /// current position or a block already passed) is a data block stored in the file at
    /// <see cref="Path"/> contiguously and without compression, its <paramref name="length"/> bytes starting
    /// at <paramref name="offset"/> (AWS or HET in one chunk, FakeTape). False for a tape mark, a block in
    /// several chunks or compressed, a block the file does not hold whole, one past the known blocks, and
    /// for media without a file. Never moves the volume and never reads block data. Writes go straight to
    /// the file (no user-space buffer), so another reader of the file finds every byte written there.
    /// </summary>
    bool TryGetStoredExtent(long blockNumber, out long offset, out int length);

    /// <summary>Reads the previous block into <paramref name="buffer"/>, leaving the volume positioned before it.</summary>
    MediaStatus ReadBackward(Span<byte> buffer, out int length);

    /// <summary>Writes one block at the current position; everything after it is discarded.</summary>
    MediaStatus Write(ReadOnlySpan<byte> block);

    MediaStatus WriteTapeMark();

    MediaStatus ForwardSpaceBlock();

    MediaStatus BackspaceBlock();

    MediaStatus ForwardSpaceFile();

    MediaStatus BackspaceFile();

    MediaStatus Rewind();

    /// <summary>Positions before block number <paramref name="blockNumber"/> (tape marks count as blocks) without rereading the volume.</summary>
    MediaStatus Locate(long blockNumber);

    /// <summary>Forces written data to stable storage (Synchronize).</summary>
    MediaStatus Synchronize();

    /// <summary>Erase Gap: writes nothing, but checks write protection and the end-of-tape warning.</summary>
    MediaStatus EraseGap();

    /// <summary>Data Security Erase: discards everything from the current position to the end.</summary>
    MediaStatus EraseToEnd();

    /// <summary>Current size of the image file in bytes.</summary>
    long ImageSize { get; }
}
