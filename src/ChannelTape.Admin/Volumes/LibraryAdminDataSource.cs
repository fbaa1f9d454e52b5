using System.Globalization;
using ChannelTape.Admin.Reports;
using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using ChannelTape.Library;
using ChannelTape.Media;

namespace ChannelTape.Admin.Volumes;

/// <summary>
/// The live state of a ChannelTape server as the administrative reports show it: the catalog
/// (volumes, scratch, pools, mount history, streamed from SQLite), the library's view of each
/// drive (<see cref="LibraryView"/>), the drives themselves (position, counters, display, fence), the
/// configuration and the server's event journal.
/// </summary>
/// <remarks>
/// A report is built on the requesting drive's thread while other drives run their own CCWs, so
/// a row of another drive is a snapshot taken field by field (each read is atomic; a drive that
/// moves meanwhile shows its position of a moment ago, as an operator's panel would).
/// </remarks>
public sealed class LibraryAdminDataSource : IAdminDataSource
{
    private readonly LibraryView _view;
    private readonly LibraryConfiguration _configuration;
    private readonly LibraryCatalog _catalog;
    private readonly ServerStatistics _statistics;
    private readonly TimeProvider _time;

    /// <param name="view">The library: configuration (CONFIG report, pool attributes, mount history length), catalog and drives.</param>
    /// <param name="statistics">The server's journal and totals.</param>
    /// <param name="time">Clock (tests pass a fake one).</param>
    public LibraryAdminDataSource(LibraryView view, ServerStatistics statistics, TimeProvider? time = null)
    {
        _view = view;
        _configuration = view.Configuration;
        _catalog = view.Catalog;
        _statistics = statistics;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Mount history rows the MOUNTS report shows at most (the catalog keeps <c>limits mount-history</c>).</summary>
    public int MountReportLimit => Math.Max(1, _configuration.Limits.MountHistory);

    public IEnumerable<DriveStatusRow> Drives(int? deviceNumber) =>
        _view.Drives
            .Where(d => deviceNumber is null || d.DeviceNumber == deviceNumber)
            .Select(d => DriveRow(d.Drive))
            .ToList();

    /// <summary>One drive's row: the drive's own state first, then what the library knows of it.</summary>
    public DriveStatusRow DriveRow(TapeDrive drive)
    {
        var library = _view.State(drive.DeviceNumber);
        var media = drive.Media; // once: another thread may unload the drive meanwhile
        var position = media is null ? null : ReadPosition(media);
        string state = drive.IsFenced ? "FENCED"
            : media is not null ? "READY"
            : library?.PendingRequest is not null ? "NOTREADY"
            : "UNLOADED";
        var counters = drive.Counters;
        return new DriveStatusRow(
            drive.DeviceNumber,
            ((ushort)drive.Model).ToString("X4", CultureInfo.InvariantCulture),
            state,
            media is null ? string.Empty : library?.VolumeSerial ?? string.Empty,
            media?.IsReadOnly ?? false,
            position?.FileNumber ?? 0,
            position?.BlockNumber ?? 0,
            counters.BlocksRead,
            counters.BytesRead,
            counters.BlocksWritten,
            counters.BytesWritten,
            drive.DisplayText.Trim(),
            library?.PendingRequest ?? string.Empty,
            media is null ? null : TruncateToSeconds(library?.MountedAt));
    }

    /// <summary>
    /// The position of a volume another thread may be writing, unloading or truncating at this
    /// moment: the media's block index is not made for readers beside its writer, so a read that
    /// meets it mid-change is tried again (the writer moves on within microseconds); after three
    /// such reads the row shows no position rather than failing the report.
    /// </summary>
    private static TapePosition? ReadPosition(ITapeMedia media)
    {
        for (int attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                return media.Position;
            }
            catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException or ObjectDisposedException)
            {
                Thread.Yield();
            }
        }

        return null;
    }

    public IEnumerable<VolumeStatusRow> Volumes(string serialPrefix) =>
        _catalog.EnumerateVolumeListings(serialPrefix).Select(VolumeRow);

    public static VolumeStatusRow VolumeRow(VolumeListing volume) => new(
        volume.Serial,
        volume.Pool,
        StatusName(volume.Status),
        volume.Media,
        volume.Labels,
        volume.ReadOnly,
        volume.Capacity,
        volume.BytesUsed,
        volume.Blocks,
        volume.MountCount,
        Day(volume.Created),
        volume.LastMounted is { } last ? Day(last) : null,
        volume.DataSetName ?? string.Empty,
        volume.Status == VolumeStatus.Mounted ? volume.MountedBy ?? string.Empty : string.Empty);

    public IEnumerable<ScratchVolumeRow> Scratch(string poolPrefix) =>
        _catalog.EnumerateScratchVolumes(poolPrefix)
            .Select(v => new ScratchVolumeRow(v.Pool, v.Serial.Value, MediaTypes.Name(v.Media), v.Capacity));

    /// <summary>
    /// Pools of the catalog (totals computed in SQL) and configured pools that have no volume
    /// yet, by name. Media and label type come from the configuration when the pool is configured.
    /// </summary>
    public IEnumerable<PoolStatusRow> Pools(string poolPrefix)
    {
        var rows = new SortedDictionary<string, PoolStatusRow>(StringComparer.Ordinal);
        foreach (var usage in _catalog.PoolUsage(poolPrefix))
        {
            var configured = _configuration.FindPool(usage.Pool);
            rows[usage.Pool] = new PoolStatusRow(
                usage.Pool,
                MediaTypes.Name(configured?.Media ?? usage.Media),
                LabelTypes.Name(configured?.Labels ?? usage.Labels),
                usage.Volumes,
                usage.Scratch,
                usage.Private,
                usage.Mounted,
                usage.Capacity,
                usage.BytesUsed);
        }

        foreach (var pool in _configuration.Pools.Where(p => p.Name.StartsWith(poolPrefix, StringComparison.Ordinal) && !rows.ContainsKey(p.Name)))
        {
            rows[pool.Name] = new PoolStatusRow(pool.Name, MediaTypes.Name(pool.Media), LabelTypes.Name(pool.Labels), 0, 0, 0, 0, 0, 0);
        }

        return rows.Values;
    }

    public IEnumerable<MountStatusRow> Mounts(int? deviceNumber) =>
        deviceNumber is > ushort.MaxValue or < 0
            ? []
            : _catalog.EnumerateMountHistory((ushort?)deviceNumber, MountReportLimit).Select(m => new MountStatusRow(
                m.DeviceNumber,
                m.Serial.Value,
                m.ScratchRequest ? "SCRATCH" : "SPECIFIC",
                TruncateToSeconds(m.RequestedAt),
                TruncateToSeconds(m.MountedAt),
                TruncateToSeconds(m.UnmountedAt),
                m.Server));

    /// <summary>
    /// Throughput and errors since the server started (sums of the drives' counters and the
    /// journal's totals), mounts per hour from the catalog's mount history, and catalog totals.
    /// </summary>
    public IEnumerable<StatisticRow> Statistics()
    {
        var now = _time.GetUtcNow();
        var drives = _view.Drives.Select(d => d.Drive).ToList();
        long blocksRead = drives.Sum(d => d.Counters.BlocksRead);
        long bytesRead = drives.Sum(d => d.Counters.BytesRead);
        long blocksWritten = drives.Sum(d => d.Counters.BlocksWritten);
        long bytesWritten = drives.Sum(d => d.Counters.BytesWritten);
        double uptimeSeconds = Math.Max((now - _statistics.StartedAt).TotalSeconds, 0);
        var counts = _catalog.CountByPool();
        long mountsLastHour = _catalog.CountMountsSince(now.AddHours(-1));
        long mountsLastDay = _catalog.CountMountsSince(now.AddDays(-1));
        return
        [
            new("STARTED", StatusValues.Timestamp(_statistics.StartedAt), "UTC"),
            new("UPTIME", Number((long)uptimeSeconds), "SECONDS"),
            new("DRIVES", Number(drives.Count), "DRIVES"),
            new("DRIVES LOADED", Number(drives.Count(d => d.IsLoaded)), "DRIVES"),
            new("VOLUMES", Number(counts.Sum(c => c.Total)), "VOLUMES"),
            new("VOLUMES SCRATCH", Number(counts.Sum(c => c.Scratch)), "VOLUMES"),
            new("VOLUMES PRIVATE", Number(counts.Sum(c => c.Private)), "VOLUMES"),
            new("VOLUMES MOUNTED", Number(counts.Sum(c => c.Mounted)), "VOLUMES"),
            new("MOUNTS LAST HOUR", Number(mountsLastHour), "MOUNTS"),
            new("MOUNTS PER HOUR (24 HOURS)", (mountsLastDay / 24.0).ToString("0.00", CultureInfo.InvariantCulture), "MOUNTS/HOUR"),
            new("CCWS", Number(_statistics.Ccws), "CCWS"),
            new("BLOCKS READ", Number(blocksRead), "BLOCKS"),
            new("BYTES READ", Number(bytesRead), "BYTES"),
            new("BLOCKS WRITTEN", Number(blocksWritten), "BLOCKS"),
            new("BYTES WRITTEN", Number(bytesWritten), "BYTES"),
            new("READ THROUGHPUT", Number(uptimeSeconds < 1 ? bytesRead : (long)(bytesRead / uptimeSeconds)), "BYTES/SEC"),
            new("WRITE THROUGHPUT", Number(uptimeSeconds < 1 ? bytesWritten : (long)(bytesWritten / uptimeSeconds)), "BYTES/SEC"),
            new("UNIT CHECKS", Number(_statistics.UnitChecks), "CCWS"),
            new("UNIT EXCEPTIONS", Number(_statistics.UnitExceptions), "CCWS"),
            new("EVENTS RECORDED", Number(_statistics.EventsRecorded), "EVENTS"),
        ];
    }

    /// <summary>
    /// The effective configuration as <c>ctape config show</c> prints it, one row per line; a line
    /// longer than the TEXT column continues in further rows with the same line number.
    /// </summary>
    public IEnumerable<ConfigurationLineRow> Configuration()
    {
        int width = StatusReports.Configuration.Columns[StatusReports.Configuration.IndexOf("TEXT")].Width;
        string text = ConfigurationWriter.Write(_configuration);
        var lines = text.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            int start = 0;
            do
            {
                yield return new ConfigurationLineRow(i + 1, line.Substring(start, Math.Min(width, line.Length - start)));
                start += width;
            }
            while (start < line.Length);
        }
    }

    public IEnumerable<EventRow> Events(int? deviceNumber) => _statistics.Events(deviceNumber);

    /// <summary>Status as the reports spell it.</summary>
    public static string StatusName(VolumeStatus status) => status switch
    {
        VolumeStatus.Scratch => "SCRATCH",
        VolumeStatus.Private => "PRIVATE",
        VolumeStatus.Mounted => "MOUNTED",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    private static string Number(long value) => StatusValues.Number(value);

    private static DateTimeOffset Day(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    private static DateTimeOffset? TruncateToSeconds(DateTimeOffset? time) =>
        time is { } t ? new DateTimeOffset(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero) : null;

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset time) => TruncateToSeconds((DateTimeOffset?)time)!.Value;
}
