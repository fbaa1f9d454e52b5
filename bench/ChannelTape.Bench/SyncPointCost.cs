using System.Diagnostics;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Media;

namespace ChannelTape.Bench;

/// <summary>
/// <c>-- sync-points [DIRECTORY]</c>: what the sync points of docs/config.md <c>sync</c> cost (issue 13,
/// item 6). Writes data sets of 100 blocks of 32 KiB, each closed by a tape mark, to an AWS image on
/// DIRECTORY's file system (default the system's temporary folder) with <c>sync none</c> and with
/// <c>sync tape-mark</c>, and ends and starts 200 catalog mounts with and without full synchronisation.
/// </summary>
public static class SyncPointCost
{
    private const int DataSets = 200;
    private const int BlocksPerDataSet = 100;
    private const int BlockSize = 32 * 1024;

    public static int Run(string[] args)
    {
        var directory = args.Length > 0
            ? Directory.CreateDirectory(Path.Combine(args[0], $"ctape-sync-{Guid.NewGuid():N}")).FullName
            : Directory.CreateTempSubdirectory("ctape-sync-").FullName;
        try
        {
            foreach (var points in new[] { SyncPoints.None, SyncPoints.Close, SyncPoints.TapeMark | SyncPoints.Close })
            {
                var (seconds, syncs) = WriteDataSets(Path.Combine(directory, $"{(int)points}.aws"), points);
                var megabytes = (double)DataSets * BlocksPerDataSet * BlockSize / (1 << 20);
                Console.WriteLine($"sync {Name(points),-9}: {DataSets} data sets of {BlocksPerDataSet} x 32 KiB in {seconds:0.000} s = {megabytes / seconds,7:0} MiB/s, "
                    + $"{seconds * 1000 / DataSets:0.00} ms per data set, {syncs} fsyncs");
            }

            foreach (var durable in new[] { false, true })
            {
                var seconds = MountCycles(Path.Combine(directory, durable ? "durable" : "normal"), durable);
                Console.WriteLine($"catalog unload commit {(durable ? "FULL  " : "NORMAL")}: {seconds * 1000 / 200:0.000} ms per mount and unload");
            }

            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Name(SyncPoints points) => points switch
    {
        SyncPoints.None => "none",
        SyncPoints.Close => "unload",
        _ => "tape-mark",
    };

    private static (double Seconds, int Syncs) WriteDataSets(string path, SyncPoints points)
    {
        if (!TapeImage.TryCreate(path, TapeImageFormat.Aws, new TapeImageOptions(), out var created, out var error))
        {
            throw new InvalidOperationException(error);
        }

        var media = new SynchronizingMedia(created, points);
        var block = new byte[BlockSize];
        Random.Shared.NextBytes(block);
        var clock = Stopwatch.StartNew();
        for (var d = 0; d < DataSets; d++)
        {
            for (var b = 0; b < BlocksPerDataSet; b++)
            {
                media.Write(block);
            }

            media.WriteTapeMark();
        }

        var syncs = media.Synchronizations;
        media.Dispose();
        return (clock.Elapsed.TotalSeconds, syncs + ((points & SyncPoints.Close) != 0 ? 1 : 0));
    }

    private static double MountCycles(string root, bool durable)
    {
        var configuration = ConfigurationParser.ParseText("drive 0580;\npool SCRATCH { volumes S00001; }", "sync.conf", root).Configuration!;
        var catalog = LibraryCatalog.Open(root);
        catalog.SyncFromConfiguration(configuration);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 200; i++)
        {
            var start = catalog.BeginMount(VolumeSerial.Parse("S00001"), 0x0580);
            catalog.EndMount(start.MountId, durable);
        }

        return clock.Elapsed.TotalSeconds;
    }
}
