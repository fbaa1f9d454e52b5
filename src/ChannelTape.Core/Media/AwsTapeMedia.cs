using Microsoft.Win32.SafeHandles;

namespace ChannelTape.Media;

/// <summary>
/// AWSTAPE volumes (docs/reference/hercules-tape.md §6.1; Hercules awstape.c, with Hyperion's chunking and 2 MiB
/// blocks): chunks hold the block's bytes as they are, whatever their flags, and start-of-record is
/// not checked (read_awstape). The file ending right at a header is the end of the recorded data
/// ("tape void"); ending inside a header or inside data is a short block.
/// </summary>
internal sealed class AwsTapeMedia : ChunkedTapeMedia
{
    public AwsTapeMedia(string path, SafeFileHandle handle, bool readOnly, TapeImageOptions options)
        : base(path, TapeImageFormat.Aws, handle, readOnly, options)
    {
    }

    /// <summary>awstape.c passedeot_awstape: position past load point and within eotmargin of maxsize.</summary>
    public override bool IsPastEarlyWarning => PassedEotByPosition(CurrentOffset);

    protected override MediaStatus EndOfFileInHeader(int bytesRead) => bytesRead == 0 ? MediaStatus.EndOfData : MediaStatus.BlockShort;

    protected override MediaStatus EndOfFileInData => MediaStatus.BlockShort;

    /// <summary>awstape.c write_awstape: refused, nothing written, if the block and one header would end past maxsize.</summary>
    protected override bool RefusesBlock(long offset, int blockLength) => offset + blockLength + AwsBlockHeader.Size > Options.MaxSize;

    /// <summary>awstape.c write_awsmark: refused if the header would end past maxsize.</summary>
    protected override bool RefusesTapeMark(long offset) => offset + AwsBlockHeader.Size > Options.MaxSize;

    /// <summary>
    /// A block whose image is its last chunk plus one header is one chunk, and AWS data is read as the
    /// bytes are whatever the flags (awstape.c), so the index alone says where ReadForward would find
    /// it: asking for the extent of blocks written or walked before costs no system call.
    /// </summary>
    protected override bool TryStoredExtentFromIndex(long block, out long offset, out int length)
    {
        length = 0;
        offset = -1;
        long start = Index.OffsetOf(block);
        long next = Index.OffsetOf(block + 1);
        int lastChunk = Index.PreviousChunkLengthAt(block + 1);
        if (lastChunk == 0 || next - start != lastChunk + AwsBlockHeader.Size || next > Image.Length)
        {
            return false;
        }

        length = lastChunk;
        offset = start + AwsBlockHeader.Size;
        return true;
    }
}
