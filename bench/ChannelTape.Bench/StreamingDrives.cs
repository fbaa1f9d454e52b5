using System.Diagnostics;
using System.Net;
using ChannelTape.Channel;
using ChannelTape.Client;
using ChannelTape.Library.Configuration;
using ChannelTape.Hosting;
using ChannelTape.Server;

namespace ChannelTape.Bench;

/// <summary>
/// Issue 3: N drives streaming at once over the wire. A server composed as <c>ctape serve</c>
/// composes it (library, AWS images in a temporary storage root, admin volumes, statistics) on
/// 127.0.0.1; N clients (<see cref="RemoteDevice"/>, one connection per drive) each mount a
/// scratch volume by Load Display, write BLOCKS blocks, rewind and read them back, all at the same
/// time. Prints aggregate MB/s and CCWs/s for writing and reading next to one drive alone.
/// <c>dotnet run -c Release --project bench/ChannelTape.Bench -- streaming [DRIVES] [BLOCKS] [BLOCKSIZE] [--metrics]</c>
/// Without <c>--metrics</c> the management API is off (<c>http none</c>); with it, it listens and a scraper
/// reads <c>/metrics</c> and <c>/api/drives</c> every second while the drives stream, as Prometheus and an
/// open status page would: the difference is what the operations plane costs the hot path.
/// </summary>
public static class StreamingDrives
{
    private static bool s_metrics;

    public static int Run(string[] args)
    {
        s_metrics = args.Contains("--metrics");
        args = [.. args.Where(a => a != "--metrics")];
        int drives = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 8;
        int blocks = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 2000;
        int size = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 32760;
        Console.WriteLine($"| drives | block | blocks per drive | write MB/s (all) | write CCW/s (all) | read MB/s (all) | read CCW/s (all) |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int n in drives == 1 ? new[] { 1 } : new[] { 1, drives })
        {
            Measure(n, blocks, size);
        }

        return 0;
    }

    private static void Measure(int drives, int blocks, int size)
    {
        string root = Directory.CreateTempSubdirectory("ctape-stream-").FullName;
        try
        {
            var result = ConfigurationParser.ParseText($$"""
                storage { root "{{root}}"; format aws; }
                drive 0580-{{0x0580 + Math.Max(drives, 2) - 1:X4}} { model 3490; media 3490E; pool SCRATCH; }
                pool SCRATCH { volumes T00000-T00099; media 3490E; capacity 4G; labels SL; scratch; }
                """, "stream.conf", root);
            if (result.Configuration is null)
            {
                throw new InvalidOperationException(string.Join('\n', result.Errors));
            }

            // The server as ctape serve composes it, on a free port; the management API only with --metrics.
            var configuration = result.Configuration with
            {
                Listen = new IPEndPoint(IPAddress.Loopback, 0),
                Management = result.Configuration.Management with { Http = s_metrics ? new IPEndPoint(IPAddress.Loopback, 0) : null },
            };
            if (!LibraryHost.TryBuild(configuration, new LibraryHostOptions(), out var host, out string? error))
            {
                throw new InvalidOperationException(error);
            }

            var server = host.Server;
            host.Start();
            int port = server.LocalEndPoint.Port;
            var devices = Enumerable.Range(0, drives)
                .Select(i => RemoteDevice.Connect("127.0.0.1", port, (ushort)(0x0580 + i), new RemoteDeviceOptions { Reconnect = false }))
                .ToList();
            foreach (var device in devices)
            {
                var session = new Admin.Lms.DriveSession(device);
                session.Mount("SCRTCH", TimeSpan.FromSeconds(30));
            }

            using var scraping = new CancellationTokenSource();
            if (host.Management is { } warm)
            {
                // Prometheus would have scraped long before: the first request's start-up (JIT) is not timed.
                using var first = new HttpClient { BaseAddress = warm.Address };
                _ = first.GetStringAsync("metrics").GetAwaiter().GetResult() + first.GetStringAsync("api/drives").GetAwaiter().GetResult();
            }

            var scraper = host.Management is { } management ? ScrapeAsync(management.Address, scraping.Token) : Task.FromResult(0);
            var write = Time(devices, blocks, size, 0x01);
            Parallel.ForEach(devices, d => Ccw(d, 0x07, 1, new byte[1], 0));
            var read = Time(devices, blocks, size, 0x02);
            scraping.Cancel();
            int scrapes = scraper.GetAwaiter().GetResult();
            double bytes = (double)drives * blocks * size;
            Console.WriteLine($"| {drives} | {size} | {blocks} | {bytes / write.TotalSeconds / 1e6:F1} | {drives * blocks / write.TotalSeconds:F0} | {bytes / read.TotalSeconds / 1e6:F1} | {drives * blocks / read.TotalSeconds:F0} |{(s_metrics ? $" {scrapes} scrapes" : "")}");
            foreach (var device in devices)
            {
                device.Dispose();
            }

            host.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Reads /metrics and /api/drives once a second until cancelled; the number of rounds.</summary>
    private static async Task<int> ScrapeAsync(Uri address, CancellationToken stop)
    {
        using var http = new HttpClient { BaseAddress = address };
        int rounds = 0;
        if (Environment.GetEnvironmentVariable("CTAPE_BENCH_NO_SCRAPE") == "1")
        {
            return 0;
        }

        try
        {
            while (true)
            {
                var metrics = await http.GetStringAsync("metrics", stop);
                var drives = await http.GetStringAsync("api/drives", stop);
                if (!metrics.Contains("ctape_drive_ccws_total", StringComparison.Ordinal) || drives.Length == 0)
                {
                    throw new InvalidOperationException("the scrape did not get the ctape_ series");
                }

                rounds++;
                await Task.Delay(1000, stop);
            }
        }
        catch (OperationCanceledException)
        {
            return rounds;
        }
    }

    /// <summary>Every drive runs one channel program of BLOCKS command-chained CCWs, all drives at once.</summary>
    internal static TimeSpan Time(List<RemoteDevice> devices, int blocks, int size, byte command)
    {
        using var start = new Barrier(devices.Count + 1);
        var threads = devices.Select(device => new Thread(() =>
        {
            var buffer = new byte[size];
            start.SignalAndWait();
            device.StartChannelProgram();
            var previous = CcwFlags.None;
            for (int i = 0; i < blocks; i++)
            {
                var flags = i < blocks - 1 ? CcwFlags.ChainCommand : CcwFlags.None;
                var result = device.Execute(new CcwRequest(command, flags, previous, size, i == 0 ? (byte)0 : command, i), buffer);
                if (result.Status != UnitStatus.ChannelEndDeviceEnd || result.Residual != 0)
                {
                    throw new InvalidOperationException($"drive {device.DeviceNumber:X4} CCW {i}: {result.Status} residual {result.Residual}");
                }

                previous = flags;
            }

            device.EndChannelProgram();
        })).ToList();
        threads.ForEach(t => t.Start());
        start.SignalAndWait();
        var clock = Stopwatch.StartNew();
        threads.ForEach(t => t.Join());
        return clock.Elapsed;
    }

    internal static void Ccw(RemoteDevice device, byte command, int count, byte[] buffer, int sequence)
    {
        device.StartChannelProgram();
        device.Execute(new CcwRequest(command, CcwFlags.None, CcwFlags.None, count, 0, sequence), buffer);
        device.EndChannelProgram();
    }
}
