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
/// Queries for the administrative reports (issue 5): each streams from SQLite in serial or pool
/// order with its filter in SQL, so a report of a million volumes holds one row at a time.
/// </summary>
public sealed partial class LibraryCatalog
{
    // Above every volume serial character (A-Z 0-9 # @ $ are all below 0x7F); with BINARY
    // collation 'prefix' <= volser < 'prefix' + DEL is exactly "starts with prefix", on the key.
    private const char AboveSerialCharacters = '\u007F';

    /// <summary>
    /// Volumes whose serial starts with <paramref name="serialPrefix"/> ("" = all), in serial
    /// order, streamed over the primary key. The connection stays open until the enumeration ends.
    /// </summary>
    public IEnumerable<VolumeRecord> EnumerateVolumesByPrefix(string serialPrefix)
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
            yield return ReadVolume(reader);
        }
    }

    /// <summary>
    /// Scratch volumes of the pools whose name starts with <paramref name="poolPrefix"/> ("" = all),
    /// by pool then serial, streamed.
    /// </summary>
    public IEnumerable<VolumeRecord> EnumerateScratchVolumes(string poolPrefix)
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
            yield return ReadVolume(reader);
        }
    }

    /// <summary>Per-pool totals computed in SQL, pools whose name starts with <paramref name="poolPrefix"/>, in name order.</summary>
    public IReadOnlyList<PoolUsage> PoolUsage(string poolPrefix)
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
    public IEnumerable<MountRecord> EnumerateMountHistory(ushort? deviceNumber, int limit)
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
            yield return ReadMount(reader);
        }
    }

    /// <summary>Mounts that completed (volume ready) at or after <paramref name="since"/>.</summary>
    public long CountMountsSince(DateTimeOffset since)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM mount_history WHERE mounted_at >= $since";
        command.Parameters.AddWithValue("$since", CatalogTime.Format(since));
        return (long)command.ExecuteScalar()!;
    }
}
