using ICSharpCode.SharpZipLib;
using ICSharpCode.SharpZipLib.BZip2;
using ICSharpCode.SharpZipLib.Zip.Compression;

namespace ChannelTape.Media;

/// <summary>
/// Whole-block compression for HET (hetlib.c het_write / het_read): zlib as an RFC 1950 stream
/// (zlib compress2 / uncompress) and bzip2 (BZ2_bzBuffToBuffCompress with the level as block size,
/// BZ2_bzBuffToBuffDecompress). The host's own libraries are used when present
/// (<see cref="SystemCompression"/>, byte-identical to Hercules), SharpZipLib otherwise.
/// Buffers are reused between blocks.
/// </summary>
internal sealed class HetCodec
{
    private readonly int _maxBlockSize;
    private readonly bool _systemZlib;
    private readonly bool _systemBzip2;
    private const int InitialOutputSize = 64 * 1024;
    private Deflater? _deflater;
    private Inflater? _inflater;
    private byte[] _input = [];
    private byte[] _output = [];

    /// <param name="maxBlockSize">Largest uncompressed block.</param>
    /// <param name="useSystemLibraries">Use the host's zlib / libbz2 when present (tests turn it off to cover SharpZipLib).</param>
    public HetCodec(int maxBlockSize, bool useSystemLibraries = true)
    {
        _maxBlockSize = maxBlockSize;
        _systemZlib = useSystemLibraries && SystemCompression.HasZlib;
        _systemBzip2 = useSystemLibraries && SystemCompression.HasBzip2;
    }

    /// <summary>
    /// Compresses <paramref name="block"/> into <paramref name="destination"/>. Returns the compressed
    /// length when it is smaller than the block (hetlib.c keeps compression only then), else 0.
    /// </summary>
    public int Compress(HetCompression method, int level, ReadOnlySpan<byte> block, byte[] destination)
    {
        int limit = Math.Min(block.Length - 1, destination.Length);
        if (limit <= 0)
        {
            return 0;
        }

        if (method == HetCompression.Bzip2 ? _systemBzip2 : _systemZlib)
        {
            return method == HetCompression.Bzip2
                ? SystemCompression.Bzip2Compress(block, destination.AsSpan(0, limit), level)
                : SystemCompression.ZlibCompress(block, destination.AsSpan(0, limit), level);
        }

        byte[] input = Input(block);
        return method == HetCompression.Bzip2
            ? CompressBzip2(level, input, block.Length, destination, limit)
            : CompressZlib(level, input, block.Length, destination, limit);
    }

    /// <summary>Decompresses a block into <paramref name="destination"/>; its length, or -1 when the data is not a valid stream or exceeds the largest block.</summary>
    public int Decompress(HetCompression method, ReadOnlySpan<byte> compressed, Span<byte> destination)
    {
        if (method == HetCompression.Bzip2 ? _systemBzip2 : _systemZlib)
        {
            Span<byte> output = destination[..Math.Min(destination.Length, _maxBlockSize)];
            return method == HetCompression.Bzip2
                ? SystemCompression.Bzip2Decompress(compressed, output)
                : SystemCompression.ZlibDecompress(compressed, output);
        }

        if (_output.Length == 0)
        {
            _output = new byte[InitialOutputSize];
        }

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
            // SharpZipLib's decoders report some corruptions only through these exceptions.
            return -1;
        }

        if (length < 0 || length > _maxBlockSize || length > destination.Length)
        {
            return -1;
        }

        _output.AsSpan(0, length).CopyTo(destination);
        return length;
    }

    private int CompressZlib(int level, byte[] input, int inputLength, byte[] destination, int limit)
    {
        _deflater ??= new Deflater(Deflater.DEFAULT_COMPRESSION, noZlibHeaderOrFooter: false);
        _deflater.Reset();
        _deflater.SetLevel(level);
        _deflater.SetInput(input, 0, inputLength);
        _deflater.Finish();
        int total = 0;
        while (!_deflater.IsFinished)
        {
            if (total >= limit)
            {
                // Not smaller than the block: stored uncompressed. The deflater still holds input
                // that Reset does not discard, so it is replaced.
                _deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, noZlibHeaderOrFooter: false);
                return 0;
            }

            total += _deflater.Deflate(destination, total, limit - total);
        }

        return total < inputLength ? total : 0;
    }

    private static int CompressBzip2(int level, byte[] input, int inputLength, byte[] destination, int limit)
    {
        using var memory = new MemoryStream();
        using (var bzip = new BZip2OutputStream(memory, level) { IsStreamOwner = false })
        {
            bzip.Write(input, 0, inputLength);
        }

        if (memory.Length > limit)
        {
            return 0;
        }

        int length = (int)memory.Length;
        memory.GetBuffer().AsSpan(0, length).CopyTo(destination);
        return length;
    }

    private int DecompressZlib(byte[] input, int inputLength)
    {
        _inflater ??= new Inflater(noHeader: false);
        _inflater.Reset();
        _inflater.SetInput(input, 0, inputLength);
        int total = 0;
        while (!_inflater.IsFinished)
        {
            if (total == _output.Length && !GrowOutput())
            {
                return -1; // more than the largest block
            }

            int produced = _inflater.Inflate(_output, total, _output.Length - total);
            total += produced;
            if (produced == 0 && !_inflater.IsFinished && total < _output.Length)
            {
                // Out of input before the end of the stream, or a preset dictionary:
                // a data check (zlib uncompress != Z_OK).
                return -1;
            }
        }

        return total;
    }

    private int DecompressBzip2(byte[] input, int inputLength)
    {
        using var memory = new MemoryStream(input, 0, inputLength, writable: false);
        using var bzip = new BZip2InputStream(memory);
        int total = 0;
        while (true)
        {
            if (total == _output.Length && !GrowOutput())
            {
                return -1;
            }

            int read = bzip.Read(_output, total, _output.Length - total);
            if (read == 0)
            {
                return total;
            }

            total += read;
        }
    }

    /// <summary>Doubles the output buffer up to one byte past the largest block (to detect overflow); false when already there.</summary>
    private bool GrowOutput()
    {
        int limit = _maxBlockSize + 1;
        if (_output.Length >= limit)
        {
            return false;
        }

        Array.Resize(ref _output, Math.Min(limit, 2 * _output.Length));
        return true;
    }

    private byte[] Input(ReadOnlySpan<byte> data)
    {
        if (_input.Length < data.Length)
        {
            _input = new byte[Math.Max(data.Length, 2 * _input.Length)];
        }

        data.CopyTo(_input);
        return _input;
    }
}
