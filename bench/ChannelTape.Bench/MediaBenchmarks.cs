using BenchmarkDotNet.Attributes;
using ChannelTape.Media;

namespace ChannelTape.Bench;

/// <summary>
/// AWSTAPE write and read throughput at the media layer: an image in /tmp (page cache), blocks of
/// 32 KiB and 64 KiB, caller-owned buffers. One operation = one block (OperationsPerInvoke), so
/// the allocation column is bytes per block. Each invocation rewinds and rewrites (or rereads) the
/// same <see cref="BlocksPerPass"/> blocks, the steady state of a drive writing a volume.
/// </summary>
[MemoryDiagnoser]
public class MediaBenchmarks
{
    private const int BlocksPerPass = 512;

    private string _path = "";
    private ITapeMedia _media = null!;
    private byte[] _block = [];
    private byte[] _record = [];
    private byte[] _buffer = [];

    [Params(32 * 1024, 64 * 1024)]
    public int BlockSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), $"ctape-bench-{Environment.ProcessId}-{BlockSize}.aws");
        File.Delete(_path);
        if (!TapeImage.TryCreate(_path, TapeImageFormat.Aws, new TapeImageOptions(), out var media, out string? error))
            throw new InvalidOperationException(error);
        _media = media!;
        _block = new byte[BlockSize];
        new Random(1).NextBytes(_block);
        _record = new byte[BlockSize + 6];
        _buffer = new byte[_media.MaxBlockSize];
        WritePass();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _media.Dispose();
        File.Delete(_path);
        File.Delete(_path + ".raw");
    }

    [Benchmark(OperationsPerInvoke = BlocksPerPass)]
    public void WriteBlock() => WritePass();

    /// <summary>
    /// Baseline for the machine: as many bytes per block as the image gets (block + 6-byte header,
    /// so the same page alignment), one plain positional write each, the same truncation; no format.
    /// </summary>
    [Benchmark(OperationsPerInvoke = BlocksPerPass)]
    public void RawFileWrite()
    {
        using var handle = File.OpenHandle(_path + ".raw", FileMode.OpenOrCreate, FileAccess.ReadWrite);
        long offset = 0;
        for (int i = 0; i < BlocksPerPass; i++)
        {
            RandomAccess.Write(handle, _record, offset);
            offset += _record.Length;
            if (i == 0)
                RandomAccess.SetLength(handle, offset);
        }
    }

    [Benchmark(OperationsPerInvoke = BlocksPerPass)]
    public int ReadBlock() => MediaPasses.Read(_media, _buffer, BlocksPerPass);

    private void WritePass() => MediaPasses.Write(_media, _block, BlocksPerPass);
}
