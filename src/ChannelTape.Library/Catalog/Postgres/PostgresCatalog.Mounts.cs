using ChannelTape.Labels;
using Npgsql;

namespace ChannelTape.Library.Catalog;

/// <summary>Mounts on the shared catalog: row locks instead of SQLite's one write lock.</summary>
public sealed partial class PostgresCatalog
{
    // A scratch row committed as taken by another server after this statement's snapshot is skipped by
    // the recheck of FOR UPDATE, so an allocation can find nothing while scratch volumes remain: it tries
    // again (each try takes a fresh snapshot).
    private const int ScratchAttempts = 8;

    public override MountStart TryAllocateScratch(string pool, ushort deviceNumber)
    {
        for (int attempt = 0; ; attempt++)
        {
            using var connection = OpenConnection();
            using var transaction = connection.BeginTransaction();
            var refusal = CheckDriveEmpty(connection, transaction, deviceNumber);
            if (refusal != MountRefusal.None)
            {
                return new MountStart(refusal, 0, null);
            }

            using var take = new NpgsqlCommand("""
                UPDATE volumes SET status = 'mounted', mounted_on = @device, mounted_by = @server
                WHERE volser = (SELECT volser FROM volumes
                                WHERE pool = @pool AND status = 'scratch' AND NOT read_only
                                ORDER BY last_mounted_at NULLS FIRST, volser LIMIT 1
                                FOR UPDATE SKIP LOCKED)
                RETURNING volser
                """, connection, transaction);
            take.Parameters.AddWithValue("device", (int)deviceNumber);
            take.Parameters.AddWithValue("server", ServerName);
            take.Parameters.AddWithValue("pool", pool);
            if (take.ExecuteScalar() is string volser)
            {
                var serial = CatalogRows.ReadSerial(volser);
                var mountId = StartMount(connection, transaction, serial, deviceNumber, scratchRequest: true, VolumeStatus.Scratch);
                var volume = FindVolume(connection, transaction, serial, forUpdate: false);
                transaction.Commit();
                return new MountStart(MountRefusal.None, mountId, volume);
            }

            transaction.Rollback();
            if (attempt + 1 >= ScratchAttempts || !ScratchLeft(pool))
            {
                return new MountStart(MountRefusal.NoScratchVolume, 0, null);
            }
        }
    }

    private bool ScratchLeft(string pool)
    {
        using var connection = OpenConnection();
        using var command = new NpgsqlCommand(
            "SELECT EXISTS (SELECT 1 FROM volumes WHERE pool = @pool AND status = 'scratch' AND NOT read_only)", connection);
        command.Parameters.AddWithValue("pool", pool);
        return command.ExecuteScalar() is true;
    }

    public override MountStart BeginMount(VolumeSerial serial, ushort deviceNumber)
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction();
        var refusal = CheckDriveEmpty(connection, transaction, deviceNumber);
        if (refusal != MountRefusal.None)
        {
            return new MountStart(refusal, 0, null);
        }

        // The volume's row stays locked until commit: a mount of the same volume anywhere waits, then sees it mounted.
        var volume = FindVolume(connection, transaction, serial, forUpdate: true);
        if (volume is null)
        {
            return new MountStart(MountRefusal.UnknownVolume, 0, null);
        }

        if (volume.Status == VolumeStatus.Mounted)
        {
            return new MountStart(MountRefusal.VolumeMounted, 0, volume);
        }

        Execute(connection, transaction, "UPDATE volumes SET status = 'mounted', mounted_on = @device, mounted_by = @server WHERE volser = @volser",
            ("device", (int)deviceNumber), ("server", ServerName), ("volser", serial.Value));
        var mountId = StartMount(connection, transaction, serial, deviceNumber, scratchRequest: false, volume.Status);
        volume = FindVolume(connection, transaction, serial, forUpdate: false);
        transaction.Commit();
        return new MountStart(MountRefusal.None, mountId, volume);
    }

    public override bool CompleteMount(long mountId)
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction();
        var mount = FindMount(connection, transaction, mountId);
        if (mount is null || mount.MountedAt is not null || mount.UnmountedAt is not null)
        {
            return false;
        }

        var now = CatalogTime.Format(_time.GetUtcNow());
        Execute(connection, transaction, "UPDATE mount_history SET mounted_at = @now WHERE id = @id", ("now", now), ("id", mountId));
        Execute(connection, transaction, "UPDATE volumes SET last_mounted_at = @now, mount_count = mount_count + 1 WHERE volser = @volser",
            ("now", now), ("volser", mount.Serial.Value));
        Execute(connection, transaction, "UPDATE drives SET state = 'loaded', updated_at = @now WHERE server = @server AND device_number = @device",
            ("now", now), ("server", mount.Server), ("device", (int)mount.DeviceNumber));
        transaction.Commit();
        return true;
    }

    /// <remarks>PostgreSQL commits wait for its write-ahead log (synchronous_commit): every end is durable.</remarks>
    public override bool EndMount(long mountId, bool durable)
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction();
        var ended = EndMount(connection, transaction, mountId);
        transaction.Commit();
        return ended;
    }

    public override int EndAllMounts()
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction();
        var open = OpenMountIds(connection, transaction, ServerName);
        foreach (var id in open)
        {
            EndMount(connection, transaction, id);
        }

        transaction.Commit();
        return open.Count;
    }

    public override MountRecord? OpenMount(ushort deviceNumber)
    {
        using var connection = OpenConnection();
        using var command = new NpgsqlCommand(
            $"SELECT {MountColumns} FROM mount_history WHERE server = @server AND device_number = @device AND unmounted_at IS NULL", connection);
        command.Parameters.AddWithValue("server", ServerName);
        command.Parameters.AddWithValue("device", (int)deviceNumber);
        using var reader = command.ExecuteReader();
        return reader.Read() ? CatalogRows.ReadMount(reader) : null;
    }

    public override IReadOnlyList<MountRecord> MountHistory(VolumeSerial? serial = null, int limit = 100)
    {
        using var connection = OpenConnection();
        using var command = new NpgsqlCommand($"""
            SELECT {MountColumns} FROM mount_history
            WHERE @volser::text IS NULL OR volser = @volser
            ORDER BY id DESC LIMIT @limit
            """, connection);
        command.Parameters.Add(new NpgsqlParameter("volser", NpgsqlTypes.NpgsqlDbType.Text) { Value = (object?)serial?.Value ?? DBNull.Value });
        command.Parameters.AddWithValue("limit", limit);
        return ReadMounts(command);
    }

    public override int PruneMountHistory(int keep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        return Execute("""
            DELETE FROM mount_history
            WHERE unmounted_at IS NOT NULL
              AND id NOT IN (SELECT id FROM mount_history WHERE unmounted_at IS NOT NULL ORDER BY id DESC LIMIT @keep)
            """, ("keep", keep));
    }

    public override IReadOnlyList<MountRecord> OpenMounts()
    {
        using var connection = OpenConnection();
        using var command = new NpgsqlCommand(
            $"SELECT {MountColumns} FROM mount_history WHERE unmounted_at IS NULL ORDER BY device_number, server, id", connection);
        return ReadMounts(command);
    }

    private static List<MountRecord> ReadMounts(NpgsqlCommand command)
    {
        using var reader = command.ExecuteReader();
        var mounts = new List<MountRecord>();
        while (reader.Read())
        {
            mounts.Add(CatalogRows.ReadMount(reader));
        }

        return mounts;
    }

    private static List<long> OpenMountIds(NpgsqlConnection connection, NpgsqlTransaction transaction, string server)
    {
        using var command = new NpgsqlCommand("SELECT id FROM mount_history WHERE server = @server AND unmounted_at IS NULL ORDER BY id", connection, transaction);
        command.Parameters.AddWithValue("server", server);
        using var reader = command.ExecuteReader();
        var open = new List<long>();
        while (reader.Read())
        {
            open.Add(reader.GetInt64(0));
        }

        return open;
    }

    private long StartMount(NpgsqlConnection connection, NpgsqlTransaction transaction, VolumeSerial serial, ushort deviceNumber, bool scratchRequest, VolumeStatus previous)
    {
        var now = CatalogTime.Format(_time.GetUtcNow());
        using var insert = new NpgsqlCommand("""
            INSERT INTO mount_history (volser, device_number, requested_at, scratch_request, previous_status, server)
            VALUES (@volser, @device, @now, @scratch, @previous, @server)
            RETURNING id
            """, connection, transaction);
        insert.Parameters.AddWithValue("volser", serial.Value);
        insert.Parameters.AddWithValue("device", (int)deviceNumber);
        insert.Parameters.AddWithValue("now", now);
        insert.Parameters.AddWithValue("scratch", scratchRequest);
        insert.Parameters.AddWithValue("previous", CatalogRows.StatusText(previous));
        insert.Parameters.AddWithValue("server", ServerName);
        var id = (long)insert.ExecuteScalar()!;
        Execute(connection, transaction,
            "UPDATE drives SET state = 'mounting', volser = @volser, updated_at = @now WHERE server = @server AND device_number = @device",
            ("volser", serial.Value), ("now", now), ("server", ServerName), ("device", (int)deviceNumber));
        return id;
    }

    private bool EndMount(NpgsqlConnection connection, NpgsqlTransaction transaction, long mountId)
    {
        string volser, requestedAt, previous, server;
        int device;
        bool completed, scratchRequest;
        using (var command = new NpgsqlCommand("""
            SELECT volser, device_number, requested_at, mounted_at IS NOT NULL, scratch_request, previous_status, server
            FROM mount_history WHERE id = @id AND unmounted_at IS NULL FOR UPDATE
            """, connection, transaction))
        {
            command.Parameters.AddWithValue("id", mountId);
            using var reader = command.ExecuteReader();
            if (!reader.Read())
            {
                return false;
            }

            volser = reader.GetString(0);
            device = reader.GetInt32(1);
            requestedAt = reader.GetString(2);
            completed = reader.GetBoolean(3);
            scratchRequest = reader.GetBoolean(4);
            previous = reader.GetString(5);
            server = reader.GetString(6);
        }

        var now = CatalogTime.Format(_time.GetUtcNow());
        Execute(connection, transaction, "UPDATE mount_history SET unmounted_at = @now WHERE id = @id", ("now", now), ("id", mountId));
        Execute(connection, transaction, """
            UPDATE volumes SET mounted_on = NULL, mounted_by = NULL,
                status = CASE WHEN (@handedOut AND @completed) OR (last_written_at IS NOT NULL AND last_written_at >= @requested)
                              THEN 'private' ELSE @previous END
            WHERE volser = @volser
            """,
            ("handedOut", scratchRequest), ("completed", completed), ("requested", requestedAt), ("previous", previous), ("volser", volser));
        Execute(connection, transaction,
            "UPDATE drives SET state = 'empty', volser = NULL, updated_at = @now WHERE server = @server AND device_number = @device AND volser = @volser",
            ("now", now), ("server", server), ("device", device), ("volser", volser));
        return true;
    }

    private MountRefusal CheckDriveEmpty(NpgsqlConnection connection, NpgsqlTransaction transaction, ushort deviceNumber)
    {
        using var command = new NpgsqlCommand(
            "SELECT state FROM drives WHERE server = @server AND device_number = @device FOR UPDATE", connection, transaction);
        command.Parameters.AddWithValue("server", ServerName);
        command.Parameters.AddWithValue("device", (int)deviceNumber);
        return command.ExecuteScalar() switch
        {
            null => MountRefusal.UnknownDrive,
            "empty" => MountRefusal.None,
            _ => MountRefusal.DriveBusy,
        };
    }

    private static MountRecord? FindMount(NpgsqlConnection connection, NpgsqlTransaction transaction, long mountId)
    {
        using var command = new NpgsqlCommand($"SELECT {MountColumns} FROM mount_history WHERE id = @id", connection, transaction);
        command.Parameters.AddWithValue("id", mountId);
        using var reader = command.ExecuteReader();
        return reader.Read() ? CatalogRows.ReadMount(reader) : null;
    }
}
