using Microsoft.Data.Sqlite;

namespace ChannelTape.Library.Catalog;

/// <summary>A catalog row that could not be read, set aside at start (issue 13, item 6).</summary>
/// <param name="Table">The table it was in.</param>
/// <param name="Key">Its key as stored (a volume serial, a mount id, a device number).</param>
/// <param name="Reason">Why it could not be read.</param>
public sealed record QuarantinedRow(string Table, string Key, string Reason);

/// <summary>
/// One bad row must not stop the library: at start every row of volumes, mount history and drives is
/// read as the library reads it; a volume or mount row that does not read (an invalid serial, an
/// image path not derived from the serial, a timestamp that does not parse, a media or label type
/// this build does not know) is moved, whole (as JSON), into <c>quarantine</c> and reported, and the
/// rest is served. A drive row is the configuration's and is simply reset. A quarantined serial is
/// not re-created from the configuration, and a mount of it is refused, naming the quarantine. (The
/// shared catalog on PostgreSQL checks its rows with constraints instead and has no quarantine.)
/// </summary>
public sealed partial class SqliteCatalog
{
    /// <summary>Sets aside every row that cannot be read; returns what it set aside (empty when all read).</summary>
    public override IReadOnlyList<QuarantinedRow> QuarantineBadRows()
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        var found = new List<QuarantinedRow>();
        foreach (var (key, reason) in BadRows(connection, transaction, "SELECT " + VolumeColumns + " FROM volumes", reader => CatalogRows.ReadVolume(reader)))
        {
            Move(connection, transaction, "volumes", "volser", key, reason, VolumeColumns);
            found.Add(new QuarantinedRow("volumes", key, reason));
        }

        foreach (var (key, reason) in BadRows(connection, transaction, "SELECT " + MountColumns + " FROM mount_history", reader => CatalogRows.ReadMount(reader)))
        {
            Move(connection, transaction, "mount_history", "id", key, reason, MountColumns + ", previous_status");
            found.Add(new QuarantinedRow("mount_history", key, reason));
        }

        foreach (var (key, reason) in BadRows(connection, transaction, "SELECT device_number, model, state, volser, updated_at FROM drives",
                     reader => CatalogTime.Parse(reader.GetString(4))))
        {
            Execute(connection, transaction, "UPDATE drives SET state = 'empty', volser = NULL, updated_at = $now WHERE device_number = $key",
                ("$now", CatalogTime.Format(_time.GetUtcNow())), ("$key", key));
            found.Add(new QuarantinedRow("drives", key, reason + " (reset)"));
        }

        transaction.Commit();
        return found;
    }

    /// <summary>The rows set aside so far, newest first.</summary>
    public override IReadOnlyList<QuarantinedRow> ListQuarantine()
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT table_name, row_key, reason FROM quarantine ORDER BY id DESC";
        using var reader = command.ExecuteReader();
        var rows = new List<QuarantinedRow>();
        while (reader.Read())
        {
            rows.Add(new QuarantinedRow(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return rows;
    }

    /// <summary>Why <paramref name="serial"/> (as the host wrote it) is quarantined; null when it is not.</summary>
    public override string? QuarantineReason(string serial)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT reason FROM quarantine WHERE table_name = 'volumes' AND row_key = $key ORDER BY id DESC LIMIT 1";
        command.Parameters.AddWithValue("$key", serial);
        return command.ExecuteScalar() as string;
    }

    private static List<(string Key, string Reason)> BadRows(SqliteConnection connection, SqliteTransaction transaction, string sql,
        Func<SqliteDataReader, object> read)
    {
        var bad = new List<(string, string)>();
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            try
            {
                read(reader);
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or InvalidCastException or OverflowException or ArgumentException)
            {
                bad.Add((Convert.ToString(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture) ?? "", e.Message));
            }
        }

        return bad;
    }

    private void Move(SqliteConnection connection, SqliteTransaction transaction, string table, string keyColumn, string key, string reason, string columns)
    {
        var json = "json_object(" + string.Join(", ", columns.Split(',', StringSplitOptions.TrimEntries).Select(c => $"'{c}', {c}")) + ")";
        Execute(connection, transaction,
            $"INSERT INTO quarantine (table_name, row_key, reason, row_json, quarantined_at) SELECT '{table}', $key, $reason, {json}, $now FROM {table} WHERE {keyColumn} = $key",
            ("$key", key), ("$reason", reason), ("$now", CatalogTime.Format(_time.GetUtcNow())));
        Execute(connection, transaction, $"DELETE FROM {table} WHERE {keyColumn} = $key", ("$key", key));
    }
}
