using System.Diagnostics;
using System.Globalization;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.S3.Transfer;
using ChannelTape.Library.Store;

namespace ChannelTape.Bench;

/// <summary>
/// Recall and upload throughput of <see cref="S3VolumeStore"/> (what a demount and a recall do: multipart
/// upload of 16 MiB parts with an MD5 each, four at a time, plus the SHA-256 of the whole image; ranged GETs
/// of 16 MiB four at a time, written in place, then the SHA-256 checked) against the raw AWSSDK.S3 client on
/// the same store, bucket and file: one PutObject / GetObject streamed from / to the file, and the SDK's
/// <see cref="TransferUtility"/> (its own parallel multipart upload and download). Each case runs RUNS times
/// in rotating order; the medians are printed.
/// <c>dotnet run -c Release --project bench/ChannelTape.Bench -- store-throughput ENDPOINT [MIB] [RUNS]</c>
/// (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, as for <c>ctape serve</c>).
/// </summary>
public static class StoreThroughput
{
    public static int Run(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: store-throughput ENDPOINT [MIB] [RUNS]");
            return 2;
        }

        string endpoint = args[0];
        int mib = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 256;
        int runs = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        var root = Directory.CreateTempSubdirectory("ctape-store-bench-").FullName;
        var bucket = "ctape-bench-" + Guid.NewGuid().ToString("N")[..16];
        using var store = new S3VolumeStore(new ChannelTape.Library.Store.S3Location(bucket, "bench/"), endpoint);
        try
        {
            store.EnsureBucket();
            var source = Path.Combine(root, "source.aws");
            WriteImage(source, (long)mib << 20);
            long size = new FileInfo(source).Length;
            var cases = new (string Name, Func<int, Task> Run)[]
            {
                ("S3VolumeStore.Upload (ctape: multipart 16 MiB x4, MD5 per part, SHA-256)", n => Task.Run(() => store.Upload($"bench/ctape-{n}.aws", source))),
                ("raw PutObject (one request, streamed from the file)", n => store.Client.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = $"bench/put-{n}.aws", FilePath = source })),
                ("raw TransferUtility.Upload (SDK multipart)", n => new TransferUtility(store.Client).UploadAsync(source, bucket, $"bench/transfer-{n}.aws")),
            };
            // (the uploaded objects are deleted after each timed run: a test gateway's memstore holds 4 GiB)
            var uploads = Measure(cases, runs, () => EmptyBucket(store, bucket, removeBucket: false));

            // Recalls: every case reads the same object (uploaded by ctape, so its SHA-256 is known).
            var (_, storedSize, sha) = store.Upload("bench/recall.aws", source);
            var recalled = Path.Combine(root, "recalled.aws");
            var recalls = Measure(
            [
                ("S3VolumeStore.Download (ctape: ranged 16 MiB x4, SHA-256 checked)", _ => Task.Run(() => store.Download("bench/recall.aws", storedSize, sha, recalled))),
                ("raw GetObject (one request, streamed to the file)", async _ =>
                {
                    using var response = await store.Client.GetObjectAsync(bucket, "bench/recall.aws");
                    await using var file = new FileStream(recalled, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, FileOptions.Asynchronous);
                    await response.ResponseStream.CopyToAsync(file, 1 << 20);
                }),
                ("raw TransferUtility.Download (SDK)", _ => new TransferUtility(store.Client).DownloadAsync(new TransferUtilityDownloadRequest { BucketName = bucket, Key = "bench/recall.aws", FilePath = recalled })),
            ], runs, () => { });

            Console.WriteLine($"store {endpoint}, object of {size / (1 << 20)} MiB ({size} bytes), {runs} runs per case, median (min-max) MiB/s");
            Console.WriteLine();
            Console.WriteLine("| operation | median MiB/s | min-max MiB/s |");
            Console.WriteLine("|---|---:|---:|");
            foreach (var (name, seconds) in uploads.Concat(recalls))
            {
                Array.Sort(seconds);
                string Rate(double s) => (size / (double)(1 << 20) / s).ToString("0", CultureInfo.InvariantCulture);
                Console.WriteLine($"| {name} | {Rate(seconds[seconds.Length / 2])} | {Rate(seconds[^1])}-{Rate(seconds[0])} |");
            }

            return 0;
        }
        finally
        {
            EmptyBucket(store, bucket, removeBucket: true);
            Directory.Delete(root, recursive: true);
        }
    }

    private static List<(string Name, double[] Seconds)> Measure((string Name, Func<int, Task> Run)[] cases, int runs, Action after)
    {
        var times = cases.Select(_ => new List<double>()).ToArray();
        // One untimed pass (connections, JIT), then RUNS rounds with the order rotated.
        for (int c = 0; c < cases.Length; c++)
        {
            cases[c].Run(-1 - c).GetAwaiter().GetResult();
            after();
        }

        for (int round = 0; round < runs; round++)
        {
            for (int k = 0; k < cases.Length; k++)
            {
                int c = (k + round) % cases.Length;
                var clock = Stopwatch.StartNew();
                cases[c].Run(round).GetAwaiter().GetResult();
                times[c].Add(clock.Elapsed.TotalSeconds);
                after();
            }
        }

        return [.. cases.Select((c, i) => (c.Name, times[i].ToArray()))];
    }

    /// <summary>An image-sized file of random bytes (incompressible, as a volume of compressed data is).</summary>
    private static void WriteImage(string path, long size)
    {
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
        var buffer = new byte[1 << 20];
        for (long written = 0; written < size; written += buffer.Length)
        {
            Random.Shared.NextBytes(buffer);
            file.Write(buffer, 0, (int)Math.Min(buffer.Length, size - written));
        }
    }

    private static void EmptyBucket(S3VolumeStore store, string bucket, bool removeBucket)
    {
        try
        {
            var listed = store.Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket }).GetAwaiter().GetResult();
            foreach (var item in listed.S3Objects ?? [])
            {
                store.Client.DeleteObjectAsync(bucket, item.Key).GetAwaiter().GetResult();
            }

            if (removeBucket)
            {
                store.Client.DeleteBucketAsync(bucket).GetAwaiter().GetResult();
            }
        }
        catch (AmazonS3Exception e)
        {
            Console.Error.WriteLine($"bucket {bucket} not removed: {e.Message}");
        }
    }
}
