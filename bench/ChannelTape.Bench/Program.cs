using BenchmarkDotNet.Running;

namespace ChannelTape.Bench;

/// <summary>
/// Runs the benchmarks: <c>dotnet run -c Release --project bench/ChannelTape.Bench -- --filter '*'</c>.
/// Results are summarised in docs/performance.md.
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["protocol-latency", ..])
        {
            ProtocolLatency.Run();
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
