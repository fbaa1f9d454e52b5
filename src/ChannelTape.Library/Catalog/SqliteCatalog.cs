using System.Globalization;
using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Library.Configuration;
using Microsoft.Data.Sqlite;

namespace ChannelTape.Library.Catalog;

/// <summary>
/// The embedded catalog: volumes, drives and mount history in SQLite (<c>DATA/catalog.db</c>, WAL), for
/// one server. Every method opens its own (pooled) connection, so one instance may be shared by threads and
/// several processes may use the same file. Changes that must not interleave (scratch allocation,
/// mounts) run in IMMEDIATE transactions: the write lock is taken before anything is read, so two
/// drives never get the same volume.
/// </summary>
public sealed partial class SqliteCatalog : LibraryCatalog
{
    private const string VolumeColumns =
        "volser, pool, status, media, capacity, bytes_used, blocks, dataset_name, labels, created_at, " +
        "last_mounted_at, last_written_at, mount_count, image_path, read_only, mounted_on, " +
        "store_key, store_etag, store_size, store_sha256, dirty, mounted_by";

    private const string MountColumns = "id, volser, device_number, requested_at, mounted_at, unmounted_at, scratch_request, server";

    private readonly string _connectionString;
    private readonly TimeProvider _time;

    private SqliteCatalog(StorageLayout layout, TimeProvider time, int schemaVersion, IReadOnlyList<int> newerVersions)
        : base(layout, schemaVersion, serverName: "")
    {
        _time = time;
        _connectionString = ConnectionString(layout);
        NewerSchemaVersions = newerVersions;
    }

    public override IReadOnlyList<int> NewerSchemaVersions { get; }

    public override string Description => $"SQLite {Layout.CatalogPath}";

    /// <summary>
    /// Opens (creating if needed) the catalog in <paramref name="dataDirectory"/>, switches it to WAL
    /// and applies pending migrations.
    /// </summary>
    /// <param name="dataDirectory">Data directory (created if missing).</param>
    /// <param name="time">Clock for timestamps (tests pass a fake one).</param>
    public static new SqliteCatalog Open(string dataDirectory, TimeProvider? time = null)
    {
        var layout = new StorageLayout(dataDirectory);
        Directory.CreateDirectory(layout.DataDirectory);
        time ??= TimeProvider.System;
        using var connection = new SqliteConnection(ConnectionString(layout));
        connection.Open();
        Configure(connection);
        using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL";
            wal.ExecuteNonQuery();
        }

        var version = CatalogMigrations.Apply(connection, time, out var newer);
        return new SqliteCatalog(layout, time, version, newer);
    }

    // ---- volumes

    /// <summary>
    /// Adds every serial of <paramref name="ranges"/> that is not yet in the catalog, in one
    /// transaction. Existing volumes are left as they are.
    /// </summary>
    /// <returns>Volumes added and volumes that already existed.</returns>
    public override (long Added, long Existing) AddVolumes(IEnumerable<VolumeRange> ranges, NewVolumes volumes)
    {
        if (!PoolNames.IsValid(volumes.Pool))
        {
            throw new ArgumentException($"invalid pool name '{volumes.Pool}'", nameof(volumes));
        }

        if (volumes.Capacity <= 0)
        {
            throw new ArgumentException("capacity must be more than 0", nameof(volumes));
        }

        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        var (added, existing) = InsertVolumes(connection, transaction, ranges, volumes);
        transaction.Commit();
        return (added, existing);
    }

    private (long Added, long Existing) InsertVolumes(SqliteConnection connection, SqliteTransaction transaction, IEnumerable<VolumeRange> ranges, NewVolumes volumes)
    {
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT OR IGNORE INTO volumes (volser, pool, status, media, capacity, labels, created_at, image_path)
            SELECT $volser, $pool, $status, $media, $capacity, $labels, $created, $image
            WHERE NOT EXISTS (SELECT 1 FROM quarantine WHERE table_name = 'volumes' AND row_key = $volser)
            """;
        var volser = insert.Parameters.Add("$volser", SqliteType.Text);
        var image = insert.Parameters.Add("$image", SqliteType.Text);
        insert.Parameters.AddWithValue("$pool", volumes.Pool);
        insert.Parameters.AddWithValue("$status", volumes.Scratch ? "scratch" : "private");
        insert.Parameters.AddWithValue("$media", MediaTypes.Name(volumes.Media));
        insert.Parameters.AddWithValue("$capacity", volumes.Capacity);
        insert.Parameters.AddWithValue("$labels", LabelTypes.Name(volumes.Labels));
        insert.Parameters.AddWithValue("$created", CatalogTime.Format(_time.GetUtcNow()));
        insert.Prepare();

        long added = 0, existing = 0;
        foreach (var range in ranges)
        {
            foreach (var serial in range.Serials())
            {
                volser.Value = serial.Value;
                image.Value = StorageLayout.RelativeImagePath(serial, volumes.Format);
                if (insert.ExecuteNonQuery() == 1)
                {
                    added++;
                }
                else
                {
                    existing++;
                }
            }
        }

        return (added, existing);
    }

    /// <summary>The volume with serial <paramref name="serial"/>, or null.</summary>
    public override VolumeRecord? FindVolume(VolumeSerial serial)
    {
        using var connection = OpenConnection();
        return FindVolume(connection, null, serial);
    }

    /// <summary>
    /// Volumes in serial order, streamed: memory does not grow with the catalog. The connection
    /// stays open until the enumeration ends or is disposed.
    /// </summary>
    public override IEnumerable<VolumeRecord> EnumerateVolumes(string? pool = null, VolumeStatus? status = null)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {VolumeColumns} FROM volumes
            WHERE ($pool IS NULL OR pool = $pool) AND ($status IS NULL OR status = $status)
            ORDER BY volser
            """;
        command.Parameters.AddWithValue("$pool", (object?)pool ?? DBNull.Value);
        command.Parameters.AddWithValue("$status", status is { } s ? CatalogRows.StatusText(s) : DBNull.Value);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            yield return CatalogRows.ReadVolume(reader);
        }
    }

    /// <summary>Number of volumes per pool and status, pools in name order.</summary>
    public override IReadOnlyList<PoolCounts> CountByPool()
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT pool,
                   sum(status = 'scratch'), sum(status = 'private'), sum(status = 'mounted')
            FROM volumes GROUP BY pool ORDER BY pool
            """;
        using var reader = command.ExecuteReader();
        var counts = new List<PoolCounts>();
        while (reader.Read())
        {
            counts.Add(new PoolCounts(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
        }

        return counts;
    }

    /// <summary>Makes a volume scratch (<paramref name="scratch"/> true) or private; refused while it is mounted.</summary>
    public override VolumeChange SetScratch(VolumeSerial serial, bool scratch) =>
        ChangeUnmountedVolume(serial, "status = $value", scratch ? "scratch" : "private");

    /// <summary>Moves a volume to another pool; refused while it is mounted.</summary>
    public override VolumeChange MoveToPool(VolumeSerial serial, string pool)
    {
        if (!PoolNames.IsValid(pool))
        {
            throw new ArgumentException($"invalid pool name '{pool}'", nameof(pool));
        }

        return ChangeUnmountedVolume(serial, "pool = $value", pool);
    }

    /// <summary>Sets or clears the read-only flag (allowed while mounted; it applies to the next mount).</summary>
    public override VolumeChange SetReadOnly(VolumeSerial serial, bool readOnly)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE volumes SET read_only = $value WHERE volser = $volser";
        command.Parameters.AddWithValue("$value", readOnly ? 1 : 0);
        command.Parameters.AddWithValue("$volser", serial.Value);
        return command.ExecuteNonQuery() == 1 ? VolumeChange.Changed : VolumeChange.NotFound;
    }

    /// <summary>Records what is on a volume after it was written: bytes, blocks, first data set name; last written = now.</summary>
    public override VolumeChange RecordWrite(VolumeSerial serial, long bytesUsed, long blocks, string? dataSetName, LabelType? labels, bool durable) => WithReserve(() =>
    {
        using var connection = OpenConnection(durable);
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE volumes SET bytes_used = $bytes, blocks = $blocks, dataset_name = $dsn, last_written_at = $now,
                labels = coalesce($labels, labels)
            WHERE volser = $volser
            """;
        command.Parameters.AddWithValue("$labels", labels is { } l ? LabelTypes.Name(l) : DBNull.Value);
        command.Parameters.AddWithValue("$bytes", bytesUsed);
        command.Parameters.AddWithValue("$blocks", blocks);
        command.Parameters.AddWithValue("$dsn", (object?)dataSetName ?? DBNull.Value);
        command.Parameters.AddWithValue("$now", CatalogTime.Format(_time.GetUtcNow()));
        command.Parameters.AddWithValue("$volser", serial.Value);
        return command.ExecuteNonQuery() == 1 ? VolumeChange.Changed : VolumeChange.NotFound;
    });

    private VolumeChange ChangeUnmountedVolume(VolumeSerial serial, string assignment, string value)
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        var status = VolumeStatusOf(connection, transaction, serial);
        if (status is null)
        {
            return VolumeChange.NotFound;
        }

        if (status == VolumeStatus.Mounted)
        {
            return VolumeChange.Mounted;
        }

        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"UPDATE volumes SET {assignment} WHERE volser = $volser";
        command.Parameters.AddWithValue("$value", value);
        command.Parameters.AddWithValue("$volser", serial.Value);
        command.ExecuteNonQuery();
        transaction.Commit();
        return VolumeChange.Changed;
    }

    // ---- drives and configuration

    /// <summary>Drives in device number order.</summary>
    public override IReadOnlyList<DriveRecord> ListDrives()
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT device_number, model, state, volser, updated_at FROM drives ORDER BY device_number";
        using var reader = command.ExecuteReader();
        var drives = new List<DriveRecord>();
        while (reader.Read())
        {
            drives.Add(new DriveRecord(
                (ushort)reader.GetInt32(0),
                (TapeModel)reader.GetInt32(1),
                reader.GetString(2) switch
                {
                    "empty" => DriveState.Empty,
                    "mounting" => DriveState.Mounting,
                    "loaded" => DriveState.Loaded,
                    var other => throw new InvalidDataException($"catalog drive {reader.GetInt32(0):X4} has unknown state '{other}'"),
                },
                reader.IsDBNull(3) ? null : CatalogRows.ReadSerial(reader.GetString(3)),
                CatalogTime.Parse(reader.GetString(4))));
        }

        return drives;
    }

    /// <summary>
    /// Makes the catalog agree with <paramref name="configuration"/>, in one transaction: every
    /// serial of every pool range gets a volume row if it has none (existing volumes keep their
    /// pool, status and contents); configured drives are added or get their model updated; drives
    /// no longer configured are removed unless a volume is on them.
    /// </summary>
    public override CatalogSyncResult SyncFromConfiguration(LibraryConfiguration configuration)
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        long volumesAdded = 0;
        foreach (var pool in configuration.Pools)
        {
            var (added, _) = InsertVolumes(
                connection,
                transaction,
                pool.Volumes,
                new NewVolumes(pool.Name, pool.Media, pool.Capacity, pool.Labels, pool.Scratch, configuration.Storage.Format.Kind));
            volumesAdded += added;
        }

        var existing = new Dictionary<int, int>();
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT device_number, model FROM drives";
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
                Execute(
                    connection,
                    transaction,
                    "INSERT INTO drives (device_number, model, state, updated_at) VALUES ($device, $model, 'empty', $now)",
                    ("$device", (int)drive.DeviceNumber),
                    ("$model", (int)drive.Model),
                    ("$now", now));
                drivesAdded++;
            }
            else if (model != (int)drive.Model)
            {
                Execute(
                    connection,
                    transaction,
                    "UPDATE drives SET model = $model, updated_at = $now WHERE device_number = $device",
                    ("$device", (int)drive.DeviceNumber),
                    ("$model", (int)drive.Model),
                    ("$now", now));
                drivesUpdated++;
            }
        }

        var configured = configuration.Drives.Select(d => (int)d.DeviceNumber).ToHashSet();
        foreach (var device in existing.Keys.Where(d => !configured.Contains(d)))
        {
            drivesRemoved += Execute(
                connection,
                transaction,
                "DELETE FROM drives WHERE device_number = $device AND state = 'empty'",
                ("$device", device));
        }

        transaction.Commit();
        return new CatalogSyncResult(volumesAdded, drivesAdded, drivesUpdated, drivesRemoved);
    }

    // ---- helpers

    private static string ConnectionString(StorageLayout layout) => new SqliteConnectionStringBuilder
    {
        DataSource = layout.CatalogPath,
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = 60,
    }.ToString();

    private SqliteConnection OpenConnection() => OpenConnection(durable: false);

    /// <summary>A connection; <paramref name="durable"/>: its commits wait for the disk (<c>synchronous = FULL</c>).</summary>
    private SqliteConnection OpenConnection(bool durable)
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        Configure(connection);
        if (durable)
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA synchronous = FULL";
            command.ExecuteNonQuery();
        }

        return connection;
    }

    /// <summary>
    /// Keeps <see cref="StorageLayout.ReservePath"/> (a few MiB the catalog may give up) in place; false when the
    /// disk has no room for it. Called at start and after a mount, so the next unload on a full disk can commit.
    /// </summary>
    public override bool EnsureReserve()
    {
        var path = Layout.ReservePath;
        try
        {
            if (File.Exists(path) && new FileInfo(path).Length == StorageLayout.ReserveBytes)
            {
                return true;
            }

            using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
            file.Write(new byte[StorageLayout.ReserveBytes]);
            file.Flush(flushToDisk: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(path);
            return false;
        }
    }

    /// <summary>
    /// Runs a commit that must happen (an unload recorded): on a full disk gives up the space reserve and
    /// tries once more, so the catalog still matches the drives; the reserve is made again when there is room.
    /// </summary>
    private T WithReserve<T>(Func<T> commit)
    {
        try
        {
            return commit();
        }
        catch (Exception e) when (IsDiskFull(e) && File.Exists(Layout.ReservePath))
        {
            TryDelete(Layout.ReservePath);
            OnReserveUsed();
            return commit();
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing more to give.
        }
    }

    // busy_timeout: writers wait for each other instead of failing; NORMAL is durable across a
    // process crash in WAL mode (only a power loss can lose the last commits).
    private static void Configure(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA busy_timeout = 60000; PRAGMA synchronous = NORMAL";
        command.ExecuteNonQuery();
    }

    private static int Execute(SqliteConnection connection, SqliteTransaction transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command.ExecuteNonQuery();
    }

    private static VolumeStatus? VolumeStatusOf(SqliteConnection connection, SqliteTransaction transaction, VolumeSerial serial)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT status FROM volumes WHERE volser = $volser";
        command.Parameters.AddWithValue("$volser", serial.Value);
        return command.ExecuteScalar() is string text ? CatalogRows.ParseStatus(text) : null;
    }

    private static VolumeRecord? FindVolume(SqliteConnection connection, SqliteTransaction? transaction, VolumeSerial serial)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {VolumeColumns} FROM volumes WHERE volser = $volser";
        command.Parameters.AddWithValue("$volser", serial.Value);
        using var reader = command.ExecuteReader();
        return reader.Read() ? CatalogRows.ReadVolume(reader) : null;
    }

    private static MountRecord? FindMount(SqliteConnection connection, SqliteTransaction transaction, long mountId)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT {MountColumns} FROM mount_history WHERE id = $id";
        command.Parameters.AddWithValue("$id", mountId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? CatalogRows.ReadMount(reader) : null;
    }
}
