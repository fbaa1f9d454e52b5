using ChannelTape.Labels;
using Npgsql;

namespace ChannelTape.Library.Catalog;

/// <summary>
/// Server leases on the catalog's clock (<c>now()</c> of the database, so the servers' own clocks do not
/// matter): a server renews its lease every third of its length; once the lease has run out, any other
/// server ends its mounts, and the server itself, finding it cannot renew, fences its drives.
/// </summary>
public sealed partial class PostgresCatalog
{
    public override void RegisterServer(TimeSpan lease)
    {
        Execute("""
            INSERT INTO servers (name, started_at, lease_until) VALUES (@server, now(), now() + @lease)
            ON CONFLICT (name) DO UPDATE SET started_at = now(), lease_until = now() + @lease
            """, ("server", ServerName), ("lease", lease));
    }

    public override bool RenewLease(TimeSpan lease) =>
        Execute("UPDATE servers SET lease_until = now() + @lease WHERE name = @server AND lease_until > now()",
            ("server", ServerName), ("lease", lease)) == 1;

    public override void UnregisterServer() => Execute("DELETE FROM servers WHERE name = @server", ("server", ServerName));

    public override IReadOnlyList<ReleasedLease> ReleaseExpiredLeases()
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction();
        var expired = new List<string>();
        // SKIP LOCKED: when several servers reap at once, each server's mounts are released by one of them.
        using (var command = new NpgsqlCommand(
            "SELECT name FROM servers WHERE lease_until <= now() AND name <> @server ORDER BY name FOR UPDATE SKIP LOCKED", connection, transaction))
        {
            command.Parameters.AddWithValue("server", ServerName);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                expired.Add(reader.GetString(0));
            }
        }

        var released = new List<ReleasedLease>();
        foreach (var server in expired)
        {
            var freed = new List<VolumeSerial>();
            var kept = new List<VolumeSerial>();
            var mounts = new List<(long Id, string Volser, bool Dirty)>();
            using (var command = new NpgsqlCommand("""
                SELECT m.id, m.volser, coalesce(v.dirty, false) FROM mount_history m LEFT JOIN volumes v ON v.volser = m.volser
                WHERE m.server = @server AND m.unmounted_at IS NULL ORDER BY m.id
                """, connection, transaction))
            {
                command.Parameters.AddWithValue("server", server);
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    mounts.Add((reader.GetInt64(0), reader.GetString(1), reader.GetBoolean(2)));
                }
            }

            foreach (var (id, volser, dirty) in mounts)
            {
                // A mounted-dirty volume's newest image is only in that server's cache: it stays held
                // until the server comes back and uploads it (docs/scale-out.md, failure cases).
                if (dirty)
                {
                    kept.Add(CatalogRows.ReadSerial(volser));
                    continue;
                }

                EndMount(connection, transaction, id);
                freed.Add(CatalogRows.ReadSerial(volser));
            }

            if (kept.Count == 0)
            {
                Execute(connection, transaction, "DELETE FROM servers WHERE name = @server", ("server", server));
            }

            if (freed.Count > 0 || kept.Count > 0)
            {
                released.Add(new ReleasedLease(server, freed, kept));
            }
        }

        transaction.Commit();
        return released;
    }

    public override IReadOnlyList<ServerLease> Servers()
    {
        using var connection = OpenConnection();
        using var command = new NpgsqlCommand("SELECT name, started_at, lease_until, lease_until <= now() FROM servers ORDER BY name", connection);
        using var reader = command.ExecuteReader();
        var servers = new List<ServerLease>();
        while (reader.Read())
        {
            servers.Add(new ServerLease(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetBoolean(3)));
        }

        return servers;
    }
}
