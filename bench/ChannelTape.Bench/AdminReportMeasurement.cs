using System.Diagnostics;
using System.Globalization;
using ChannelTape.Admin.Lms;
using ChannelTape.Admin.Reports;
using ChannelTape.Admin.Volumes;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using ChannelTape.Hosting;
using ChannelTape.Library;
using ChannelTape.Runtime.Events;

namespace ChannelTape.Bench;

/// <summary>
/// Issue 5's proof that the volumes report streams: a catalog of N volumes (bulk insert, not
/// timed), then the time to produce the <c>#VOLS</c> volume (Load Display to device end: the
/// whole report written from SQLite into its AWS image) and to read it back through CCWs with the
/// library management client (labels verified, every record parsed into a typed row, none kept),
/// with the process's peak working set and the largest managed heap seen.
/// <c>dotnet run -c Release --project bench/ChannelTape.Bench -- admin-volumes 1000000</c>
/// (one count per process, so the peak working set belongs to that count).
/// </summary>
public static class AdminReportMeasurement
{
    public static int Run(IReadOnlyList<string> arguments)
    {
        if (arguments.Count != 1 || !int.TryParse(arguments[0], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count is < 1 or > 1_000_000)
        {
            Console.Error.WriteLine("usage: admin-volumes COUNT   (1-1000000 volumes)");
            return 2;
        }

        string root = Directory.CreateTempSubdirectory("ctape-bench-admin-").FullName;
        try
        {
            Measure(root, count);
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(root, recursive: true);
        }
    }

    private static void Measure(string root, int count)
    {
        var parsed = ConfigurationParser.ParseText($$"""
            storage { root "{{root}}"; format aws; }
            drive 0580 { model 3490; media 3490E; pool BULK; }
            pool BULK { media 3490E; capacity 800M; labels SL; scratch; }
            """, "bench.conf", root);
        var configuration = parsed.Configuration ?? throw new InvalidOperationException(string.Join("; ", parsed.Errors));
        var catalog = LibraryCatalog.Open(root);
        catalog.SyncFromConfiguration(configuration);

        var load = Stopwatch.StartNew();
        VolumeRange.TryCreate(VolumeSerial.Parse("000000"), VolumeSerial.Parse((count - 1).ToString("D6", CultureInfo.InvariantCulture)), out var range, out _);
        catalog.AddVolumes([range!], new NewVolumes("BULK", MediaType.Eccst, 800L << 20, LabelType.Standard, Scratch: true, ImageFileKind.Aws));
        load.Stop();

        // The server's own composition root, its drive running on this thread.
        var events = new TapeEventHub();
        if (!LibraryHost.TryBuild(configuration, new LibraryHostOptions { Execution = DriveExecution.Inline }, out var host, out var error, events))
        {
            throw new InvalidOperationException(error);
        }

        Action? mountCompleted = null;
        events.Subscribe(e =>
        {
            if (e is VolumeMounted)
            {
                mountCompleted?.Invoke();
                mountCompleted = null;
            }
        });
        var client = new LibraryManagementClient(host.Drive(0x0580).ChannelDevice, "#", TimeSpan.FromMinutes(5));

        // Warm up (JIT, SQLite statement cache) on a small report, then measure from a clean heap.
        client.Read<VolumeStatusRow>(AdminVolumeKind.Volumes, "0000", _ => { });
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        long heapPeak = 0;

        using var self = Process.GetCurrentProcess();
        TimeSpan cpuStart = self.TotalProcessorTime, cpuProduced = TimeSpan.Zero;
        var produce = Stopwatch.StartNew();
        var read = new Stopwatch();
        mountCompleted = () =>
        {
            produce.Stop();
            self.Refresh();
            cpuProduced = self.TotalProcessorTime;
            read.Start();
        };
        long rows = 0;
        long usedSum = 0;
        client.Read<VolumeStatusRow>(AdminVolumeKind.Volumes, "", row =>
        {
            rows++;
            usedSum += row.Capacity;
            if (rows % 1000 == 0)
            {
                heapPeak = Math.Max(heapPeak, GC.GetTotalMemory(forceFullCollection: false));
            }
        });
        read.Stop();
        self.Refresh();
        TimeSpan cpuEnd = self.TotalProcessorTime;
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var memory = GC.GetGCMemoryInfo();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        if (rows != count || usedSum != count * (800L << 20))
        {
            throw new InvalidOperationException($"read {rows} rows, expected {count}");
        }

        string image = Path.Combine(root, "admin", "_HVOLS.aws");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"volumes={count} insert={load.Elapsed.TotalSeconds:0.00}s produce={produce.Elapsed.TotalSeconds:0.000}s read={read.Elapsed.TotalSeconds:0.000}s " +
            $"total={(produce.Elapsed + read.Elapsed).TotalSeconds:0.000}s cpu produce={(cpuProduced - cpuStart).TotalSeconds:0.000}s cpu read={(cpuEnd - cpuProduced).TotalSeconds:0.000}s image={new FileInfo(image).Length / 1e6:0.0}MB " +
            $"peakWorkingSet={process.PeakWorkingSet64 / 1e6:0.0}MB managedHeapPeak={heapPeak / 1e6:0.0}MB " +
            $"gcHeapAfter={memory.HeapSizeBytes / 1e6:0.0}MB allocated={allocated / 1e6:0.0}MB gen0={GC.CollectionCount(0)} gen2={GC.CollectionCount(2)}"));
        host.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
