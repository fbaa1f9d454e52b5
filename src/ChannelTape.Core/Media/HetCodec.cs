using ICSharpCode.SharpZipLib;
using ICSharpCode.SharpZipLib.BZip2;
using ICSharpCode.SharpZipLib.Zip.Compression;

namespace ChannelTape.Media;

/// <summary>
/// Whole-block compression for HET (hetlib.c het_write / het_read): zlib as an RFC 1950 stream
/// (zlib compress2 / uncompress) and bzip2 (BZ2_bzBuffToBuffCompress with the level as block size,
/// BZ2_bzBuffToBuffDecompress). Buffers are reused between blocks.
/// </summary>
internal sealed class HetCodec
{
    private readonly int _maxBlockSize;
    private readonly Deflater _deflater = new(Deflater.DEFAULT_COMPRESSION, noZlibHeaderOrFooter: false);
    private readonly Inflater _inflater = new(noHeader: false);
    private byte[] _input = [];
    private byte[] _output = [];

    public HetCodec(int maxBlockSize) => _maxBlockSize = maxBlockSize;

    /// <summary>
    /// Compresses <paramref name="block"/> into <paramref name="destination"/>. Returns the compressed
    /// length when it is smaller than the block (hetlib.c keeps compression only then), else 0.
    /// </summary>
    public int Compress(HetCompression method, int level, ReadOnlySpan<byte> block, byte[] destination)
    {
        byte[] input = Input(block);
        int limit = Math.Min(block.Length - 1, destination.Length);
        if (limit <= 0)
            return 0;
        return method == HetCompression.Bzip2
            ? CompressBzip2(level, input, block.Length, destination, limit)
            : CompressZlib(level, input, block.Length, destination, limit);
    }

    /// <summary>Decompresses a block into <paramref name="destination"/>; its length, or -1 when the data is not a valid stream or exceeds the largest block.</summary>
    public int Decompress(HetCompression method, ReadOnlySpan<byte> compressed, Span<byte> destination)
    {
        if (_output.Length < _maxBlockSize + 1)
            _output = new byte[_maxBlockSize + 1];
        byte[] input = Input(compressed);
        int length;
        try
        {
            length = method == HetCompression.Bzip2
                ? DecompressBzip2(input, compressed.Length)
                : DecompressZlib(input, compressed.Length);
        }
        catch (Exception e) when (e is SharpZipBaseException or IOException or InvalidOperationException
                                       or IndexOutOfRangeException or ArgumentException or NullReferenceException)
        {
            // A corrupt stream is a data check, never an exception (hetlib.c: HETE_DECERR).
            return -1;
        }
        if (length < 0 || length > _maxBlockSize || length > destination.Length)
            return -1;
        _output.AsSpan(0, length).CopyTo(destination);
        return length;
    }

    private int CompressZlib(int level, byte[] input, int inputLength, byte[] destination, int limit)
    {
        _deflater.Reset();
        _deflater.SetLevel(level);
        _deflater.SetInput(input, 0, inputLength);
        _deflater.Finish();
        int total = 0;
        while (!_deflater.IsFinished)
        {
            if (total >= limit)
                return 0;
            int produced = _deflater.Deflate(destination, total, limit - total);
            if (produced == 0 && !_deflater.IsFinished && total >= limit)
                return 0;
            total += produced;
        }
        return total < inputLength ? total : 0;
    }

    private static int CompressBzip2(int level, byte[] input, int inputLength, byte[] destination, int limit)
    {
        using var memory = new MemoryStream();
        using (var bzip = new BZip2OutputStream(memory, level) { IsStreamOwner = false })
            bzip.Write(input, 0, inputLength);
        if (memory.Length > limit)
            return 0;
        int length = (int)memory.Length;
        memory.GetBuffer().AsSpan(0, length).CopyTo(destination);
        return length;
    }

    private int DecompressZlib(byte[] input, int inputLength)
    {
        _inflater.Reset();
        _inflater.SetInput(input, 0, inputLength);
        int total = 0;
        while (!_inflater.IsFinished)
        {
            int produced = _inflater.Inflate(_output, total, _output.Length - total);
            total += produced;
            if (produced == 0)
            {
                if (_inflater.IsFinished)
                    break;
                // Out of input before the end of the stream, a preset dictionary, or more
                // output than the largest block: all are data checks (zlib uncompress != Z_OK).
                return -1;
            }
            if (total > _maxBlockSize)
                return -1;
        }
        return total;
    }

    private int DecompressBzip2(byte[] input, int inputLength)
    {
        using var memory = new MemoryStream(input, 0, inputLength, writable: false);
        using var bzip = new BZip2InputStream(memory);
        int total = 0;
        while (total < _output.Length)
        {
            int read = bzip.Read(_output, total, _output.Length - total);
            if (read == 0)
                break;
            total += read;
        }
        return total > _maxBlockSize ? -1 : total;
    }

    private byte[] Input(ReadOnlySpan<byte> data)
    {
        if (_input.Length < data.Length)
            _input = new byte[Math.Max(data.Length, _maxBlockSize + 16)];
        data.CopyTo(_input);
        return _input;
    }
}
