using Microsoft.Win32.SafeHandles;

namespace ChannelTape.Media;

/// <summary>
/// AWSTAPE and HET volumes (hercules-tape.md §6.1, §6.2): blocks of one or more chunks, each behind a
/// 6-byte <see cref="AwsBlockHeader"/>. AWSTAPE follows Hercules' awstape.c (Hyperion chunking, 2 MiB
/// blocks); HET follows hetlib.c / hettape.c, adding zlib or bzip2 compression of the whole block
/// before it is chunked, kept only when smaller.
/// </summary>
internal sealed class AwsTapeMedia : TapeMediaBase
{
    private readonly bool _het;
    private HetCodec? _codec;
    private byte[] _writeBuffer = [];
    private byte[] _compressedBuffer = [];

    public AwsTapeMedia(string path, TapeImageFormat format, SafeFileHandle handle, bool readOnly, TapeImageOptions options)
        : base(path, format, handle, readOnly, options)
    {
        _het = format == TapeImageFormat.Het;
    }

    /// <summary>
    /// AWS: awstape.c passedeot_awstape (position past load point and within eotmargin of maxsize).
    /// HET: hettape.c passedeot_het (file position within eotmargin of maxsize, load point included).
    /// </summary>
    public override bool IsPastEarlyWarning => _het
        ? Options.MaxSize > 0 && CurrentOffset + Options.EotMargin > Options.MaxSize
        : PassedEotByPosition(CurrentOffset);

    /// <summary>Blocks are cut into chunks of at most ChunkSize bytes, a 6-byte header each (AWS and HET alike).</summary>
    public override long WriteAllowanceBeforeWarning => AllowanceBeforeWarning(Options.ChunkSize, AwsBlockHeader.Size);

    /// <summary>
    /// AWS only: a block whose image is its last chunk plus one header is one chunk, and AWS data is
    /// read as the bytes are whatever the flags (awstape.c), so the index alone says where ReadForward
    /// would find it: asking for the extent of blocks written or walked before costs no system call.
    /// HET needs the header: a compressed chunk looks the same in the index.
    /// </summary>
    protected override bool TryStoredExtentFromIndex(long block, out long offset, out int length)
    {
        length = 0;
        offset = -1;
        if (_het)
        {
            return false;
        }

        long start = Index.OffsetOf(block);
        long next = Index.OffsetOf(block + 1);
        int lastChunk = Index.PreviousChunkLengthAt(block + 1);
        if (lastChunk == 0 || next - start != lastChunk + AwsBlockHeader.Size || next > FileLength)
        {
            return false;
        }

        length = lastChunk;
        offset = start + AwsBlockHeader.Size;
        return true;
    }

    /// <summary>
    /// Walks one block. AWS (awstape.c read_awstape): end of file at a header is end of data, a
    /// partial header or partial data is a short block, a tape mark flag on a chunk with data or
    /// a block over 2 MiB is a data check; start-of-record is not checked. HET (hetlib.c het_read,
    /// hettape.c read_het): end of file at or inside a header is end of tape, every other fault
    /// (missing or repeated start-of-record, compression flags differing between chunks,
    /// premature end of file, data that does not decompress) is a data check.
    /// A block whose data length is 0 is a tape mark, as the Hercules callers treat it.
    /// <see cref="ScanData.StoredExtent"/> gives the extent of a block of one chunk (end of record on its
    /// first header) that the file holds whole and, for HET, without compression; AWS chunks are never
    /// decompressed (awstape.c reads the bytes as they are), whatever their flags.
    /// </summary>
    protected override BlockScan ScanBlock(long offset, Span<byte> destination, ScanData data)
    {
        bool readData = data == ScanData.Read;
        Span<byte> headerBytes = stackalloc byte[AwsBlockHeader.Size];
        long position = offset;
        int total = 0;
        ushort lastChunk = 0;
        bool first = true;
        AwsFlags1 compression = AwsFlags1.None;
        AwsFlags2 busTech = AwsFlags2.None;
        Span<byte> target = destination;

        while (true)
        {
            int read = ReadHeader(position, headerBytes);
            if (read < 0)
            {
                return BlockScan.Failed(MediaStatus.DataCheck);
            }

            if (read < AwsBlockHeader.Size)
            {
                if (_het)
                {
                    return BlockScan.Failed(MediaStatus.EndOfTape);
                }

                return BlockScan.Failed(read == 0 ? MediaStatus.EndOfData : MediaStatus.BlockShort);
            }

            var header = AwsBlockHeader.Read(headerBytes);
            int length = header.CurrentLength;
            long dataOffset = position + AwsBlockHeader.Size;
            position = dataOffset + length;

            if (header.IsTapeMark)
            {
                // awstape.c: "Invalid tapemark" when the tape mark chunk or the block so far has data.
                // hetlib.c returns a tape mark whatever the length; a tape mark with data, or one
                // inside a block, is a data check here as for AWS (docs/device-behaviour.md, Media).
                if (total + length > 0 || (_het && !first))
                {
                    return BlockScan.Failed(MediaStatus.DataCheck);
                }

                return new BlockScan(MediaStatus.Ok, 0, position, 0, IsTapeMark: true);
            }

            if (_het)
            {
                AwsFlags1 chunkCompression = header.Flags1 & AwsFlags1.CompressionMask;
                AwsFlags2 chunkBusTech = header.Flags2 & AwsFlags2.BusTechZlib;
                if (first)
                {
                    if (!header.IsStartOfRecord)
                    {
                        return BlockScan.Failed(MediaStatus.DataCheck); // HETE_BADBOR
                    }

                    if (chunkCompression != AwsFlags1.None && chunkBusTech != AwsFlags2.None)
                    {
                        return BlockScan.Failed(MediaStatus.DataCheck); // HETE_BADCOMPRESS
                    }

                    compression = chunkCompression;
                    busTech = chunkBusTech;
                }
                else if (header.IsStartOfRecord)
                {
                    return BlockScan.Failed(MediaStatus.DataCheck); // HETE_BADBOR
                }
                else if (chunkCompression != compression || chunkBusTech != busTech)
                {
                    return BlockScan.Failed(MediaStatus.DataCheck); // HETE_BADCOMPRESS
                }
            }

            if (total + length > MaximumBlockSize)
            {
                return BlockScan.Failed(MediaStatus.DataCheck); // HHCTA107E / HETE_OVERFLOW
            }

            if (data == ScanData.StoredExtent)
            {
                bool whole = header.IsEndOfRecord && length > 0 && position <= FileLength
                    && compression == AwsFlags1.None && busTech == AwsFlags2.None;
                return new BlockScan(MediaStatus.Ok, length, position, (ushort)length, IsTapeMark: false,
                    ImageOffset: whole ? dataOffset : -1);
            }

            if (readData && length > 0)
            {
                // Compressed HET data is gathered in an internal buffer and decompressed at the end.
                if (_het && (compression != AwsFlags1.None || busTech != AwsFlags2.None))
                {
                    target = CompressedBuffer(total + length + AwsBlockHeader.Size);
                }

                int got = ReadDataAndPeek(dataOffset, target[total..], length, AwsBlockHeader.Size);
                if (got < 0)
                {
                    return BlockScan.Failed(MediaStatus.DataCheck);
                }

                if (got < length)
                {
                    return BlockScan.Failed(_het ? MediaStatus.DataCheck : MediaStatus.BlockShort); // HETE_PREMEOF / HHCTA110E
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
        if (readData && _het && (compression != AwsFlags1.None || busTech != AwsFlags2.None))
        {
            HetCompression? method = compression switch
            {
                AwsFlags1.Zlib => HetCompression.Zlib,
                AwsFlags1.Bzip2 => HetCompression.Bzip2,
                AwsFlags1.None => HetCompression.Zlib, // Bus-Tech zlib (flags-2 80)
                _ => null, // both bits: HETE_UNKMETH
            };
            if (method is null)
            {
                return BlockScan.Failed(MediaStatus.DataCheck);
            }

            blockLength = Codec.Decompress(method.Value, _compressedBuffer.AsSpan(0, total), destination);
            if (blockLength < 0)
            {
                return BlockScan.Failed(MediaStatus.DataCheck); // HETE_DECERR
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
        long maxSize = Options.MaxSize;
        if (maxSize > 0)
        {
            // AWS: refused, nothing written, if it would end past maxsize (awstape.c write_awstape).
            // HET: refused only when the file is already at or past maxsize (hettape.c write_het).
            bool refuse = _het ? offset >= maxSize : offset + block.Length + AwsBlockHeader.Size > maxSize;
            if (refuse)
            {
                return WriteOutcome.Refused(MediaStatus.EndOfTape);
            }
        }

        ReadOnlySpan<byte> payload = block;
        AwsFlags1 compression = AwsFlags1.None;
        if (_het && Options.Compress && block.Length > 0)
        {
            int compressed = Codec.Compress(Options.Method, Options.Level, block, CompressedBuffer(block.Length));
            if (compressed > 0)
            {
                payload = _compressedBuffer.AsSpan(0, compressed);
                compression = Options.Method == HetCompression.Bzip2 ? AwsFlags1.Bzip2 : AwsFlags1.Zlib;
            }
        }

        MediaStatus status;
        ushort lastChunk;
        long next;
        if (payload.Length <= Options.ChunkSize)
        {
            // One chunk: header and data go out as they are, without copying the block.
            Span<byte> header = stackalloc byte[AwsBlockHeader.Size];
            new AwsBlockHeader((ushort)payload.Length, previousChunkLength,
                AwsFlags1.StartOfRecord | AwsFlags1.EndOfRecord | compression, AwsFlags2.None).Write(header);
            status = WriteAndTruncate(offset, header, payload);
            lastChunk = (ushort)payload.Length;
            next = offset + AwsBlockHeader.Size + payload.Length;
        }
        else
        {
            int imageLength = Chunk(payload, previousChunkLength, compression, out lastChunk);
            status = WriteAndTruncate(offset, _writeBuffer.AsSpan(0, imageLength));
            next = offset + imageLength;
        }

        if (status != MediaStatus.Ok)
        {
            return new WriteOutcome(status, false, true, 0, 0);
        }

        if (_het && maxSize > 0 && next > maxSize)
        {
            // hettape.c write_het: past maxsize after the write -> end of tape; strictsize removes the block.
            if (Options.StrictSize)
            {
                TruncateFile(offset);
                return new WriteOutcome(MediaStatus.EndOfTape, false, true, 0, 0);
            }

            return new WriteOutcome(MediaStatus.EndOfTape, true, true, next, lastChunk);
        }

        return new WriteOutcome(MediaStatus.Ok, true, true, next, lastChunk);
    }

    protected override WriteOutcome WriteTapeMarkAt(long offset, ushort previousChunkLength)
    {
        // AWS: refused if the header would end past maxsize (awstape.c write_awsmark); HET: unchecked.
        if (!_het && Options.MaxSize > 0 && offset + AwsBlockHeader.Size > Options.MaxSize)
        {
            return WriteOutcome.Refused(MediaStatus.EndOfTape);
        }

        Span<byte> mark = stackalloc byte[AwsBlockHeader.Size];
        new AwsBlockHeader(0, previousChunkLength, AwsFlags1.TapeMark, AwsFlags2.None).Write(mark);
        MediaStatus status = WriteAndTruncate(offset, mark);
        if (status != MediaStatus.Ok)
        {
            return new WriteOutcome(status, false, true, 0, 0);
        }

        return new WriteOutcome(MediaStatus.Ok, true, true, offset + AwsBlockHeader.Size, 0);
    }

    /// <summary>
    /// Lays the block out as chunks of at most ChunkSize in the write buffer (Hyperion awstape.c
    /// write_awstape, hetlib.c het_write): first chunk 80, last 20, one chunk A0, HET compression
    /// bits on every chunk, each "previous length" the data length of the chunk before.
    /// </summary>
    private int Chunk(ReadOnlySpan<byte> payload, ushort previousChunkLength, AwsFlags1 compression, out ushort lastChunk)
    {
        int chunkSize = Options.ChunkSize;
        int chunks = payload.Length == 0 ? 1 : (payload.Length + chunkSize - 1) / chunkSize;
        int imageLength = payload.Length + chunks * AwsBlockHeader.Size;
        if (_writeBuffer.Length < imageLength)
        {
            _writeBuffer = new byte[Math.Max(imageLength, 2 * _writeBuffer.Length)];
        }

        Span<byte> output = _writeBuffer;
        AwsFlags1 flags = AwsFlags1.StartOfRecord | compression;
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

    private HetCodec Codec => _codec ??= new HetCodec(MaximumBlockSize);

    /// <summary>The buffer for compressed block data, grown to hold at least <paramref name="needed"/> bytes.</summary>
    private byte[] CompressedBuffer(int needed)
    {
        if (_compressedBuffer.Length < needed)
        {
            Array.Resize(ref _compressedBuffer, Math.Max(needed, Math.Min(2 * _compressedBuffer.Length, MaximumBlockSize + AwsBlockHeader.Size)));
        }

        return _compressedBuffer;
    }
}
