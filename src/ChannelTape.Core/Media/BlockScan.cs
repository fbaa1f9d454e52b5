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
