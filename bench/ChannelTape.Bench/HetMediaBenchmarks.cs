using BenchmarkDotNet.Attributes;
using ChannelTape.Media;

namespace ChannelTape.Bench;

/// <summary>
/// HET write and read of 32 KiB blocks of compressible data (repeated 80-byte EBCDIC-like
/// records), zlib level 4 and bzip2 level 4, through the host's libraries as Hercules uses them.
/// One operation = one block.
/// </summary>
[MemoryDiagnoser]
public class HetMediaBenchmarks
{
    private const int BlocksPerPass = 128;
    private const int BlockSize = 32 * 1024;

    private string _path = "";
    private ITapeMedia _media = null!;
    private byte[] _block = [];
    private byte[] _buffer = [];

    [Params(HetCompression.Zlib, HetCompression.Bzip2)]
    public HetCompression Method { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), $"ctape-bench-{Environment.ProcessId}-{Method}.het");
        File.Delete(_path);
        if (!TapeImage.TryCreate(_path, TapeImageFormat.Het, new TapeImageOptions { Method = Method }, out var media, out string? error))
            throw new InvalidOperationException(error);
        _media = media;
        _block = new byte[BlockSize];
        var random = new Random(1);
        for (int i = 0; i < _block.Length; i++)
            _block[i] = i % 80 < 40 ? (byte)(0xC1 + random.Next(9)) : (byte)0x40;
        _buffer = new byte[_media.MaxBlockSize];
        WritePass();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _media.Dispose();
        File.Delete(_path);
    }

    [Benchmark(OperationsPerInvoke = BlocksPerPass)]
    public void HetWriteBlock() => WritePass();

    [Benchmark(OperationsPerInvoke = BlocksPerPass)]
    public int HetReadBlock() => MediaPasses.Read(_media, _buffer, BlocksPerPass);

    private void WritePass() => MediaPasses.Write(_media, _block, BlocksPerPass);
}
