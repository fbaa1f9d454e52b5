using ChannelTape.Labels;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ChannelTape.Library.Catalog;

/// <summary>Totals of one pool as the catalog holds them (administrative POOLS report).</summary>
/// <param name="Pool">Pool name.</param>
/// <param name="Media">Media of the pool's volumes (the smallest name when they differ).</param>
/// <param name="Labels">Label type of the pool's volumes (the smallest name when they differ).</param>
/// <param name="Volumes">Volumes in the pool.</param>
/// <param name="Scratch">Scratch volumes.</param>
/// <param name="Private">Private volumes.</param>
/// <param name="Mounted">Volumes on a drive now.</param>
/// <param name="Capacity">Sum of capacities, bytes.</param>
/// <param name="BytesUsed">Sum of bytes used.</param>
public sealed record PoolUsage(
    string Pool, MediaType Media, LabelType Labels, long Volumes, long Scratch, long Private, long Mounted, long Capacity, long BytesUsed);

/// <summary>
/// One volume as a listing shows it: the catalog's columns as stored, without the checks and
/// time parsing of <see cref="VolumeRecord"/> (a report of a million volumes reads them all).
/// </summary>
/// <param name="Serial">Volume serial.</param>
/// <param name="Pool">Pool name.</param>
/// <param name="Status">Scratch, private or mounted.</param>
/// <param name="Media">Media type name as stored (<c>3490E</c>).</param>
/// <param name="Labels">Label type name as stored (<c>SL</c>).</param>
/// <param name="ReadOnly">True when read-only.</param>
/// <param name="Capacity">Capacity in bytes.</param>
/// <param name="BytesUsed">Bytes used.</param>
/// <param name="Blocks">Data blocks.</param>
/// <param name="MountCount">Completed mounts.</param>
/// <param name="Created">Day the volume was added (UTC).</param>
/// <param name="LastMounted">Day it was last mounted (UTC), or null.</param>
/// <param name="DataSetName">First data set name, or null.</param>
/// <param name="MountedBy">The server holding it while mounted in a shared catalog, else null.</param>
public sealed record VolumeListing(
    string Serial, string Pool, VolumeStatus Status, string Media, string Labels, bool ReadOnly, long Capacity, long BytesUsed,
    long Blocks, long MountCount, DateOnly Created, DateOnly? LastMounted, string? DataSetName, string? MountedBy = null);

/// <summary>
/// Queries for the administrative reports (issue 5): each streams from SQLite in serial or pool
/// order with its filter in SQL, so a report of a million volumes holds one row at a time.
/// </summary>
public sealed partial class SqliteCatalog
{
    // Above every volume serial character (A-Z 0-9 # @ $ are all below 0x7F); with BINARY
    // collation 'prefix' <= volser < 'prefix' + DEL is exactly "starts with prefix", on the key.
    private const char AboveSerialCharacters = '\u007F';

    /// <summary>
    /// Volumes whose serial starts with <paramref name="serialPrefix"/> ("" = all), in serial
    /// order, streamed over the primary key. The connection stays open until the enumeration ends.
    /// </summary>
    public override IEnumerable<VolumeRecord> EnumerateVolumesByPrefix(string serialPrefix)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {VolumeColumns} FROM volumes
            WHERE volser >= $low AND volser < $high
            ORDER BY volser
            """;
        command.Parameters.AddWithValue("$low", serialPrefix);
        command.Parameters.AddWithValue("$high", serialPrefix + AboveSerialCharacters);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return CatalogRows.ReadVolume(reader);
        }
    }

    /// <summary>
    /// The VOLUMES report's rows: volumes whose serial starts with <paramref name="serialPrefix"/>
    /// ("" = all) in serial order, streamed over the primary key, days cut from the stored
    /// timestamps in SQL. The connection stays open until the enumeration ends.
    /// </summary>
    public override IEnumerable<VolumeListing> EnumerateVolumeListings(string serialPrefix)
    {
        // Through the SQLite C API on the connection's handle: column text is read as bytes and a
        // pool, media or label name equal to the previous row's reuses its string, so a row costs
        // one string (the serial) instead of eight; the status comes as an integer from SQL and
        // the days are read from the timestamps' bytes.
        // This is most of the time of a million-row report (docs/performance.md).
        using var connection = OpenConnection();
        const string Sql = """
            SELECT volser, pool, CASE status WHEN 'scratch' THEN 0 WHEN 'private' THEN 1 WHEN 'mounted' THEN 2 ELSE -1 END,
                   media, labels, read_only, capacity, bytes_used, blocks, mount_count,
                   created_at, last_mounted_at, dataset_name, mounted_by
            FROM volumes
            WHERE volser >= ?1 AND volser < ?2
            ORDER BY volser
            """;
        var db = connection.Handle!;
        Check(db, raw.sqlite3_prepare_v2(db, Sql, out sqlite3_stmt statement));
        using (statement)
        {
            Check(db, raw.sqlite3_bind_text(statement, 1, serialPrefix));
            Check(db, raw.sqlite3_bind_text(statement, 2, serialPrefix + AboveSerialCharacters));
            var pools = new RepeatedText();
            var media = new RepeatedText();
            var labels = new RepeatedText();
            while (true)
            {
                int step = raw.sqlite3_step(statement);
                if (step == raw.SQLITE_DONE)
                {
                    yield break;
                }

                Check(db, step == raw.SQLITE_ROW ? raw.SQLITE_OK : step);
                yield return ReadListing(statement, pools, media, labels);
            }
        }
    }

    private static VolumeListing ReadListing(sqlite3_stmt row, RepeatedText pools, RepeatedText media, RepeatedText labels)
    {
        string serial = System.Text.Encoding.ASCII.GetString(raw.sqlite3_column_blob(row, 0));
        return new VolumeListing(
            serial,
            pools.Get(raw.sqlite3_column_blob(row, 1)),
            raw.sqlite3_column_int64(row, 2) switch
            {
                0 => VolumeStatus.Scratch,
                1 => VolumeStatus.Private,
                2 => VolumeStatus.Mounted,
                _ => throw new InvalidDataException($"catalog volume {serial} has an unknown status"),
            },
            media.Get(raw.sqlite3_column_blob(row, 3)),
            labels.Get(raw.sqlite3_column_blob(row, 4)),
            raw.sqlite3_column_int64(row, 5) != 0,
            raw.sqlite3_column_int64(row, 6),
            raw.sqlite3_column_int64(row, 7),
            raw.sqlite3_column_int64(row, 8),
            raw.sqlite3_column_int64(row, 9),
            Day(raw.sqlite3_column_blob(row, 10)),
            raw.sqlite3_column_type(row, 11) == raw.SQLITE_NULL ? null : Day(raw.sqlite3_column_blob(row, 11)),
            raw.sqlite3_column_type(row, 12) == raw.SQLITE_NULL ? null : System.Text.Encoding.UTF8.GetString(raw.sqlite3_column_blob(row, 12)),
            raw.sqlite3_column_type(row, 13) == raw.SQLITE_NULL ? null : System.Text.Encoding.UTF8.GetString(raw.sqlite3_column_blob(row, 13)));
    }

    private static void Check(sqlite3 db, int result)
    {
        if (result != raw.SQLITE_OK)
        {
            throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), result);
        }
    }

    /// <summary>The previous row's text of one column and its string: consecutive equal values share one string.</summary>
    private sealed class RepeatedText
    {
        private byte[] _bytes = [];
        private string _text = string.Empty;

        public string Get(ReadOnlySpan<byte> utf8)
        {
            if (!utf8.SequenceEqual(_bytes))
            {
                _bytes = utf8.ToArray();
                _text = System.Text.Encoding.UTF8.GetString(utf8);
            }

            return _text;
        }
    }

    /// <summary>
    /// Scratch volumes of the pools whose name starts with <paramref name="poolPrefix"/> ("" = all),
    /// by pool then serial, streamed.
    /// </summary>
    public override IEnumerable<VolumeRecord> EnumerateScratchVolumes(string poolPrefix)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {VolumeColumns} FROM volumes
            WHERE status = 'scratch' AND substr(pool, 1, length($prefix)) = $prefix
            ORDER BY pool, volser
            """;
        command.Parameters.AddWithValue("$prefix", poolPrefix);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return CatalogRows.ReadVolume(reader);
        }
    }

    /// <summary>Per-pool totals computed in SQL, pools whose name starts with <paramref name="poolPrefix"/>, in name order.</summary>
    public override IReadOnlyList<PoolUsage> PoolUsage(string poolPrefix)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT pool, min(media), min(labels), count(*),
                   sum(status = 'scratch'), sum(status = 'private'), sum(status = 'mounted'),
                   sum(capacity), sum(bytes_used)
            FROM volumes
            WHERE substr(pool, 1, length($prefix)) = $prefix
            GROUP BY pool ORDER BY pool
            """;
        command.Parameters.AddWithValue("$prefix", poolPrefix);
        using var reader = command.ExecuteReader();
        var pools = new List<PoolUsage>();
        while (reader.Read())
        {
            string pool = reader.GetString(0);
            pools.Add(new PoolUsage(
                pool,
                MediaTypes.TryParse(reader.GetString(1), out var media) ? media : throw new InvalidDataException($"catalog pool {pool} has unknown media '{reader.GetString(1)}'"),
                LabelTypes.TryParse(reader.GetString(2), out var labels) ? labels : throw new InvalidDataException($"catalog pool {pool} has unknown label type '{reader.GetString(2)}'"),
                reader.GetInt64(3),
                reader.GetInt64(4),
                reader.GetInt64(5),
                reader.GetInt64(6),
                reader.GetInt64(7),
                reader.GetInt64(8)));
        }

        return pools;
    }

    /// <summary>Mounts newest first, of one drive or all, at most <paramref name="limit"/>, streamed.</summary>
    public override IEnumerable<MountRecord> EnumerateMountHistory(ushort? deviceNumber, int limit)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {MountColumns} FROM mount_history
            WHERE $device IS NULL OR device_number = $device
            ORDER BY id DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$device", deviceNumber is { } d ? (int)d : DBNull.Value);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return CatalogRows.ReadMount(reader);
        }
    }

    /// <summary>Mounts that completed (volume ready) at or after <paramref name="since"/>.</summary>
    public override long CountMountsSince(DateTimeOffset since)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM mount_history WHERE mounted_at >= $since";
        command.Parameters.AddWithValue("$since", CatalogTime.Format(since));
        return (long)command.ExecuteScalar()!;
    }

    // The day of a CatalogTime timestamp: its first ten characters, yyyy-MM-dd.
    private static DateOnly Day(ReadOnlySpan<byte> timestamp)
    {
        static int Digits(ReadOnlySpan<byte> text)
        {
            int value = 0;
            foreach (byte b in text)
            {
                value = b is >= (byte)'0' and <= (byte)'9' ? value * 10 + (b - '0') : -1_000_000;
            }

            return value;
        }

        if (timestamp.Length >= 10 && timestamp[4] == '-' && timestamp[7] == '-')
        {
            int year = Digits(timestamp[..4]), month = Digits(timestamp.Slice(5, 2)), day = Digits(timestamp.Slice(8, 2));
            if (year >= 1 && month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(year, month))
            {
                return new DateOnly(year, month, day);
            }
        }

        throw new InvalidDataException($"catalog holds an invalid timestamp '{System.Text.Encoding.UTF8.GetString(timestamp)}'");
    }
}
