using Microsoft.Win32.SafeHandles;

namespace ChannelTape.Media;

/// <summary>
/// HET volumes (docs/reference/hercules-tape.md §6.2; Hercules hetlib.c het_read / het_write, hettape.c): AWSTAPE's
/// chunk layout with the whole block compressed (zlib or bzip2, <see cref="HetCodec"/>) before it is
/// chunked, kept only when smaller, and the compression bits repeated in every chunk. Reading checks
/// what het_read checks: start of record on the first chunk only (HETE_BADBOR), the same compression
/// flags in every chunk and not zlib and Bus-Tech zlib together (HETE_BADCOMPRESS). The file ending
/// at or inside a header is the end of the tape (HETE_EOT); ending inside data is a data check
/// (HETE_PREMEOF), as is data that does not decompress (HETE_DECERR, HETE_UNKMETH), which het_read
/// reports after it has read every chunk of the block: that read has passed the block.
/// </summary>
internal sealed class HetTapeMedia : ChunkedTapeMedia
{
    private HetCodec? _codec;

    public HetTapeMedia(string path, SafeFileHandle handle, bool readOnly, TapeImageOptions options)
        : base(path, TapeImageFormat.Het, handle, readOnly, options)
    {
    }

    /// <summary>hettape.c passedeot_het: file position within eotmargin of maxsize, load point included.</summary>
    public override bool IsPastEarlyWarning => Options.MaxSize > 0 && CurrentOffset + Options.EotMargin > Options.MaxSize;

    private HetCodec Codec => _codec ??= new HetCodec(MaximumBlockSize);

    protected override MediaStatus EndOfFileInHeader(int bytesRead) => MediaStatus.EndOfTape;

    protected override MediaStatus EndOfFileInData => MediaStatus.DataCheck;

    /// <summary>
    /// hetlib.c returns a tape mark whatever its length; a tape mark with data (checked by the base), or
    /// one inside a block, is a data check here as for AWS (docs/device-behaviour.md, Media).
    /// </summary>
    protected override MediaStatus CheckChunk(in AwsBlockHeader header, bool first, ref BlockEncoding encoding)
    {
        if (header.IsTapeMark)
        {
            return first ? MediaStatus.Ok : MediaStatus.DataCheck;
        }

        var chunk = new BlockEncoding(header.Flags1 & AwsFlags1.CompressionMask, header.Flags2 & AwsFlags2.BusTechZlib);
        if (!first)
        {
            // HETE_BADBOR: a second start of record; HETE_BADCOMPRESS: flags that differ from the first chunk's.
            return header.IsStartOfRecord || chunk != encoding ? MediaStatus.DataCheck : MediaStatus.Ok;
        }

        // HETE_BADBOR: no start of record; HETE_BADCOMPRESS: zlib or bzip2 together with Bus-Tech zlib.
        if (!header.IsStartOfRecord || (chunk.Flags1 != AwsFlags1.None && chunk.Flags2 != AwsFlags2.None))
        {
            return MediaStatus.DataCheck;
        }

        encoding = chunk;
        return MediaStatus.Ok;
    }

    /// <summary>Decompresses (het_read): zlib, bzip2 or Bus-Tech zlib (flags-2 80); both flags-1 bits are an unknown method (HETE_UNKMETH).</summary>
    protected override int Decode(BlockEncoding encoding, ReadOnlySpan<byte> stored, Span<byte> destination)
    {
        HetCompression? method = encoding.Flags1 switch
        {
            AwsFlags1.Zlib => HetCompression.Zlib,
            AwsFlags1.Bzip2 => HetCompression.Bzip2,
            AwsFlags1.None => HetCompression.Zlib, // Bus-Tech zlib (flags-2 80)
            _ => null,
        };
        return method is null ? -1 : Codec.Decompress(method.Value, stored, destination);
    }

    /// <summary>het_write: the whole block compressed with the volume's method and level when that makes it smaller.</summary>
    protected override ReadOnlySpan<byte> Encode(ReadOnlySpan<byte> block, out AwsFlags1 encoding)
    {
        encoding = AwsFlags1.None;
        if (!Options.Compress || block.IsEmpty)
        {
            return block;
        }

        var buffer = StoredBuffer(block.Length);
        int compressed = Codec.Compress(Options.Method, Options.Level, block, buffer);
        if (compressed <= 0)
        {
            return block;
        }

        encoding = Options.Method == HetCompression.Bzip2 ? AwsFlags1.Bzip2 : AwsFlags1.Zlib;
        return buffer.AsSpan(0, compressed);
    }

    /// <summary>hettape.c write_het: refused only when the file is already at or past maxsize.</summary>
    protected override bool RefusesBlock(long offset, int blockLength) => offset >= Options.MaxSize;

    /// <summary>hettape.c write_hetmark: tape marks are not checked against maxsize.</summary>
    protected override bool RefusesTapeMark(long offset) => false;

    /// <summary>
    /// hettape.c write_het: past maxsize after the write is the end of the tape; the block stays
    /// written, unless <c>strictsize</c> removes it again.
    /// </summary>
    protected override WriteOutcome Written(long offset, long next, ushort lastChunk)
    {
        if (Options.MaxSize <= 0 || next <= Options.MaxSize)
        {
            return base.Written(offset, next, lastChunk);
        }

        if (Options.StrictSize)
        {
            Image.Truncate(offset);
            return new WriteOutcome(MediaStatus.EndOfTape, false, true, 0, 0);
        }

        return new WriteOutcome(MediaStatus.EndOfTape, true, true, next, lastChunk);
    }
}
