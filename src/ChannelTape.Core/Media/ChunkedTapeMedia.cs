using Microsoft.Win32.SafeHandles;

namespace ChannelTape.Media;

/// <summary>How a block's data is stored in its chunks: the compression flags of its first chunk (HET), none for plain data.</summary>
/// <param name="Flags1">Flags-1 compression bits (zlib 01, bzip2 02).</param>
/// <param name="Flags2">Flags-2 compression bit (Bus-Tech zlib 80).</param>
internal readonly record struct BlockEncoding(AwsFlags1 Flags1, AwsFlags2 Flags2)
{
    public static BlockEncoding Plain => default;

    /// <summary>The chunks hold the block's bytes as they are.</summary>
    public bool IsPlain => Flags1 == AwsFlags1.None && Flags2 == AwsFlags2.None;
}

/// <summary>
/// What AWSTAPE and HET share (docs/reference/hercules-tape.md §6.1, §6.2): blocks of one or more chunks, each behind
/// a 6-byte <see cref="AwsBlockHeader"/> (start of record on the first chunk, end of record on the
/// last, each header's "previous length" the data length of the chunk before), written in chunks of
/// at most <c>chunksize</c> bytes. The formats differ in what they check in a chunk header, what end
/// of file means, how a block's data is stored (HET compresses it) and the capacity rules; they say
/// so through the members they override (<see cref="AwsTapeMedia"/>, <see cref="HetTapeMedia"/>).
/// </summary>
internal abstract class ChunkedTapeMedia : TapeMediaBase
{
    /// <summary>Empty chunks in one block that are not its last: more is a data check (a zero-filled image).</summary>
    public const int MaxEmptyChunks = 16;

    private byte[] _writeBuffer = [];
    private byte[] _storedBuffer = [];

    protected ChunkedTapeMedia(string path, TapeImageFormat format, SafeFileHandle handle, bool readOnly, TapeImageOptions options)
        : base(path, format, handle, readOnly, options)
    {
    }

    /// <summary>Blocks are cut into chunks of at most ChunkSize bytes, a 6-byte header each.</summary>
    public override long WriteAllowanceBeforeWarning => AllowanceBeforeWarning(Options.ChunkSize, AwsBlockHeader.Size);

    /// <summary>What a read fails with when the file ends inside or right at a chunk header (<paramref name="bytesRead"/> of 6 there).</summary>
    protected abstract MediaStatus EndOfFileInHeader(int bytesRead);

    /// <summary>What a read fails with when the file ends inside a chunk's data.</summary>
    protected abstract MediaStatus EndOfFileInData { get; }

    /// <summary>
    /// Checks a chunk header against the block so far (<paramref name="first"/>: it starts the block) and
    /// for the first chunk sets how the block's data is stored. Ok, or the status the walk fails with.
    /// </summary>
    protected virtual MediaStatus CheckChunk(in AwsBlockHeader header, bool first, ref BlockEncoding encoding) => MediaStatus.Ok;

    /// <summary>
    /// The block's data from its <paramref name="stored"/> bytes, for an encoding that is not plain:
    /// the block length written to <paramref name="destination"/>, or -1 when the data cannot be decoded.
    /// </summary>
    protected virtual int Decode(BlockEncoding encoding, ReadOnlySpan<byte> stored, Span<byte> destination) => -1;

    /// <summary>How the block goes to the file: its bytes as they are (the default), or encoded into <see cref="StoredBuffer"/>.</summary>
    protected virtual ReadOnlySpan<byte> Encode(ReadOnlySpan<byte> block, out AwsFlags1 encoding)
    {
        encoding = AwsFlags1.None;
        return block;
    }

    /// <summary>True when capacity (<c>maxsize</c>) refuses a block of <paramref name="blockLength"/> bytes at <paramref name="offset"/>; nothing is written.</summary>
    protected abstract bool RefusesBlock(long offset, int blockLength);

    /// <summary>True when capacity refuses a tape mark at <paramref name="offset"/>; nothing is written.</summary>
    protected abstract bool RefusesTapeMark(long offset);

    /// <summary>The outcome of a block written at <paramref name="offset"/> that ends at <paramref name="next"/>.</summary>
    protected virtual WriteOutcome Written(long offset, long next, ushort lastChunk) => new(MediaStatus.Ok, true, true, next, lastChunk);

    /// <summary>A buffer for a block's stored (encoded) bytes, grown to hold at least <paramref name="needed"/> bytes.</summary>
    protected byte[] StoredBuffer(int needed)
    {
        if (_storedBuffer.Length < needed)
        {
            Array.Resize(ref _storedBuffer, Math.Max(needed, Math.Min(2 * _storedBuffer.Length, MaximumBlockSize + AwsBlockHeader.Size)));
        }

        return _storedBuffer;
    }

    /// <summary>
    /// Walks one block chunk by chunk until end of record. The file ending at or inside a header, or
    /// inside data, fails as the format says; an I/O error, a tape mark flag on a chunk with data or
    /// after data (awstape.c "Invalid tapemark") and a block over 2 MiB (HHCTA107E, HETE_OVERFLOW) are
    /// data checks, as is anything <see cref="CheckChunk"/> refuses; all of these leave the volume in
    /// front of the block. A whole block whose data does not decode is a data check that a read passes
    /// (<see cref="BlockScan.Unreadable"/>). A block whose data length is 0 is a tape mark, as the
    /// Hercules callers treat it. <see cref="ScanData.StoredExtent"/> gives the
    /// extent of a block of one chunk (end of record on its first header) that the file holds whole
    /// with plain data.
    /// </summary>
    protected override BlockScan ScanBlock(long offset, Span<byte> destination, ScanData data)
    {
        bool readData = data == ScanData.Read;
        Span<byte> headerBytes = stackalloc byte[AwsBlockHeader.Size];
        long position = offset;
        int total = 0;
        ushort lastChunk = 0;
        bool first = true;
        int emptyChunks = 0;
        var encoding = BlockEncoding.Plain;
        Span<byte> target = destination;

        while (true)
        {
            int read = Image.ReadHeader(position, headerBytes);
            if (read < 0)
            {
                return BlockScan.Failed(MediaStatus.DataCheck);
            }

            if (read < AwsBlockHeader.Size)
            {
                return BlockScan.Failed(EndOfFileInHeader(read));
            }

            var header = AwsBlockHeader.Read(headerBytes);
            int length = header.CurrentLength;
            long dataOffset = position + AwsBlockHeader.Size;
            position = dataOffset + length;

            var check = CheckChunk(header, first, ref encoding);
            if (check != MediaStatus.Ok)
            {
                return BlockScan.Failed(check);
            }

            if (header.IsTapeMark)
            {
                // awstape.c: "Invalid tapemark" when the tape mark chunk or the block so far has data.
                return total + length > 0
                    ? BlockScan.Failed(MediaStatus.DataCheck)
                    : new BlockScan(MediaStatus.Ok, 0, position, 0, IsTapeMark: true);
            }

            if (total + length > MaximumBlockSize)
            {
                return BlockScan.Failed(MediaStatus.DataCheck); // HHCTA107E / HETE_OVERFLOW
            }

            // A chunk with no data that does not end the block carries nothing; no writer makes a run of
            // them, but a zero-filled or sparse image is nothing else, and walking it header by header
            // would hold the drive for seconds per command (issue 13). docs/device-behaviour.md, Media.
            if (length == 0 && !header.IsEndOfRecord && ++emptyChunks > MaxEmptyChunks)
            {
                return BlockScan.Failed(MediaStatus.DataCheck);
            }

            if (data == ScanData.StoredExtent)
            {
                bool whole = header.IsEndOfRecord && length > 0 && position <= Image.Length && encoding.IsPlain;
                return new BlockScan(MediaStatus.Ok, length, position, (ushort)length, IsTapeMark: false,
                    ImageOffset: whole ? dataOffset : -1);
            }

            if (readData && length > 0)
            {
                // Encoded data is gathered in the stored buffer and decoded at the end.
                if (!encoding.IsPlain)
                {
                    target = StoredBuffer(total + length + AwsBlockHeader.Size);
                }

                int got = Image.ReadDataAndPeek(dataOffset, target[total..], length, AwsBlockHeader.Size);
                if (got < 0)
                {
                    return BlockScan.Failed(MediaStatus.DataCheck);
                }

                if (got < length)
                {
                    return BlockScan.Failed(EndOfFileInData); // HHCTA110E / HETE_PREMEOF
                }
            }

            total += length;
            lastChunk = (ushort)length;
            first = false;
            if (header.IsEndOfRecord)
            {
                break;
            }
        }

        if (total == 0)
        {
            return new BlockScan(MediaStatus.Ok, 0, position, 0, IsTapeMark: true);
        }

        int blockLength = total;
        if (readData && !encoding.IsPlain)
        {
            blockLength = Decode(encoding, _storedBuffer.AsSpan(0, total), destination);
            if (blockLength < 0)
            {
                // Every chunk was there: the read has passed the block (hetlib.c HETE_DECERR, HETE_UNKMETH).
                return BlockScan.Unreadable(position, lastChunk);
            }

            if (blockLength == 0)
            {
                return new BlockScan(MediaStatus.Ok, 0, position, lastChunk, IsTapeMark: true);
            }
        }

        return new BlockScan(MediaStatus.Ok, blockLength, position, lastChunk, IsTapeMark: false);
    }

    protected override WriteOutcome WriteBlockAt(long offset, ushort previousChunkLength, ReadOnlySpan<byte> block)
    {
        if (Options.MaxSize > 0 && RefusesBlock(offset, block.Length))
        {
            return WriteOutcome.Refused(MediaStatus.EndOfTape);
        }

        ReadOnlySpan<byte> payload = Encode(block, out AwsFlags1 encoding);
        MediaStatus status;
        ushort lastChunk;
        long next;
        if (payload.Length <= Options.ChunkSize)
        {
            // One chunk: header and data go out as they are, without copying the block.
            Span<byte> header = stackalloc byte[AwsBlockHeader.Size];
            new AwsBlockHeader((ushort)payload.Length, previousChunkLength,
                AwsFlags1.StartOfRecord | AwsFlags1.EndOfRecord | encoding, AwsFlags2.None).Write(header);
            status = Image.WriteAndTruncate(offset, header, payload);
            lastChunk = (ushort)payload.Length;
            next = offset + AwsBlockHeader.Size + payload.Length;
        }
        else
        {
            int imageLength = Chunk(payload, previousChunkLength, encoding, out lastChunk);
            status = Image.WriteAndTruncate(offset, _writeBuffer.AsSpan(0, imageLength));
            next = offset + imageLength;
        }

        return status == MediaStatus.Ok ? Written(offset, next, lastChunk) : new WriteOutcome(status, false, true, 0, 0);
    }

    protected override WriteOutcome WriteTapeMarkAt(long offset, ushort previousChunkLength)
    {
        if (Options.MaxSize > 0 && RefusesTapeMark(offset))
        {
            return WriteOutcome.Refused(MediaStatus.EndOfTape);
        }

        Span<byte> mark = stackalloc byte[AwsBlockHeader.Size];
        new AwsBlockHeader(0, previousChunkLength, AwsFlags1.TapeMark, AwsFlags2.None).Write(mark);
        MediaStatus status = Image.WriteAndTruncate(offset, mark);
        if (status != MediaStatus.Ok)
        {
            return new WriteOutcome(status, false, true, 0, 0);
        }

        return new WriteOutcome(MediaStatus.Ok, true, true, offset + AwsBlockHeader.Size, 0);
    }

    /// <summary>
    /// Lays the block out as chunks of at most ChunkSize in the write buffer (Hyperion awstape.c
    /// write_awstape, hetlib.c het_write): first chunk 80, last 20, one chunk A0, the encoding bits
    /// on every chunk, each "previous length" the data length of the chunk before.
    /// </summary>
    private int Chunk(ReadOnlySpan<byte> payload, ushort previousChunkLength, AwsFlags1 encoding, out ushort lastChunk)
    {
        int chunkSize = Options.ChunkSize;
        int chunks = payload.Length == 0 ? 1 : (payload.Length + chunkSize - 1) / chunkSize;
        int imageLength = payload.Length + chunks * AwsBlockHeader.Size;
        if (_writeBuffer.Length < imageLength)
        {
            _writeBuffer = new byte[Math.Max(imageLength, 2 * _writeBuffer.Length)];
        }

        Span<byte> output = _writeBuffer;
        AwsFlags1 flags = AwsFlags1.StartOfRecord | encoding;
        ushort previous = previousChunkLength;
        int source = 0, target = 0;
        do
        {
            int length = Math.Min(chunkSize, payload.Length - source);
            if (source + length == payload.Length)
            {
                flags |= AwsFlags1.EndOfRecord;
            }

            new AwsBlockHeader((ushort)length, previous, flags, AwsFlags2.None).Write(output[target..]);
            target += AwsBlockHeader.Size;
            payload.Slice(source, length).CopyTo(output[target..]);
            target += length;
            source += length;
            previous = (ushort)length;
            flags &= ~AwsFlags1.StartOfRecord;
        }
        while (source < payload.Length);
        lastChunk = previous;
        return target;
    }
}
