namespace ChannelTape.Media;

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
