using BenchmarkDotNet.Attributes;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;

namespace ChannelTape.Bench;

/// <summary>
/// Write and read chained 32 KiB and 64 KiB blocks through the CCW interpreter (TapeDrive) to an
/// AWS image in the page cache — the same shape as the reference runner's bench.py case
/// "1 SSCH, 1000 chained CCWs" on Hercules 3.13's own 3490 (issue 2, "Benchmark").
/// One operation = one CCW; MB/s = BlockSize / mean time.
/// </summary>
[MemoryDiagnoser]
public class DriveBenchmarks
{
    private const int BlocksPerInvocation = 1000;
    private const byte Write = 0x01;
    private const byte Read = 0x02;

    private string _directory = "";
    private TapeDrive _drive = null!;
    private byte[] _buffer = [];

    [Params(32760, 65535)]
    public int BlockSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("ctape-bench-").FullName;
        string path = Path.Combine(_directory, "bench.aws");
        if (!TapeImage.TryCreate(path, TapeImageFormat.Aws, new TapeImageOptions(), out var media, out string? error))
        {
            throw new InvalidOperationException(error);
        }

        _drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        _drive.Mount(media!);
        _buffer = new byte[BlockSize];
        new Random(42).NextBytes(_buffer);
        RunChain(Write); // the read benchmark reads these blocks
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _drive.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(OperationsPerInvoke = BlocksPerInvocation)]
    public void WriteChained() => RunChain(Write);

    [Benchmark(OperationsPerInvoke = BlocksPerInvocation)]
    public void ReadChained() => RunChain(Read);

    private void RunChain(byte command)
    {
        _drive.Media!.Rewind();
        _drive.StartChannelProgram();
        var previous = CcwFlags.None;
        byte previousCommand = 0;
        for (int i = 0; i < BlocksPerInvocation; i++)
        {
            var flags = i < BlocksPerInvocation - 1 ? CcwFlags.ChainCommand : CcwFlags.None;
            var result = _drive.Execute(new CcwRequest(command, flags, previous, BlockSize, previousCommand, i), _buffer);
            if (result.Status != UnitStatus.ChannelEndDeviceEnd || result.Residual != 0)
            {
                throw new InvalidOperationException($"CCW {i} op {command:X2}: status {result.Status}, residual {result.Residual}");
            }

            previous = flags;
            previousCommand = command;
        }

        _drive.EndChannelProgram();
    }
}
