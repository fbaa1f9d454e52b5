using BenchmarkDotNet.Running;

namespace ChannelTape.Bench;

/// <summary>
/// Runs the benchmarks: <c>dotnet run -c Release --project bench/ChannelTape.Bench -- --filter '*'</c>.
/// Results are summarised in docs/performance.md.
/// <c>-- admin-volumes COUNT</c> runs <see cref="AdminReportMeasurement"/> instead.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "admin-volumes")
        {
            return AdminReportMeasurement.Run(args[1..]);
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
