using System.Diagnostics.Metrics;
using ChannelTape.Library.Catalog;
using ChannelTape.Server;
using ChannelTape.Runtime;

namespace ChannelTape.Management.Metrics;

/// <summary>
/// The server's metrics as System.Diagnostics.Metrics instruments on the <c>ChannelTape</c> meter
/// (docs/operations.md, "Metrics", lists every series). Nearly all are observable: they read, when
/// collected, the counters the drives already keep (<c>TapeDrive.Counters</c>, the server's streaming
/// totals, the monitor's event counts), so a CCW pays nothing for them. The one histogram, mount latency,
/// is recorded once per mount. The catalog is asked once per collection (per-pool volumes, capacity).
/// </summary>
public sealed class TapeMetrics : IDisposable
{
    public const string MeterName = "ChannelTape";

    /// <summary>Mount latency buckets, seconds: a mount opens (or creates and labels) an image and writes the catalog.</summary>
    public static readonly double[] MountDurationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly ManagedLibrary _library;
    private readonly OperationsMonitor _monitor;
    private readonly Histogram<double> _mountDuration;
    private readonly Lock _poolLock = new();
    private IReadOnlyList<PoolUsage> _pools = [];
    private long? _poolsReadAt;

    public TapeMetrics(ManagedLibrary library, OperationsMonitor monitor)
    {
        _library = library;
        _monitor = monitor;
        Meter = new Meter(MeterName, typeof(TapeMetrics).Assembly.GetName().Version?.ToString(3));

        // ---- per drive
        DriveCounter("ctape.drive.ccws", "{ccw}", "CCWs the drive executed (data-chained continuations included).", d => d.Drive.Counters.Ccws);
        DriveCounter("ctape.drive.read.blocks", "{block}", "Data blocks read (Read, Read Backward; tape marks not counted).", d => d.Drive.Counters.BlocksRead);
        DriveCounter("ctape.drive.read.bytes", "By", "Bytes of the data blocks read.", d => d.Drive.Counters.BytesRead);
        DriveCounter("ctape.drive.write.blocks", "{block}", "Data blocks written.", d => d.Drive.Counters.BlocksWritten);
        DriveCounter("ctape.drive.write.bytes", "By", "Bytes of the data blocks written.", d => d.Drive.Counters.BytesWritten);
        DriveCounter("ctape.drive.tape_marks.written", "{mark}", "Tape marks written.", d => d.Drive.Counters.TapeMarksWritten);
        DriveCounter("ctape.drive.unit_checks", "{ccw}", "CCWs that ended with unit check.", d => d.Drive.Counters.UnitChecks);
        DriveCounter("ctape.drive.mounts", "{mount}", "Volumes mounted (library, operator or image path).", d => d.Drive.Counters.Mounts);
        DriveCounter("ctape.drive.mount_refusals", "{mount}", "Mounts refused (no such volume, volume busy, no scratch volume ...).", d => _monitor.MountRefusalsOn(d.DeviceNumber));
        DriveCounter("ctape.drive.write_behind.blocks", "{block}", "Blocks written behind (protocol §5.1 BufferedCcw).", d => Streaming(d).BufferedWrites);
        DriveCounter("ctape.drive.read_ahead.blocks", "{block}", "Blocks sent ahead of the host's Reads (protocol §5.2), inline or by reference.", d => Streaming(d).ReadAheadSent);
        DriveCounter("ctape.drive.read_ahead.referred.blocks", "{block}", "Of the blocks read ahead, those sent by reference to the image (§5.3).", d => Streaming(d).ReadAheadReferred);
        DriveCounter("ctape.drive.read_ahead.returned.blocks", "{block}", "Blocks read ahead that the host gave back unused (ReadAheadEnd).", d => Streaming(d).ReadAheadReturned);
        DriveGauge("ctape.drive.loaded", "A volume is on the drive (1) or not (0).", d => d.Drive.IsLoaded ? 1 : 0);
        DriveGauge("ctape.drive.attached", "A host holds the drive (1) or not (0).", d => d.Holder is null ? 0 : 1);
        DriveGauge("ctape.drive.mount_pending", "The drive waits for a mount request the library could not satisfy yet (1) or not (0).", d => d.Volume.PendingRequest is null ? 0 : 1);
        _mountDuration = Meter.CreateHistogram("ctape.mount.duration", "s",
            "Library mount latency: from the mount request (Load Display, operator) to the volume ready on the drive.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = MountDurationBuckets });
        monitor.MountTimed += OnMountTimed;

        // ---- library
        Meter.CreateObservableGauge("ctape.library.volumes", () => PoolMeasurements(p =>
            [(p.Scratch, "scratch"), (p.Private, "private"), (p.Mounted, "mounted")]), "{volume}", "Volumes in the catalog by pool and status.");
        Meter.CreateObservableGauge("ctape.library.scratch.volumes", () => Pools().Select(p => Measure(p.Scratch, ("pool", p.Pool))),
            "{volume}", "Scratch volumes left in the pool (what SCRTCH/PRIVAT mounts take).");
        Meter.CreateObservableGauge("ctape.library.capacity.bytes", () => Pools().Select(p => Measure(p.Capacity, ("pool", p.Pool))),
            "By", "Capacity of the pool's volumes, summed.");
        Meter.CreateObservableGauge("ctape.library.used.bytes", () => Pools().Select(p => Measure(p.BytesUsed, ("pool", p.Pool))),
            "By", "Bytes used on the pool's volumes, summed.");

        // ---- server
        Meter.CreateObservableGauge("ctape.server.connections", () => (long)_library.Server.ConnectionCount, "{connection}", "Host connections open now.");
        Meter.CreateObservableCounter("ctape.server.connections.accepted", () => _monitor.ConnectionsAccepted, "{connection}", "Host connections accepted.");
        Meter.CreateObservableCounter("ctape.server.connections.refused", () => _monitor.ConnectionsRefused, "{connection}",
            "Host connections closed at once because the connection limit was reached.");
        Meter.CreateObservableCounter("ctape.server.protocol_errors", () => _monitor.ProtocolErrors, "{connection}",
            "Connections closed because the host broke the protocol (an Error frame was sent).");
        Meter.CreateObservableGauge("ctape.server.uptime", () => _library.Statistics.Uptime.TotalSeconds, "s", "Seconds since the server started.");
    }

    public Meter Meter { get; }

    public void Dispose()
    {
        _monitor.MountTimed -= OnMountTimed;
        Meter.Dispose();
    }

    private void OnMountTimed(ushort device, double seconds) =>
        _mountDuration.Record(seconds, new KeyValuePair<string, object?>("drive", $"{device:X4}"));

    private StreamingCounts Streaming(DriveRuntime drive) => _library.Server.StreamingTotals(drive.DeviceNumber);

    private void DriveCounter(string name, string unit, string description, Func<DriveRuntime, long> read) =>
        Meter.CreateObservableCounter(name, () => _library.View.Drives.Select(d => Measure(read(d), ("drive", $"{d.DeviceNumber:X4}"))), unit, description);

    private void DriveGauge(string name, string description, Func<DriveRuntime, long> read) =>
        Meter.CreateObservableGauge(name, () => _library.View.Drives.Select(d => Measure(read(d), ("drive", $"{d.DeviceNumber:X4}"))), "1", description);

    private IEnumerable<Measurement<long>> PoolMeasurements(Func<PoolUsage, (long Value, string Status)[]> split) =>
        Pools().SelectMany(p => split(p).Select(s => Measure(s.Value, ("pool", p.Pool), ("status", s.Status))));

    /// <summary>The catalog's per-pool totals, read at most once a second (one collection asks four gauges).</summary>
    private IReadOnlyList<PoolUsage> Pools()
    {
        lock (_poolLock)
        {
            var now = Environment.TickCount64;
            if (_poolsReadAt is not { } readAt || now - readAt >= 1000)
            {
                try
                {
                    _pools = _library.Catalog.PoolUsage("");
                }
                catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or InvalidDataException)
                {
                    // A catalog that cannot be read now (locked, damaged) leaves the last totals; the log says why elsewhere.
                }

                _poolsReadAt = now;
            }

            return _pools;
        }
    }

    private static Measurement<long> Measure(long value, params (string Key, string Value)[] tags) =>
        new(value, tags.Select(t => new KeyValuePair<string, object?>(t.Key, t.Value)));
}
