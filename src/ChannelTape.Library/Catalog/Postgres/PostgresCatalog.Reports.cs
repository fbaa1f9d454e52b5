using ChannelTape.Labels;
using ChannelTape.Library.Configuration;
using Npgsql;
using NpgsqlTypes;

namespace ChannelTape.Library.Catalog;

/// <summary>Edits, import, recovery and the administrative reports' queries on the shared catalog.</summary>
public sealed partial class PostgresCatalog
{
    // Above every volume serial character: 'prefix' <= volser < 'prefix' + DEL is "starts with prefix" (C collation).
    private const char AboveSerialCharacters = '\u007F';

    public override IReadOnlyList<VolumeEditResult> ApplyEdits(IReadOnlyList<VolumeEdit> edits,
        IReadOnlyList<(VolumeRange Range, NewVolumes Volumes)> additions, out long[] existing)
    {
        existing = new long[additions.Count];
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction();
        var results = new List<VolumeEditResult>(edits.Count);
        foreach (var edit in edits)
        {
            if (edit.Kind == VolumeEditKind.Move && (edit.Pool is null || !PoolNames.IsValid(edit.Pool)))
            {
                throw new ArgumentException($"invalid pool name '{edit.Pool}'", nameof(edits));
            }

            var status = VolumeStatusOf(connection, transaction, edit.Serial);
            var outcome = status switch
            {
                null => VolumeChange.NotFound,
                VolumeStatus.Mounted when edit.Kind is VolumeEditKind.Scratch or VolumeEditKind.Unscratch or VolumeEditKind.Move => VolumeChange.Mounted,
                _ => VolumeChange.Changed,
            };
            results.Add(new VolumeEditResult(edit, outcome));
        }

        if (results.Any(r => r.Outcome != VolumeChange.Changed))
        {
            transaction.Rollback();
            return results;
        }

        for (int i = 0; i < additions.Count; i++)
        {
            CheckNewVolumes(additions[i].Volumes);
            existing[i] = InsertVolumes(connection, transaction, [additions[i].Range], additions[i].Volumes).Existing;
        }

        if (existing.Any(n => n > 0))
        {
            transaction.Rollback();
            return results;
        }

        foreach (var edit in edits)
        {
            var (sql, value) = edit.Kind switch
            {
                VolumeEditKind.Scratch => ("UPDATE volumes SET status = @value WHERE volser = @volser", (object)"scratch"),
                VolumeEditKind.Unscratch => ("UPDATE volumes SET status = @value WHERE volser = @volser", "private"),
                VolumeEditKind.Move => ("UPDATE volumes SET pool = @value WHERE volser = @volser", edit.Pool!),
                VolumeEditKind.ReadOnly => ("UPDATE volumes SET read_only = @value WHERE volser = @volser", true),
                VolumeEditKind.ReadWrite => ("UPDATE volumes SET read_only = @value WHERE volser = @volser", false),
                _ => throw new ArgumentOutOfRangeException(nameof(edits), edit.Kind, null),
            };
            Execute(connection, transaction, sql, ("value", value), ("volser", edit.Serial.Value));
        }

        transaction.Commit();
        return results;
    }

    public override ImportOutcome ImportVolume(VolumeImport import, string preparedImagePath, NewVolumes? newVolume)
    {
        // Uploaded first, to an object of its own: the catalog names it only if the import commits (so the
        // volume's row is locked for the rename, not for the upload), and a refused import removes it again.
        var stored = Images.Upload(import.Serial, preparedImagePath);
        var outcome = ImportUploaded(import, preparedImagePath, newVolume, stored, out var superseded);
        if (stored is not null && outcome is ImportOutcome.NotFound or ImportOutcome.Mounted)
        {
            Images.Forget(stored.Key);
        }
        else if (superseded is not null && superseded != stored?.Key)
        {
            // The catalog names the imported object now: the volume's previous one is deleted.
            Images.Forget(superseded);
        }

        return outcome;
    }

    private ImportOutcome ImportUploaded(VolumeImport import, string preparedImagePath, NewVolumes? newVolume, StoredImage? stored, out string? superseded)
    {
        superseded = null;
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction();
        var existing = FindVolume(connection, transaction, import.Serial, forUpdate: true);
        if (existing is null && newVolume is null)
        {
            return ImportOutcome.NotFound;
        }

        if (existing?.Status == VolumeStatus.Mounted)
        {
            return ImportOutcome.Mounted;
        }

        if (newVolume is not null && !PoolNames.IsValid(newVolume.Pool))
        {
            throw new ArgumentException($"invalid pool name '{newVolume.Pool}'", nameof(newVolume));
        }

        var relative = StorageLayout.RelativeImagePath(import.Serial, import.Format);
        var now = CatalogTime.Format(_time.GetUtcNow());
        if (existing is null)
        {
            // A volume added by another import meanwhile makes this insert fail: the import is refused, not doubled.
            Execute(connection, transaction, """
                INSERT INTO volumes (volser, pool, status, media, capacity, bytes_used, blocks, dataset_name, labels, created_at, last_written_at, image_path)
                VALUES (@volser, @pool, 'private', @media, @capacity, @bytes, @blocks, @dsn, @labels, @now, @now, @image)
                """,
                ("volser", import.Serial.Value), ("pool", newVolume!.Pool), ("media", MediaTypes.Name(newVolume.Media)),
                ("capacity", Math.Max(newVolume.Capacity, import.BytesUsed)), ("bytes", import.BytesUsed), ("blocks", import.Blocks),
                ("dsn", import.DataSetName), ("labels", LabelTypes.Name(import.Labels)), ("now", now), ("image", relative));
        }
        else
        {
            Execute(connection, transaction, """
                UPDATE volumes SET status = 'private', bytes_used = @bytes, blocks = @blocks, dataset_name = @dsn,
                    labels = @labels, last_written_at = @now, image_path = @image, capacity = greatest(capacity, @bytes)
                WHERE volser = @volser
                """,
                ("volser", import.Serial.Value), ("bytes", import.BytesUsed), ("blocks", import.Blocks), ("dsn", import.DataSetName),
                ("labels", LabelTypes.Name(import.Labels)), ("now", now), ("image", relative));
        }

        Execute(connection, transaction,
            "UPDATE volumes SET store_key = @key, store_etag = @etag, store_size = @size, store_sha256 = @sha WHERE volser = @volser",
            ("key", stored?.Key), ("etag", stored?.ETag), ("size", stored?.Size), ("sha", stored?.Sha256), ("volser", import.Serial.Value));

        var target = Path.Combine(Layout.DataDirectory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(preparedImagePath, target, overwrite: true);
        if (existing is not null && existing.ImagePath != relative)
        {
            File.Delete(Layout.ImagePath(existing));
        }

        Images.Placed(import.Serial, target, stored);
        transaction.Commit();
        superseded = existing?.Stored?.Key;
        return existing is null ? ImportOutcome.Added : ImportOutcome.Replaced;
    }

    public override long? LatestMountId(VolumeSerial serial)
    {
        using var connection = OpenConnection();
        using var command = new NpgsqlCommand("SELECT max(id) FROM mount_history WHERE volser = @volser", connection);
        command.Parameters.AddWithValue("volser", serial.Value);
        return command.ExecuteScalar() is long id ? id : null;
    }

    public override VolumeChange RecordScan(VolumeSerial serial, long bytesUsed, long blocks, string? dataSetName, DateTimeOffset writtenAt) =>
        Execute(
            "UPDATE volumes SET bytes_used = @bytes, blocks = @blocks, dataset_name = @dsn, last_written_at = @written WHERE volser = @volser",
            ("bytes", bytesUsed), ("blocks", blocks), ("dsn", dataSetName), ("written", CatalogTime.Format(writtenAt)), ("volser", serial.Value)) == 1
            ? VolumeChange.Changed : VolumeChange.NotFound;

    public override int ResetDrives() =>
        Execute(
            "UPDATE drives SET state = 'empty', volser = NULL, updated_at = @now WHERE server = @server AND (state <> 'empty' OR volser IS NOT NULL)",
            ("now", CatalogTime.Format(_time.GetUtcNow())), ("server", ServerName));

    // ---- reports

    public override IEnumerable<VolumeRecord> EnumerateVolumesByPrefix(string serialPrefix)
    {
        using var connection = OpenConnection();
        using var command = new NpgsqlCommand($"SELECT {VolumeColumns} FROM volumes WHERE volser >= @low AND volser < @high ORDER BY volser", connection);
        command.Parameters.AddWithValue("low", serialPrefix);
        command.Parameters.AddWithValue("high", serialPrefix + AboveSerialCharacters);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return CatalogRows.ReadVolume(reader);
        }
    }

    public override IEnumerable<VolumeListing> EnumerateVolumeListings(string serialPrefix)
    {
        using var connection = OpenConnection();
        using var command = new NpgsqlCommand("""
            SELECT volser, pool, status, media, labels, read_only, capacity, bytes_used, blocks, mount_count,
                   left(created_at, 10), left(last_mounted_at, 10), dataset_name, mounted_by
            FROM volumes WHERE volser >= @low AND volser < @high ORDER BY volser
            """, connection);
        command.Parameters.AddWithValue("low", serialPrefix);
        command.Parameters.AddWithValue("high", serialPrefix + AboveSerialCharacters);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return new VolumeListing(
                reader.GetString(0),
                reader.GetString(1),
                CatalogRows.ParseStatus(reader.GetString(2)),
                reader.GetString(3),
                reader.GetString(4),
                reader.GetBoolean(5),
                reader.GetInt64(6),
                reader.GetInt64(7),
                reader.GetInt64(8),
                reader.GetInt32(9),
                DateOnly.ParseExact(reader.GetString(10), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                reader.IsDBNull(11) ? null : DateOnly.ParseExact(reader.GetString(11), "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                reader.IsDBNull(12) ? null : reader.GetString(12),
                reader.IsDBNull(13) ? null : reader.GetString(13));
        }
    }

    public override IEnumerable<VolumeRecord> EnumerateScratchVolumes(string poolPrefix)
    {
        using var connection = OpenConnection();
        using var command = new NpgsqlCommand($"""
            SELECT {VolumeColumns} FROM volumes
            WHERE status = 'scratch' AND left(pool, length(@prefix)) = @prefix
            ORDER BY pool, volser
            """, connection);
        command.Parameters.AddWithValue("prefix", poolPrefix);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return CatalogRows.ReadVolume(reader);
        }
    }

    public override IReadOnlyList<PoolUsage> PoolUsage(string poolPrefix)
    {
        using var connection = OpenConnection();
        using var command = new NpgsqlCommand("""
            SELECT pool, min(media), min(labels), count(*),
                   count(*) FILTER (WHERE status = 'scratch'), count(*) FILTER (WHERE status = 'private'), count(*) FILTER (WHERE status = 'mounted'),
                   sum(capacity)::bigint, sum(bytes_used)::bigint
            FROM volumes WHERE left(pool, length(@prefix)) = @prefix
            GROUP BY pool ORDER BY pool
            """, connection);
        command.Parameters.AddWithValue("prefix", poolPrefix);
        using var reader = command.ExecuteReader();
        var pools = new List<PoolUsage>();
        while (reader.Read())
        {
            string pool = reader.GetString(0);
            pools.Add(new PoolUsage(
                pool,
                MediaTypes.TryParse(reader.GetString(1), out var media) ? media : throw new InvalidDataException($"catalog pool {pool} has unknown media '{reader.GetString(1)}'"),
                LabelTypes.TryParse(reader.GetString(2), out var labels) ? labels : throw new InvalidDataException($"catalog pool {pool} has unknown label type '{reader.GetString(2)}'"),
                reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), reader.GetInt64(6), reader.GetInt64(7), reader.GetInt64(8)));
        }

        return pools;
    }

    public override IEnumerable<MountRecord> EnumerateMountHistory(ushort? deviceNumber, int limit)
    {
        using var connection = OpenConnection();
        using var command = new NpgsqlCommand($"""
            SELECT {MountColumns} FROM mount_history
            WHERE @device::integer IS NULL OR (device_number = @device AND (@server = '' OR server = @server))
            ORDER BY id DESC LIMIT @limit
            """, connection);
        command.Parameters.Add(new NpgsqlParameter("device", NpgsqlDbType.Integer) { Value = deviceNumber is { } d ? (int)d : DBNull.Value });
        command.Parameters.AddWithValue("server", ServerName);
        command.Parameters.AddWithValue("limit", limit);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return CatalogRows.ReadMount(reader);
        }
    }

    public override long CountMountsSince(DateTimeOffset since)
    {
        using var connection = OpenConnection();
        using var command = new NpgsqlCommand("SELECT count(*) FROM mount_history WHERE mounted_at >= @since", connection);
        command.Parameters.AddWithValue("since", CatalogTime.Format(since));
        return (long)command.ExecuteScalar()!;
    }
}
