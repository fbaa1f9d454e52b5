using BenchmarkDotNet.Running;

namespace ChannelTape.Bench;

/// <summary>
/// Runs the benchmarks: <c>dotnet run -c Release --project bench/ChannelTape.Bench -- --filter '*'</c>;
/// <c>-- mount-latency [VOLUMES] [CYCLES]</c> runs the library mount latency measurement
/// (<see cref="MountLatency"/>). Results are summarised in docs/performance.md.
/// <c>-- admin-volumes COUNT</c> runs <see cref="AdminReportMeasurement"/>; <c>-- protocol-latency</c> the loopback round trips;
/// <c>-- sync-points [DIRECTORY]</c> what Write Tape Mark and unload synchronisation cost (<see cref="SyncPointCost"/>);
/// <c>-- store-throughput ENDPOINT [MIB] [RUNS]</c> recall and upload against the raw S3 client (<see cref="StoreThroughput"/>);
/// <c>-- shared-streaming POSTGRES ENDPOINT [DRIVES] [BLOCKS] [BLOCKSIZE]</c> drives streaming through two servers of one library (<see cref="SharedStreaming"/>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "mount-latency")
        {
            return MountLatency.Run(args[1..]);
        }

        if (args is ["protocol-latency", ..])
        {
            ProtocolLatency.Run();
            return 0;
        }

        if (args.Length > 0 && args[0] == "operations-overhead")
        {
            return OperationsOverhead.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "streaming")
        {
            return StreamingDrives.Run(args[1..]);
        }

        if (args is ["sync-points", ..])
        {
            return SyncPointCost.Run(args[1..]);
        }

        if (args is ["shared-streaming", ..])
        {
            return SharedStreaming.Run(args[1..]);
        }

        if (args is ["store-throughput", ..])
        {
            return StoreThroughput.Run(args[1..]);
        }

        if (args.Length > 0 && args[0] == "admin-volumes")
        {
            return AdminReportMeasurement.Run(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
