using System.Diagnostics;
using System.Net;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Hosting;
using ChannelTape.Library.Configuration;
using ChannelTape.Media;
using ChannelTape.Runtime;

namespace ChannelTape.Bench;

/// <summary>
/// Issue 10: what the operations plane costs, measured where it could cost.
/// 1. The hot path: the only thing the operations plane put on a CCW is DriveRuntime's outcome test (a
///    unit check or unit exception becomes an event). 1000-CCW chains of 80-byte Writes (CCW-bound, so any
///    per-CCW cost shows) and of Reads, through the bare TapeDrive and through DriveRuntime.Device, alternated
///    ROUNDS times; the best chain of each is taken (the least disturbed by other processes).
/// 2. A scrape: /metrics and /api/drives of an eight-drive library (management API on 127.0.0.1), N times:
///    wall time and this process's CPU time per request.
/// <c>dotnet run -c Release --project bench/ChannelTape.Bench -- operations-overhead [ROUNDS] [SCRAPES]</c>
/// </summary>
public static class OperationsOverhead
{
    private const int Chain = 1000;
    private const int Block = 80;

    public static int Run(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 200;
        int scrapes = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 500;
        HotPath(rounds);
        Scrapes(scrapes);
        return 0;
    }

    private static void HotPath(int rounds)
    {
        var directory = Directory.CreateTempSubdirectory("ctape-ops-bench-").FullName;
        try
        {
            if (!TapeImage.TryCreate(Path.Combine(directory, "bench.aws"), TapeImageFormat.Aws, new TapeImageOptions(), out var media, out var error))
            {
                throw new InvalidOperationException(error);
            }

            using var runtime = DriveRuntime.Standalone(TapeModel.Ibm3490, 0x0580);
            runtime.Drive.Mount(media!);
            var bare = (IChannelDevice)runtime.Drive;
            var reported = runtime.Device;
            var buffer = new byte[Block];
            var best = new Dictionary<string, double>();
            for (int round = 0; round < rounds; round++)
            {
                foreach (var (name, device, command) in new[] { ("Write, bare TapeDrive", bare, (byte)0x01), ("Write, DriveRuntime.Device", reported, (byte)0x01),
                             ("Read, bare TapeDrive", bare, (byte)0x02), ("Read, DriveRuntime.Device", reported, (byte)0x02) })
                {
                    media!.Rewind();
                    var clock = Stopwatch.StartNew();
                    RunChain(device, command, buffer);
                    var perCcw = clock.Elapsed.TotalNanoseconds / Chain;
                    best[name] = Math.Min(best.GetValueOrDefault(name, double.MaxValue), perCcw);
                }
            }

            Console.WriteLine($"| chain of {Chain} CCWs, {Block}-byte blocks, best of {rounds} | ns per CCW |");
            Console.WriteLine("|---|---:|");
            foreach (var (name, ns) in best)
            {
                Console.WriteLine($"| {name} | {ns:F0} |");
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void RunChain(IChannelDevice device, byte command, byte[] buffer)
    {
        device.StartChannelProgram();
        var previous = CcwFlags.None;
        for (int i = 0; i < Chain; i++)
        {
            var flags = i < Chain - 1 ? CcwFlags.ChainCommand : CcwFlags.None;
            var result = device.Execute(new CcwRequest(command, flags, previous, Block, i == 0 ? (byte)0 : command, i), buffer);
            if (result.Status != UnitStatus.ChannelEndDeviceEnd)
            {
                throw new InvalidOperationException($"CCW {i}: {result.Status}");
            }

            previous = flags;
        }

        device.EndChannelProgram();
    }

    private static void Scrapes(int count)
    {
        var root = Directory.CreateTempSubdirectory("ctape-ops-scrape-").FullName;
        try
        {
            var result = ConfigurationParser.ParseText(ConfigurationParser.DefaultText, "ops.conf", root);
            var configuration = result.Configuration! with
            {
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                Management = result.Configuration!.Management with { Http = new IPEndPoint(IPAddress.Loopback, 0) },
            };
            if (!LibraryHost.TryBuild(configuration, new LibraryHostOptions(), out var host, out var error))
            {
                throw new InvalidOperationException(error);
            }

            host.Start();
            using var http = new HttpClient { BaseAddress = host.Management!.Address };
            Console.WriteLine();
            Console.WriteLine($"| request (8 drives, 100 volumes), {count} times | wall ms per request | CPU ms per request (server and client) | bytes |");
            Console.WriteLine("|---|---:|---:|---:|");
            foreach (var path in new[] { "metrics", "api/drives" })
            {
                var length = http.GetStringAsync(path).GetAwaiter().GetResult().Length; // the first request's JIT is not timed
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < count; i++)
                {
                    length = http.GetStringAsync(path).GetAwaiter().GetResult().Length;
                }

                var wall = clock.Elapsed.TotalMilliseconds / count;
                var used = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / count;
                Console.WriteLine($"| GET /{path} | {wall:F2} | {used:F2} | {length} |");
            }

            host.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
