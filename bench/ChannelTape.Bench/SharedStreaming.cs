using System.Diagnostics;
using System.Globalization;
using System.Net;
using ChannelTape.Channel;
using ChannelTape.Client;
using ChannelTape.Hosting;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;

namespace ChannelTape.Bench;

/// <summary>
/// Issue 12: DRIVES drives streaming at once through two servers that share one library (a PostgreSQL catalog
/// and an S3 store), half the drives on each, composed as <c>ctape serve</c> composes them. Every drive mounts a
/// scratch volume by Load Display (the allocation races across the servers), writes BLOCKS blocks in one channel
/// program, rewinds and reads them back; then every volume is unloaded, and the demount is timed until the catalog
/// shows no volume mounted: each server uploads its changed images to the store before the mount ends.
/// <c>dotnet run -c Release --project bench/ChannelTape.Bench -- shared-streaming POSTGRES S3ENDPOINT [DRIVES] [BLOCKS] [BLOCKSIZE]</c>
/// (POSTGRES: an Npgsql connection string of a role that may create databases; S3 credentials from the environment).
/// </summary>
public static class SharedStreaming
{
    public static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: shared-streaming POSTGRES S3ENDPOINT [DRIVES] [BLOCKS] [BLOCKSIZE]");
            return 2;
        }

        int drives = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 8;
        int blocks = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 2000;
        int size = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 32760;
        if (drives < 2 || drives % 2 != 0)
        {
            Console.Error.WriteLine("shared-streaming: DRIVES must be even (half on each server)");
            return 2;
        }

        string database = MountLatency.NewDatabase(args[0]);
        string bucket = "ctape-bench-" + Guid.NewGuid().ToString("N")[..16];
        string root = Directory.CreateTempSubdirectory("ctape-shared-stream-").FullName;
        var hosts = new List<LibraryHost>();
        try
        {
            foreach (var name in new[] { "a", "b" })
            {
                var result = ConfigurationParser.ParseText($$"""
                    storage {
                        root "{{Path.Combine(root, name)}}"; format aws;
                        catalog "{{database}}"; store "s3://{{bucket}}/bench"; s3-endpoint "{{args[1]}}"; server "{{name}}";
                    }
                    drive 0580-{{0x0580 + drives / 2 - 1:X4}} { model 3490; media 3490E; pool SCRATCH; }
                    pool SCRATCH { volumes T00000-T00099; media 3490E; capacity 4G; labels SL; scratch; }
                    """, name + ".conf", root);
                var configuration = (result.Configuration ?? throw new InvalidOperationException(string.Join('\n', result.Errors))) with
                {
                    Listen = new IPEndPoint(IPAddress.Loopback, 0),
                    Management = result.Configuration.Management with { Http = null },
                };
                if (!LibraryHost.TryBuild(configuration, new LibraryHostOptions(), out var host, out string? error))
                {
                    throw new InvalidOperationException(error);
                }

                host.Start();
                hosts.Add(host);
            }

            var devices = hosts.SelectMany(host => Enumerable.Range(0, drives / 2)
                    .Select(i => RemoteDevice.Connect("127.0.0.1", host.Server.LocalEndPoint.Port, (ushort)(0x0580 + i), new RemoteDeviceOptions { Reconnect = false })))
                .ToList();
            var mount = Stopwatch.StartNew();
            Parallel.ForEach(devices, device => new Admin.Lms.DriveSession(device).Mount("SCRTCH", TimeSpan.FromSeconds(60)));
            mount.Stop();

            var write = Time(devices, blocks, size, 0x01);
            Parallel.ForEach(devices, d => Ccw(d, 0x07, 1, new byte[1], 0)); // Rewind
            var read = Time(devices, blocks, size, 0x02);

            var demount = Stopwatch.StartNew();
            Parallel.ForEach(devices, d => Ccw(d, 0x0F, 1, new byte[1], 0)); // Rewind Unload: each server uploads its images
            var catalog = hosts[0].Catalog;
            while (catalog.CountByPool().Sum(p => p.Mounted) > 0)
            {
                if (demount.Elapsed > TimeSpan.FromMinutes(10))
                {
                    throw new TimeoutException("the volumes were not uploaded within 10 minutes");
                }

                Thread.Sleep(20);
            }

            demount.Stop();
            double bytes = (double)drives * blocks * size;
            Console.WriteLine($"two servers, {drives} drives ({drives / 2} on each), {blocks} blocks of {size} bytes per drive, catalog {catalog.Description}, store {args[1]}");
            Console.WriteLine();
            Console.WriteLine("| drives | block | blocks per drive | scratch mounts, s (all) | write MB/s (all) | read MB/s (all) | demount with upload, s (all) | upload MB/s (all) |");
            Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {drives} | {size} | {blocks} | {mount.Elapsed.TotalSeconds:F2} | {bytes / write.TotalSeconds / 1e6:F1} | {bytes / read.TotalSeconds / 1e6:F1} | {demount.Elapsed.TotalSeconds:F2} | {bytes / demount.Elapsed.TotalSeconds / 1e6:F1} |"));
            foreach (var device in devices)
            {
                device.Dispose();
            }

            return 0;
        }
        finally
        {
            foreach (var host in hosts)
            {
                host.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            Directory.Delete(root, recursive: true);
        }
    }

    // The timed programs are StreamingDrives' (one server), so the two benchmarks measure the same thing.
    private static TimeSpan Time(List<RemoteDevice> devices, int blocks, int size, byte command) => StreamingDrives.Time(devices, blocks, size, command);

    private static void Ccw(RemoteDevice device, byte command, int count, byte[] buffer, int sequence) => StreamingDrives.Ccw(device, command, count, buffer, sequence);
}
