namespace ChannelTape.Media;

/// <summary>
/// Outcome of walking one block: its status, data length, where the next block starts, and for a walk
/// that asked where the data lies (<see cref="ScanData.StoredExtent"/>) where it starts when the block is
/// stored in one uncompressed piece (else -1). A failed walk either could not find where the block
/// ends (<see cref="Failed"/>: the volume stays in front of it) or found a whole, well-formed block
/// whose data cannot be read (<see cref="Unreadable"/>: a read has passed it, <see cref="PassedOver"/>).
/// </summary>
internal readonly record struct BlockScan(MediaStatus Status, int Length, long NextOffset, ushort LastChunkLength, bool IsTapeMark,
    long ImageOffset = -1, bool PassedOver = false)
{
    /// <summary>The block's structure is broken or cut short: where it ends is not known.</summary>
    public static BlockScan Failed(MediaStatus status) => new(status, 0, 0, 0, false);

    /// <summary>
    /// A data check on a block whose chunks are all there and well-formed but whose data does not decode:
    /// a read has moved past it, which ends at <paramref name="nextOffset"/>.
    /// </summary>
    public static BlockScan Unreadable(long nextOffset, ushort lastChunkLength) =>
        new(MediaStatus.DataCheck, 0, nextOffset, lastChunkLength, false, PassedOver: true);
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
