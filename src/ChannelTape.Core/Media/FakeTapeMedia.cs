using Microsoft.Win32.SafeHandles;

namespace ChannelTape.Media;

/// <summary>
/// Flex FakeTape volumes (docs/reference/hercules-tape.md §6.3; faketape.c): one 12-character
/// <see cref="FakeTapeBlockHeader"/> per block, no chunking, blocks up to 65535 bytes.
/// </summary>
internal sealed class FakeTapeMedia : TapeMediaBase
{
    /// <summary>The header holds four hex digits per length.</summary>
    public const int FakeTapeMaxBlockSize = 0xFFFF;

    public FakeTapeMedia(string path, SafeFileHandle handle, bool readOnly, TapeImageOptions options)
        : base(path, TapeImageFormat.FakeTape, handle, readOnly, options)
    {
    }

    public override int MaxBlockSize => FakeTapeMaxBlockSize;

    /// <summary>faketape.c passedeot_faketape: as AWS.</summary>
    public override bool IsPastEarlyWarning => PassedEotByPosition(CurrentOffset);

    /// <summary>One 12-byte header per block of at most 65535 bytes.</summary>
    public override long WriteAllowanceBeforeWarning => AllowanceBeforeWarning(FakeTapeMaxBlockSize, FakeTapeBlockHeader.Size);

    /// <summary>
    /// faketape.c read_faketape: end of file at a header is end of data, a partial header or
    /// partial data a short block, a damaged header (XOR mismatch, not hex) a data check. Every data
    /// block lies in one piece behind its header, so <see cref="ScanData.StoredExtent"/> gives the extent
    /// of any block the file holds whole.
    /// </summary>
    protected override BlockScan ScanBlock(long offset, Span<byte> destination, ScanData data)
    {
        Span<byte> headerBytes = stackalloc byte[FakeTapeBlockHeader.Size];
        int read = Image.ReadHeader(offset, headerBytes);
        if (read < 0)
        {
            return BlockScan.Failed(MediaStatus.DataCheck);
        }

        if (read == 0)
        {
            return BlockScan.Failed(MediaStatus.EndOfData);
        }

        if (read < FakeTapeBlockHeader.Size)
        {
            return BlockScan.Failed(MediaStatus.BlockShort);
        }

        if (!FakeTapeBlockHeader.TryRead(headerBytes, out var header))
        {
            return BlockScan.Failed(MediaStatus.DataCheck);
        }

        int length = header.CurrentLength;
        long dataOffset = offset + FakeTapeBlockHeader.Size;
        long next = dataOffset + length;
        if (length == 0)
        {
            return new BlockScan(MediaStatus.Ok, 0, next, 0, IsTapeMark: true);
        }

        if (data == ScanData.StoredExtent)
        {
            return new BlockScan(MediaStatus.Ok, length, next, header.CurrentLength, IsTapeMark: false,
                ImageOffset: next <= Image.Length ? dataOffset : -1);
        }

        if (data == ScanData.Read)
        {
            int got = Image.ReadDataAndPeek(dataOffset, destination, length, FakeTapeBlockHeader.Size);
            if (got < 0)
            {
                return BlockScan.Failed(MediaStatus.DataCheck);
            }

            if (got < length)
            {
                return BlockScan.Failed(MediaStatus.BlockShort);
            }
        }

        return new BlockScan(MediaStatus.Ok, length, next, header.CurrentLength, IsTapeMark: false);
    }

    protected override WriteOutcome WriteBlockAt(long offset, ushort previousChunkLength, ReadOnlySpan<byte> block)
    {
        // faketape.c write_faketape: refused, nothing written, if it would end past maxsize.
        if (Options.MaxSize > 0 && offset + block.Length + FakeTapeBlockHeader.Size > Options.MaxSize)
        {
            return WriteOutcome.Refused(MediaStatus.EndOfTape);
        }

        Span<byte> header = stackalloc byte[FakeTapeBlockHeader.Size];
        new FakeTapeBlockHeader(previousChunkLength, (ushort)block.Length).Write(header);
        MediaStatus status = Image.WriteAndTruncate(offset, header, block);
        if (status != MediaStatus.Ok)
        {
            return new WriteOutcome(status, false, true, 0, 0);
        }

        return new WriteOutcome(MediaStatus.Ok, true, true, offset + FakeTapeBlockHeader.Size + block.Length, (ushort)block.Length);
    }

    protected override WriteOutcome WriteTapeMarkAt(long offset, ushort previousChunkLength)
    {
        // faketape.c write_fakemark: refused if the header would end past maxsize.
        if (Options.MaxSize > 0 && offset + FakeTapeBlockHeader.Size > Options.MaxSize)
        {
            return WriteOutcome.Refused(MediaStatus.EndOfTape);
        }

        Span<byte> mark = stackalloc byte[FakeTapeBlockHeader.Size];
        new FakeTapeBlockHeader(previousChunkLength, 0).Write(mark);
        MediaStatus status = Image.WriteAndTruncate(offset, mark);
        if (status != MediaStatus.Ok)
        {
            return new WriteOutcome(status, false, true, 0, 0);
        }

        return new WriteOutcome(MediaStatus.Ok, true, true, offset + FakeTapeBlockHeader.Size, 0);
    }
}
