using System.Diagnostics;
using System.Globalization;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using ChannelTape.Runtime;
using ChannelTape.Text;

namespace ChannelTape.Bench;

/// <summary>
/// Mount latency from Load Display to device end (issue 4, "Benchmark"), in process: a 3490
/// drive runtime in a <see cref="LibraryManager"/> over a SQLite catalog with many volumes (pool SCRATCH,
/// plus a small pool REUSE of scratch volumes whose images exist); the runtime's inline executor runs the
/// library's posted work right after the CCW, as the server's drive executor does. The clock starts before the Load Display CCW and stops when the
/// drive raises unsolicited device end (volume ready). Every mount is followed by a Rewind Unload
/// (not timed). A console measurement rather than BenchmarkDotNet: each mount changes the catalog
/// and the volumes directory, so iterations are not repeatable the way BenchmarkDotNet wants.
/// <c>dotnet run -c Release --project bench/ChannelTape.Bench -- mount-latency [VOLUMES] [CYCLES] [--postgres CONNECTION]</c>:
/// with <c>--postgres</c> (an Npgsql connection string of a role that may create databases) the catalog is a
/// <see cref="PostgresCatalog"/> in a fresh database on that server, registered as one server of a shared
/// library; the images stay in the local folder (no store), so the difference to SQLite is the catalog's.
/// </summary>
public static class MountLatency
{
    private const int WarmupCycles = 100;

    public static int Run(string[] args)
    {
        string? postgres = null;
        int option = Array.IndexOf(args, "--postgres");
        if (option >= 0)
        {
            if (option + 1 >= args.Length)
            {
                Console.Error.WriteLine("usage: mount-latency [VOLUMES] [CYCLES] [--postgres CONNECTION]");
                return 2;
            }

            postgres = args[option + 1];
            args = [.. args[..option], .. args[(option + 2)..]];
        }

        int volumes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        int cycles = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
        if (volumes is < 1 or > 1_000_000 || cycles < 1 || 2 * (cycles + WarmupCycles) > volumes)
        {
            Console.Error.WriteLine("usage: mount-latency [VOLUMES 1-1000000] [CYCLES], with 2 x (CYCLES + 100) <= VOLUMES");
            return 2;
        }

        var root = Directory.CreateTempSubdirectory("ctape-mount-bench-").FullName;
        try
        {
            return Measure(root, volumes, cycles, postgres);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static int Measure(string root, int volumes, int cycles, string? postgres)
    {
        var last = $"T{volumes - 1:D5}";
        var parsed = ConfigurationParser.ParseText($$"""
            storage { root "{{root}}"; format aws; }
            drive 0580 { model 3490; media 3490E; pool SCRATCH; }
            drive 0581 { model 3490; media 3490E; pool REUSE; }
            pool SCRATCH { volumes T00000-{{last}}; media 3490E; capacity 800M; labels SL; scratch; }
            pool REUSE { volumes R00000-R{{cycles + WarmupCycles - 1:D5}}; media 3490E; capacity 800M; labels SL; scratch; }
            """, "bench.conf", root);
        if (parsed.Errors.Count > 0)
        {
            Console.Error.WriteLine(string.Join('\n', parsed.Errors));
            return 1;
        }

        var configuration = parsed.Configuration!;
        LibraryCatalog catalog;
        if (postgres is null)
        {
            catalog = LibraryCatalog.Open(root);
        }
        else
        {
            var shared = PostgresCatalog.Open(NewDatabase(postgres), root, "bench");
            shared.RegisterServer(TimeSpan.FromHours(1));
            catalog = shared;
        }

        Console.WriteLine($"catalog: {catalog.Description}");
        var sync = Stopwatch.StartNew();
        catalog.SyncFromConfiguration(configuration);
        sync.Stop();

        using var drive = DriveRuntime.Standalone(TapeModel.Ibm3490, 0x0580);
        using var reuseDrive = DriveRuntime.Standalone(TapeModel.Ibm3490, 0x0581);
        _ = new LibraryManager(new LibraryView(configuration, catalog, [drive, reuseDrive]), new CatalogVolumeResolver(catalog, configuration));
        var host = new ImmediateHost(drive);
        var reuseHost = new ImmediateHost(reuseDrive);

        // Specific mounts take serials from the top of the range in random order; scratch mounts
        // take the least recently mounted (never mounted: from T00000 up), so the two never meet.
        var random = new Random(4490);
        var specific = Enumerable.Range(volumes / 2, volumes - volumes / 2).OrderBy(_ => random.Next()).Take(cycles + WarmupCycles)
            .Select(n => $"T{n:D5}").ToArray();

        // Pool REUSE: every volume mounted once by serial (image created), unloaded unwritten, so
        // it is scratch again and its image exists.
        for (int n = 0; n < cycles + WarmupCycles; n++)
        {
            reuseHost.TimeMount($"MR{n:D5}S");
            reuseHost.RewindUnload();
        }

        Console.WriteLine($"catalog: {volumes + cycles + WarmupCycles} volumes ({sync.Elapsed.TotalSeconds:0.0} s to add), {cycles} timed mounts per case after {WarmupCycles} warm-up mounts");
        Console.WriteLine();
        Console.WriteLine("| Case | Mounts | p50 | p99 | mean | max |");
        Console.WriteLine("|------|-------:|----:|----:|-----:|----:|");
        Report("specific volser, first mount (image created and labelled)", Series(host, specific.Select(s => $"M{s}S"), cycles));
        Report("specific volser, image exists", Series(host, specific.OrderBy(_ => random.Next()).Select(s => $"M{s}S"), cycles));
        Report("SCRTCH (scratch allocation; first mount of the volume)", Series(host, Enumerable.Repeat("MSCRTCHS", cycles + WarmupCycles), cycles));
        Report("SCRTCH, volume used before (image exists)", Series(reuseHost, Enumerable.Repeat("MSCRTCHS", cycles + WarmupCycles), cycles));

        // Server start: the first reconcile rescans every image whose size the catalog has not
        // recorded yet (volumes only labelled at their first mount); the second finds nothing.
        Console.WriteLine();
        for (int run = 1; run <= 2; run++)
        {
            var clock = Stopwatch.StartNew();
            var result = LibraryRecovery.Reconcile(catalog, configuration);
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"reconcile {run}: {clock.Elapsed.TotalSeconds:0.00} s for {volumes + cycles + WarmupCycles} volumes, {result.Rescanned.Count} images rescanned"));
        }

        return 0;
    }

    /// <summary>A fresh database on the server of <paramref name="admin"/>; its connection string.</summary>
    internal static string NewDatabase(string admin)
    {
        var name = "ctape_bench_" + Guid.NewGuid().ToString("N")[..12];
        using (var connection = new Npgsql.NpgsqlConnection(admin))
        {
            connection.Open();
            using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE {name}", connection);
            create.ExecuteNonQuery();
        }

        Console.WriteLine($"database {name} created (drop it when done)");
        return new Npgsql.NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    private static double[] Series(ImmediateHost host, IEnumerable<string> messages, int cycles)
    {
        var times = new List<double>(cycles + WarmupCycles);
        foreach (var message in messages)
        {
            times.Add(host.TimeMount(message));
            host.RewindUnload();
        }

        return times.Skip(WarmupCycles).Take(cycles).ToArray();
    }

    private static void Report(string name, double[] microseconds)
    {
        Array.Sort(microseconds);
        double Percentile(double p) => microseconds[Math.Min(microseconds.Length - 1, (int)Math.Ceiling(p * microseconds.Length) - 1)];
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"| {name} | {microseconds.Length} | {Percentile(0.50) / 1000:0.00} ms | {Percentile(0.99) / 1000:0.00} ms | {microseconds.Average() / 1000:0.00} ms | {microseconds[^1] / 1000:0.00} ms |"));
    }

    /// <summary>Single-CCW channel programs on one drive, through its runtime: the library's posted work runs right after each CCW.</summary>
    private sealed class ImmediateHost
    {
        private readonly IChannelDevice _device;
        private long _deviceEndAt;

        public ImmediateHost(DriveRuntime drive)
        {
            _device = drive.ChannelDevice;
            drive.UnsolicitedStatus += (_, status) =>
            {
                if ((status & UnitStatus.DeviceEnd) != 0)
                {
                    _deviceEndAt = Stopwatch.GetTimestamp();
                }
            };
        }

        /// <summary>Microseconds from the start of the Load Display CCW to the unsolicited device end.</summary>
        public double TimeMount(string message)
        {
            var data = new byte[17];
            data[0] = 0x48; // display the first message until the volume is loaded
            Ebcdic.EncodePadded(message, data.AsSpan(1, 8));
            Ebcdic.EncodePadded(message, data.AsSpan(9, 8));
            _deviceEndAt = 0;
            long start = Stopwatch.GetTimestamp();
            Run(0x9F, data);
            if (_deviceEndAt == 0)
            {
                throw new InvalidOperationException($"'{message}' was not mounted: no device end");
            }

            return Stopwatch.GetElapsedTime(start, _deviceEndAt).TotalMicroseconds;
        }

        public void RewindUnload() => Run(0x0F, new byte[1]);

        private void Run(byte command, byte[] data)
        {
            _device.StartChannelProgram();
            _device.Execute(new CcwRequest(command, CcwFlags.None, CcwFlags.None, data.Length, 0, 0), data);
            _device.EndChannelProgram();
        }
    }
}
