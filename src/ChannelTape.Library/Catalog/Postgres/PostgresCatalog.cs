using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Library.Configuration;
using Npgsql;
using NpgsqlTypes;

namespace ChannelTape.Library.Catalog;

/// <summary>
/// The shared catalog: the embedded catalog's tables and behaviour in PostgreSQL, for several servers
/// (docs/scale-out.md). Drives and mounts belong to a server (<see cref="LibraryCatalog.ServerName"/>);
/// volumes are the library's. Mount exclusivity and scratch allocation rest on row locks: a specific mount
/// locks the volume's row (<c>FOR UPDATE</c>), a scratch allocation takes the first unlocked scratch row
/// (<c>FOR UPDATE SKIP LOCKED</c>), so two servers never get the same volume and never wait on each other's
/// candidates. Every server holds a lease (<see cref="RenewLease"/>) on the catalog's clock; the mounts of a
/// server whose lease ran out are released by the others (<see cref="ReleaseExpiredLeases"/>).
/// </summary>
public sealed partial class PostgresCatalog : LibraryCatalog, IDisposable
{
    private const string VolumeColumns =
        "volser, pool, status, media, capacity, bytes_used, blocks, dataset_name, labels, created_at, " +
        "last_mounted_at, last_written_at, mount_count, image_path, read_only, mounted_on, " +
        "store_key, store_etag, store_size, store_sha256, dirty, mounted_by";

    private const string MountColumns = "id, volser, device_number, requested_at, mounted_at, unmounted_at, scratch_request, server";

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly string _where;

    private PostgresCatalog(NpgsqlDataSource dataSource, StorageLayout layout, TimeProvider time, int schemaVersion, string serverName, string where)
        : base(layout, schemaVersion, serverName)
    {
        _dataSource = dataSource;
        _time = time;
        _where = where;
    }

    public override string Description => $"PostgreSQL {_where}";

    public override bool IsShared => true;

    /// <summary>
    /// Opens the catalog at <paramref name="connectionString"/> (an Npgsql connection string) for the server
    /// <paramref name="serverName"/> ("" for a tool that only reads and edits volumes), applying pending
    /// migrations. A connection string that does not parse throws <see cref="ArgumentException"/>; a database
    /// that cannot be reached throws <see cref="NpgsqlException"/> — both with a message an operator can act on.
    /// </summary>
    /// <param name="connectionString">Npgsql connection string (<c>Host=db1;Database=ctape;Username=ctape</c>).</param>
    /// <param name="dataDirectory">This server's data folder (the cache of the images).</param>
    /// <param name="serverName">The server's name in the catalog.</param>
    /// <param name="time">Clock for timestamps.</param>
    public static PostgresCatalog Open(string connectionString, string dataDirectory, string serverName, TimeProvider? time = null)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
        {
            throw new ArgumentException($"not a PostgreSQL connection string ({e.Message}); expected e.g. Host=db1;Database=ctape;Username=ctape", nameof(connectionString), e);
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            throw new ArgumentException("the PostgreSQL connection string names no Host", nameof(connectionString));
        }

        // Fail fast when the server is not there, instead of the default 15 s per attempt.
        if (!connectionString.Contains("timeout", StringComparison.OrdinalIgnoreCase))
        {
            builder.Timeout = 5;
        }

        var where = $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
        var layout = new StorageLayout(dataDirectory);
        Directory.CreateDirectory(layout.DataDirectory);
        time ??= TimeProvider.System;
        var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        try
        {
            using var connection = dataSource.OpenConnection();
            var version = PostgresMigrations.Apply(connection, time);
            return new PostgresCatalog(dataSource, layout, time, version, serverName, where);
        }
        catch
        {
            dataSource.Dispose();
            throw;
        }
    }

    public void Dispose() => _dataSource.Dispose();

    // ---- volumes

    public override (long Added, long Existing) AddVolumes(IEnumerable<VolumeRange> ranges, NewVolumes volumes)
    {
        CheckNewVolumes(volumes);
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction();
        var result = InsertVolumes(connection, transaction, ranges, volumes);
        transaction.Commit();
        return result;
    }

    private static void CheckNewVolumes(NewVolumes volumes)
    {
        if (!PoolNames.IsValid(volumes.Pool))
        {
            throw new ArgumentException($"invalid pool name '{volumes.Pool}'", nameof(volumes));
        }

        if (volumes.Capacity <= 0)
        {
            throw new ArgumentException("capacity must be more than 0", nameof(volumes));
        }
    }

    // Serials go in batches of arrays (unnest): 100,000 volumes are a few round trips, not 100,000.
    private (long Added, long Existing) InsertVolumes(NpgsqlConnection connection, NpgsqlTransaction transaction, IEnumerable<VolumeRange> ranges, NewVolumes volumes)
    {
        const int Batch = 10_000;
        long added = 0, total = 0;
        var serials = new List<string>(Batch);
        var images = new List<string>(Batch);
        var created = CatalogTime.Format(_time.GetUtcNow());

        void Flush()
        {
            if (serials.Count == 0)
            {
                return;
            }

            using var insert = new NpgsqlCommand("""
                INSERT INTO volumes (volser, pool, status, media, capacity, labels, created_at, image_path)
                SELECT v, @pool, @status, @media, @capacity, @labels, @created, i FROM unnest(@serials, @images) AS t(v, i)
                ON CONFLICT (volser) DO NOTHING
                """, connection, transaction);
            insert.Parameters.AddWithValue("pool", volumes.Pool);
            insert.Parameters.AddWithValue("status", volumes.Scratch ? "scratch" : "private");
            insert.Parameters.AddWithValue("media", MediaTypes.Name(volumes.Media));
            insert.Parameters.AddWithValue("capacity", volumes.Capacity);
            insert.Parameters.AddWithValue("labels", LabelTypes.Name(volumes.Labels));
            insert.Parameters.AddWithValue("created", created);
            insert.Parameters.AddWithValue("serials", NpgsqlDbType.Array | NpgsqlDbType.Text, serials.ToArray());
            insert.Parameters.AddWithValue("images", NpgsqlDbType.Array | NpgsqlDbType.Text, images.ToArray());
            added += insert.ExecuteNonQuery();
            total += serials.Count;
            serials.Clear();
            images.Clear();
        }

        foreach (var range in ranges)
        {
            foreach (var serial in range.Serials())
            {
                serials.Add(serial.Value);
                images.Add(StorageLayout.RelativeImagePath(serial, volumes.Format));
                if (serials.Count == Batch)
                {
                    Flush();
                }
            }
        }

        Flush();
        return (added, total - added);
    }

    public override VolumeRecord? FindVolume(VolumeSerial serial)
    {
        using var connection = OpenConnection();
        return FindVolume(connection, null, serial, forUpdate: false);
    }

    public override IEnumerable<VolumeRecord> EnumerateVolumes(string? pool = null, VolumeStatus? status = null)
    {
        using var connection = OpenConnection();
        using var command = new NpgsqlCommand($"""
            SELECT {VolumeColumns} FROM volumes
            WHERE (@pool::text IS NULL OR pool = @pool) AND (@status::text IS NULL OR status = @status)
            ORDER BY volser
            """, connection);
        command.Parameters.AddWithValue("pool", NpgsqlDbType.Text, (object?)pool ?? DBNull.Value);
        command.Parameters.AddWithValue("status", NpgsqlDbType.Text, status is { } s ? CatalogRows.StatusText(s) : DBNull.Value);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return CatalogRows.ReadVolume(reader);
        }
    }

    public override IReadOnlyList<PoolCounts> CountByPool()
    {
        using var connection = OpenConnection();
        using var command = new NpgsqlCommand("""
            SELECT pool, count(*) FILTER (WHERE status = 'scratch'), count(*) FILTER (WHERE status = 'private'), count(*) FILTER (WHERE status = 'mounted')
            FROM volumes GROUP BY pool ORDER BY pool
            """, connection);
        using var reader = command.ExecuteReader();
        var counts = new List<PoolCounts>();
        while (reader.Read())
        {
            counts.Add(new PoolCounts(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
        }

        return counts;
    }

    public override VolumeChange SetScratch(VolumeSerial serial, bool scratch) =>
        ChangeUnmountedVolume(serial, "status = @value", scratch ? "scratch" : "private");

    public override VolumeChange MoveToPool(VolumeSerial serial, string pool)
    {
        if (!PoolNames.IsValid(pool))
        {
            throw new ArgumentException($"invalid pool name '{pool}'", nameof(pool));
        }

        return ChangeUnmountedVolume(serial, "pool = @value", pool);
    }

    public override VolumeChange SetReadOnly(VolumeSerial serial, bool readOnly) =>
        Execute("UPDATE volumes SET read_only = @value WHERE volser = @volser", ("value", readOnly), ("volser", serial.Value)) == 1
            ? VolumeChange.Changed : VolumeChange.NotFound;

    public override VolumeChange RecordWrite(VolumeSerial serial, long bytesUsed, long blocks, string? dataSetName, LabelType? labels, bool durable) =>
        Execute(
            """
            UPDATE volumes SET bytes_used = @bytes, blocks = @blocks, dataset_name = @dsn, last_written_at = @now,
                labels = coalesce(@labels::text, labels)
            WHERE volser = @volser
            """,
            ("bytes", bytesUsed), ("blocks", blocks), ("dsn", dataSetName), ("now", CatalogTime.Format(_time.GetUtcNow())), ("volser", serial.Value),
            ("labels", labels is { } l ? LabelTypes.Name(l) : null)) == 1
            ? VolumeChange.Changed : VolumeChange.NotFound;

    public override bool RecordStoredImage(VolumeSerial serial, StoredImage image, long? mountId, out string? superseded)
    {
        // The row locked first, so the key read is the one the update replaces (an upload of another server
        // cannot switch it in between: it would need the mount this one holds).
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction();
        using (var previous = new NpgsqlCommand("SELECT store_key FROM volumes WHERE volser = @volser FOR UPDATE", connection, transaction))
        {
            previous.Parameters.Add(Parameter("volser", serial.Value));
            superseded = previous.ExecuteScalar() as string;
        }

        int changed = Execute(
            connection,
            transaction,
            """
            UPDATE volumes SET store_key = @key, store_etag = @etag, store_size = @size, store_sha256 = @sha, dirty = false
            WHERE volser = @volser
              AND (@mount::bigint IS NULL OR EXISTS (SELECT 1 FROM mount_history WHERE id = @mount AND volser = @volser AND unmounted_at IS NULL))
            """,
            ("key", image.Key), ("etag", image.ETag), ("size", image.Size), ("sha", image.Sha256), ("volser", serial.Value), ("mount", mountId));
        if (changed != 1)
        {
            superseded = null;
            return false;
        }

        transaction.Commit();
        if (superseded == image.Key)
        {
            superseded = null;
        }

        return true;
    }

    public override VolumeChange SetDirty(VolumeSerial serial, bool dirty) =>
        Execute("UPDATE volumes SET dirty = @dirty WHERE volser = @volser", ("dirty", dirty), ("volser", serial.Value)) == 1
            ? VolumeChange.Changed : VolumeChange.NotFound;

    private VolumeChange ChangeUnmountedVolume(VolumeSerial serial, string assignment, string value)
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction();
        var status = VolumeStatusOf(connection, transaction, serial);
        if (status is null)
        {
            return VolumeChange.NotFound;
        }

        if (status == VolumeStatus.Mounted)
        {
            return VolumeChange.Mounted;
        }

        Execute(connection, transaction, $"UPDATE volumes SET {assignment} WHERE volser = @volser", ("value", value), ("volser", serial.Value));
        transaction.Commit();
        return VolumeChange.Changed;
    }

    // ---- drives and configuration

    public override IReadOnlyList<DriveRecord> ListDrives()
    {
        using var connection = OpenConnection();
        using var command = new NpgsqlCommand("""
            SELECT device_number, model, state, volser, updated_at, server FROM drives
            WHERE @server = '' OR server = @server ORDER BY device_number, server
            """, connection);
        command.Parameters.AddWithValue("server", ServerName);
        using var reader = command.ExecuteReader();
        var drives = new List<DriveRecord>();
        while (reader.Read())
        {
            drives.Add(new DriveRecord(
                (ushort)reader.GetInt32(0),
                (TapeModel)reader.GetInt32(1),
                ParseDriveState(reader.GetString(2), reader.GetInt32(0)),
                reader.IsDBNull(3) ? null : CatalogRows.ReadSerial(reader.GetString(3)),
                CatalogTime.Parse(reader.GetString(4)),
                reader.GetString(5)));
        }

        return drives;
    }

    public override CatalogSyncResult SyncFromConfiguration(LibraryConfiguration configuration)
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction();
        long volumesAdded = 0;
        foreach (var pool in configuration.Pools)
        {
            volumesAdded += InsertVolumes(
                connection,
                transaction,
                pool.Volumes,
                new NewVolumes(pool.Name, pool.Media, pool.Capacity, pool.Labels, pool.Scratch, configuration.Storage.Format.Kind)).Added;
        }

        var existing = new Dictionary<int, int>();
        using (var command = new NpgsqlCommand("SELECT device_number, model FROM drives WHERE server = @server", connection, transaction))
        {
            command.Parameters.AddWithValue("server", ServerName);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                existing[reader.GetInt32(0)] = reader.GetInt32(1);
            }
        }

        int drivesAdded = 0, drivesUpdated = 0, drivesRemoved = 0;
        var now = CatalogTime.Format(_time.GetUtcNow());
        foreach (var drive in configuration.Drives)
        {
            if (!existing.TryGetValue(drive.DeviceNumber, out var model))
            {
                drivesAdded += Execute(
                    connection,
                    transaction,
                    "INSERT INTO drives (server, device_number, model, state, updated_at) VALUES (@server, @device, @model, 'empty', @now) ON CONFLICT DO NOTHING",
                    ("server", ServerName), ("device", (int)drive.DeviceNumber), ("model", (int)drive.Model), ("now", now));
            }
            else if (model != (int)drive.Model)
            {
                drivesUpdated += Execute(
                    connection,
                    transaction,
                    "UPDATE drives SET model = @model, updated_at = @now WHERE server = @server AND device_number = @device",
                    ("server", ServerName), ("device", (int)drive.DeviceNumber), ("model", (int)drive.Model), ("now", now));
            }
        }

        var configured = configuration.Drives.Select(d => (int)d.DeviceNumber).ToHashSet();
        foreach (var device in existing.Keys.Where(d => !configured.Contains(d)))
        {
            drivesRemoved += Execute(
                connection,
                transaction,
                "DELETE FROM drives WHERE server = @server AND device_number = @device AND state = 'empty'",
                ("server", ServerName), ("device", device));
        }

        transaction.Commit();
        return new CatalogSyncResult(volumesAdded, drivesAdded, drivesUpdated, drivesRemoved);
    }

    // ---- helpers

    private NpgsqlConnection OpenConnection() => _dataSource.OpenConnection();

    private int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var connection = OpenConnection();
        return Execute(connection, null, sql, parameters);
    }

    private static int Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(Parameter(name, value));
        }

        return command.ExecuteNonQuery();
    }

    private static NpgsqlParameter Parameter(string name, object? value) => value switch
    {
        null => new NpgsqlParameter(name, DBNull.Value),
        _ => new NpgsqlParameter(name, value),
    };

    private static VolumeStatus? VolumeStatusOf(NpgsqlConnection connection, NpgsqlTransaction transaction, VolumeSerial serial)
    {
        using var command = new NpgsqlCommand("SELECT status FROM volumes WHERE volser = @volser FOR UPDATE", connection, transaction);
        command.Parameters.AddWithValue("volser", serial.Value);
        return command.ExecuteScalar() is string text ? CatalogRows.ParseStatus(text) : null;
    }

    private static VolumeRecord? FindVolume(NpgsqlConnection connection, NpgsqlTransaction? transaction, VolumeSerial serial, bool forUpdate)
    {
        using var command = new NpgsqlCommand(
            $"SELECT {VolumeColumns} FROM volumes WHERE volser = @volser{(forUpdate ? " FOR UPDATE" : "")}", connection, transaction);
        command.Parameters.AddWithValue("volser", serial.Value);
        using var reader = command.ExecuteReader();
        return reader.Read() ? CatalogRows.ReadVolume(reader) : null;
    }

    private static DriveState ParseDriveState(string text, int device) => text switch
    {
        "empty" => DriveState.Empty,
        "mounting" => DriveState.Mounting,
        "loaded" => DriveState.Loaded,
        _ => throw new InvalidDataException($"catalog drive {device:X4} has unknown state '{text}'"),
    };
}
