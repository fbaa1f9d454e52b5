using System.Globalization;
using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Library.Configuration;
using Microsoft.Data.Sqlite;

namespace ChannelTape.Library.Catalog;

/// <summary>Mounts: scratch allocation and specific mounts in IMMEDIATE transactions, their completion and end, the mount history.</summary>
public sealed partial class SqliteCatalog
{
    /// <summary>
    /// Takes the least recently mounted writable scratch volume of <paramref name="pool"/> for the
    /// drive <paramref name="deviceNumber"/> and starts its mount, atomically: the IMMEDIATE
    /// transaction holds the write lock from the first read, so no other connection can take the
    /// same volume.
    /// </summary>
    public override MountStart TryAllocateScratch(string pool, ushort deviceNumber)
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        var refusal = CheckDriveEmpty(connection, transaction, deviceNumber);
        if (refusal != MountRefusal.None)
        {
            return new MountStart(refusal, 0, null);
        }

        using var take = connection.CreateCommand();
        take.Transaction = transaction;
        take.CommandText = """
            UPDATE volumes SET status = 'mounted', mounted_on = $device
            WHERE volser = (SELECT volser FROM volumes
                            WHERE pool = $pool AND status = 'scratch' AND read_only = 0
                            ORDER BY last_mounted_at, volser LIMIT 1)
            RETURNING volser
            """;
        take.Parameters.AddWithValue("$device", (int)deviceNumber);
        take.Parameters.AddWithValue("$pool", pool);
        if (take.ExecuteScalar() is not string volser)
        {
            return new MountStart(MountRefusal.NoScratchVolume, 0, null);
        }

        var serial = CatalogRows.ReadSerial(volser);
        var mountId = StartMount(connection, transaction, serial, deviceNumber, scratchRequest: true, VolumeStatus.Scratch);
        var volume = FindVolume(connection, transaction, serial);
        transaction.Commit();
        return new MountStart(MountRefusal.None, mountId, volume);
    }

    /// <summary>Starts the mount of a specific volume on a drive (a Load Display mount by serial, or an operator mount).</summary>
    public override MountStart BeginMount(VolumeSerial serial, ushort deviceNumber)
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        var refusal = CheckDriveEmpty(connection, transaction, deviceNumber);
        if (refusal != MountRefusal.None)
        {
            return new MountStart(refusal, 0, null);
        }

        var status = VolumeStatusOf(connection, transaction, serial);
        if (status is null)
        {
            return new MountStart(MountRefusal.UnknownVolume, 0, null);
        }

        if (status == VolumeStatus.Mounted)
        {
            return new MountStart(MountRefusal.VolumeMounted, 0, FindVolume(connection, transaction, serial));
        }

        using var take = connection.CreateCommand();
        take.Transaction = transaction;
        take.CommandText = "UPDATE volumes SET status = 'mounted', mounted_on = $device WHERE volser = $volser";
        take.Parameters.AddWithValue("$device", (int)deviceNumber);
        take.Parameters.AddWithValue("$volser", serial.Value);
        take.ExecuteNonQuery();
        var mountId = StartMount(connection, transaction, serial, deviceNumber, scratchRequest: false, status.Value);
        var volume = FindVolume(connection, transaction, serial);
        transaction.Commit();
        return new MountStart(MountRefusal.None, mountId, volume);
    }

    /// <summary>The volume of mount <paramref name="mountId"/> is ready on its drive: counts the mount. False if the mount is not pending.</summary>
    public override bool CompleteMount(long mountId)
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        var mount = FindMount(connection, transaction, mountId);
        if (mount is null || mount.MountedAt is not null || mount.UnmountedAt is not null)
        {
            return false;
        }

        var now = CatalogTime.Format(_time.GetUtcNow());
        Execute(connection, transaction, "UPDATE mount_history SET mounted_at = $now WHERE id = $id", ("$now", now), ("$id", mountId));
        Execute(
            connection,
            transaction,
            "UPDATE volumes SET last_mounted_at = $now, mount_count = mount_count + 1 WHERE volser = $volser",
            ("$now", now),
            ("$volser", mount.Serial.Value));
        Execute(
            connection,
            transaction,
            "UPDATE drives SET state = 'loaded', updated_at = $now WHERE device_number = $device",
            ("$now", now),
            ("$device", (int)mount.DeviceNumber));
        transaction.Commit();
        return true;
    }

    /// <summary>
    /// Ends mount <paramref name="mountId"/> (unload, demount, or a mount that failed before the
    /// volume was ready) and frees its drive. The volume becomes private if it was written during the
    /// mount (the host's data is on it now: a data set's labels are written when it is opened for
    /// output); otherwise it returns to the status it had before, so a scratch volume a host was handed
    /// and gave back unwritten (a cancelled job, a Load Display of a test) is scratch again. False if the
    /// mount had already ended.
    /// </summary>
    public override bool EndMount(long mountId, bool durable) => WithReserve(() =>
    {
        using var connection = OpenConnection(durable);
        using var transaction = connection.BeginTransaction(deferred: false);
        var ended = EndMount(connection, transaction, mountId);
        transaction.Commit();
        return ended;
    });

    /// <summary>Ends every open mount (after a restart nothing is on any drive). Returns how many.</summary>
    public override int EndAllMounts()
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        var open = new List<long>();
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = "SELECT id FROM mount_history WHERE unmounted_at IS NULL";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                open.Add(reader.GetInt64(0));
            }
        }

        foreach (var id in open)
        {
            EndMount(connection, transaction, id);
        }

        transaction.Commit();
        return open.Count;
    }

    /// <summary>The open mount on <paramref name="deviceNumber"/>, or null.</summary>
    public override MountRecord? OpenMount(ushort deviceNumber)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {MountColumns} FROM mount_history WHERE device_number = $device AND unmounted_at IS NULL";
        command.Parameters.AddWithValue("$device", (int)deviceNumber);
        using var reader = command.ExecuteReader();
        return reader.Read() ? CatalogRows.ReadMount(reader) : null;
    }

    /// <summary>Most recent mounts first, of one volume or all; at most <paramref name="limit"/>.</summary>
    public override IReadOnlyList<MountRecord> MountHistory(VolumeSerial? serial = null, int limit = 100)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {MountColumns} FROM mount_history
            WHERE $volser IS NULL OR volser = $volser
            ORDER BY id DESC LIMIT $limit
            """;
        command.Parameters.AddWithValue("$volser", serial is { } s ? s.Value : DBNull.Value);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var mounts = new List<MountRecord>();
        while (reader.Read())
        {
            mounts.Add(CatalogRows.ReadMount(reader));
        }

        return mounts;
    }

    /// <summary>Deletes the oldest ended mounts so that at most <paramref name="keep"/> ended ones remain; returns how many went.</summary>
    public override int PruneMountHistory(int keep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            DELETE FROM mount_history
            WHERE unmounted_at IS NOT NULL
              AND id NOT IN (SELECT id FROM mount_history WHERE unmounted_at IS NOT NULL ORDER BY id DESC LIMIT $keep)
            """;
        command.Parameters.AddWithValue("$keep", keep);
        return command.ExecuteNonQuery();
    }

    private long StartMount(SqliteConnection connection, SqliteTransaction transaction, VolumeSerial serial, ushort deviceNumber, bool scratchRequest, VolumeStatus previous)
    {
        var now = CatalogTime.Format(_time.GetUtcNow());
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO mount_history (volser, device_number, requested_at, scratch_request, previous_status)
            VALUES ($volser, $device, $now, $scratch, $previous)
            RETURNING id
            """;
        insert.Parameters.AddWithValue("$volser", serial.Value);
        insert.Parameters.AddWithValue("$device", (int)deviceNumber);
        insert.Parameters.AddWithValue("$now", now);
        insert.Parameters.AddWithValue("$scratch", scratchRequest ? 1 : 0);
        insert.Parameters.AddWithValue("$previous", CatalogRows.StatusText(previous));
        var id = (long)insert.ExecuteScalar()!;
        Execute(
            connection,
            transaction,
            "UPDATE drives SET state = 'mounting', volser = $volser, updated_at = $now WHERE device_number = $device",
            ("$volser", serial.Value),
            ("$now", now),
            ("$device", (int)deviceNumber));
        return id;
    }

    private bool EndMount(SqliteConnection connection, SqliteTransaction transaction, long mountId)
    {
        string volser;
        int device;
        string requestedAt;
        string previous;
        using (var command = connection.CreateCommand())
        {
            command.Transaction = transaction;
            command.CommandText = """
                SELECT volser, device_number, requested_at, mounted_at IS NOT NULL, scratch_request, previous_status
                FROM mount_history WHERE id = $id AND unmounted_at IS NULL
                """;
            command.Parameters.AddWithValue("$id", mountId);
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return false;
            }

            volser = reader.GetString(0);
            device = reader.GetInt32(1);
            requestedAt = reader.GetString(2);
            previous = reader.GetString(5);
        }

        var now = CatalogTime.Format(_time.GetUtcNow());
        Execute(connection, transaction, "UPDATE mount_history SET unmounted_at = $now WHERE id = $id", ("$now", now), ("$id", mountId));
        Execute(
            connection,
            transaction,
            """
            UPDATE volumes SET mounted_on = NULL,
                status = CASE WHEN last_written_at IS NOT NULL AND last_written_at >= $requested
                              THEN 'private' ELSE $previous END
            WHERE volser = $volser
            """,
            ("$requested", requestedAt),
            ("$previous", previous),
            ("$volser", volser));
        Execute(
            connection,
            transaction,
            "UPDATE drives SET state = 'empty', volser = NULL, updated_at = $now WHERE device_number = $device AND volser = $volser",
            ("$now", now),
            ("$device", device),
            ("$volser", volser));
        return true;
    }

    private static MountRefusal CheckDriveEmpty(SqliteConnection connection, SqliteTransaction transaction, ushort deviceNumber)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT state FROM drives WHERE device_number = $device";
        command.Parameters.AddWithValue("$device", (int)deviceNumber);
        return command.ExecuteScalar() switch
        {
            null => MountRefusal.UnknownDrive,
            "empty" => MountRefusal.None,
            _ => MountRefusal.DriveBusy,
        };
    }
}
