using Microsoft.Data.Sqlite;

namespace ChannelTape.Library.Catalog;

/// <summary>
/// Numbered schema migrations. Each runs once, in order, in its own IMMEDIATE transaction that
/// also records it in <c>schema_migrations</c>; a catalog written by a newer ctape (a version this
/// build does not know) is refused rather than guessed at. Append new migrations; never edit one
/// that has shipped.
/// </summary>
internal static class CatalogMigrations
{
    public static readonly IReadOnlyList<(int Version, string Name, string Sql)> All =
    [
        (1, "volumes, drives, mount history", """
            CREATE TABLE volumes (
                volser          TEXT PRIMARY KEY NOT NULL CHECK (length(volser) = 6),
                pool            TEXT NOT NULL,
                status          TEXT NOT NULL CHECK (status IN ('scratch', 'private', 'mounted')),
                media           TEXT NOT NULL,
                capacity        INTEGER NOT NULL CHECK (capacity > 0),
                bytes_used      INTEGER NOT NULL DEFAULT 0,
                blocks          INTEGER NOT NULL DEFAULT 0,
                dataset_name    TEXT,
                labels          TEXT NOT NULL,
                created_at      TEXT NOT NULL,
                last_mounted_at TEXT,
                last_written_at TEXT,
                mount_count     INTEGER NOT NULL DEFAULT 0,
                image_path      TEXT NOT NULL,
                read_only       INTEGER NOT NULL DEFAULT 0,
                mounted_on      INTEGER
            ) WITHOUT ROWID;
            -- Scratch allocation: least recently mounted scratch volume of a pool (never-mounted first).
            CREATE INDEX volumes_by_pool_status ON volumes (pool, status, last_mounted_at, volser);

            CREATE TABLE drives (
                device_number INTEGER PRIMARY KEY CHECK (device_number BETWEEN 0 AND 65535),
                model         INTEGER NOT NULL,
                state         TEXT NOT NULL CHECK (state IN ('empty', 'mounting', 'loaded')),
                volser        TEXT,
                updated_at    TEXT NOT NULL
            );

            CREATE TABLE mount_history (
                id              INTEGER PRIMARY KEY,
                volser          TEXT NOT NULL,
                device_number   INTEGER NOT NULL,
                requested_at    TEXT NOT NULL,
                mounted_at      TEXT,
                unmounted_at    TEXT,
                scratch_request INTEGER NOT NULL,
                previous_status TEXT NOT NULL CHECK (previous_status IN ('scratch', 'private'))
            );
            CREATE INDEX mount_history_by_volser ON mount_history (volser, id);
            CREATE INDEX mount_history_open ON mount_history (device_number) WHERE unmounted_at IS NULL;
            """),
        // The same columns as the shared catalog's (PostgresMigrations), so one row reader and one
        // behaviour serve both; in the embedded catalog mounted_by stays NULL and server ''.
        (2, "servers, store versions, mounted-dirty", """
            ALTER TABLE volumes ADD COLUMN store_key TEXT;
            ALTER TABLE volumes ADD COLUMN store_etag TEXT;
            ALTER TABLE volumes ADD COLUMN store_size INTEGER;
            ALTER TABLE volumes ADD COLUMN store_sha256 TEXT;
            ALTER TABLE volumes ADD COLUMN dirty INTEGER NOT NULL DEFAULT 0;
            ALTER TABLE volumes ADD COLUMN mounted_by TEXT;
            ALTER TABLE mount_history ADD COLUMN server TEXT NOT NULL DEFAULT '';
            """),
        (3, "quarantine of rows that cannot be read", """
            CREATE TABLE quarantine (
                id             INTEGER PRIMARY KEY,
                table_name     TEXT NOT NULL,
                row_key        TEXT NOT NULL,
                reason         TEXT NOT NULL,
                row_json       TEXT NOT NULL,
                quarantined_at TEXT NOT NULL
            );
            CREATE INDEX quarantine_by_key ON quarantine (table_name, row_key);
            """),
    ];

    /// <summary>The columns this build reads and writes, table by table: a catalog that has them all is served.</summary>
    private static readonly (string Table, string[] Columns)[] RequiredSchema =
    [
        ("volumes", ["volser", "pool", "status", "media", "capacity", "bytes_used", "blocks", "dataset_name", "labels", "created_at",
            "last_mounted_at", "last_written_at", "mount_count", "image_path", "read_only", "mounted_on",
            "store_key", "store_etag", "store_size", "store_sha256", "dirty", "mounted_by"]),
        ("drives", ["device_number", "model", "state", "volser", "updated_at"]),
        ("mount_history", ["id", "volser", "device_number", "requested_at", "mounted_at", "unmounted_at", "scratch_request", "previous_status", "server"]),
        ("quarantine", ["id", "table_name", "row_key", "reason", "row_json", "quarantined_at"]),
    ];

    /// <summary>Highest schema version this build knows.</summary>
    public static int LatestVersion => All[^1].Version;

    /// <summary>Brings the database up to <see cref="LatestVersion"/>; returns the version it ends at.</summary>
    public static int Apply(SqliteConnection connection, TimeProvider time) => Apply(connection, time, out _);

    /// <summary>
    /// Applies every migration this build knows and the catalog lacks. Versions recorded by a newer ctape
    /// (<paramref name="newer"/>) do not stop it: when the tables and columns this build uses are all there,
    /// the catalog is served and the versions are reported (issue 13: one bad row must not stop the library);
    /// when they are not, it throws, naming what is missing.
    /// </summary>
    public static int Apply(SqliteConnection connection, TimeProvider time, out IReadOnlyList<int> newer)
    {
        Execute(connection, null, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )
            """);

        foreach (var (version, name, sql) in All)
        {
            using var transaction = connection.BeginTransaction(deferred: false);
            // Another process may have migrated between our check and our lock.
            if (IsApplied(connection, transaction, version))
            {
                transaction.Commit();
                continue;
            }

            Execute(connection, transaction, sql);
            using var record = connection.CreateCommand();
            record.Transaction = transaction;
            record.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($version, $name, $at)";
            record.Parameters.AddWithValue("$version", version);
            record.Parameters.AddWithValue("$name", name);
            record.Parameters.AddWithValue("$at", CatalogTime.Format(time.GetUtcNow()));
            record.ExecuteNonQuery();
            transaction.Commit();
        }

        newer = Versions(connection).Where(v => v > LatestVersion).ToList();
        if (newer.Count > 0 && MissingSchema(connection) is { } missing)
        {
            throw new InvalidOperationException(
                $"catalog schema version {newer.Max()} is newer than this ctape understands ({LatestVersion}) and lacks {missing}; use a newer ctape");
        }

        return Math.Min(CurrentVersion(connection, null), LatestVersion);
    }

    private static bool IsApplied(SqliteConnection connection, SqliteTransaction transaction, int version)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT count(*) FROM schema_migrations WHERE version = $version";
        command.Parameters.AddWithValue("$version", version);
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    private static List<int> Versions(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT version FROM schema_migrations";
        using var reader = command.ExecuteReader();
        var versions = new List<int>();
        while (reader.Read())
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }

    /// <summary>The first table or column this build uses that the catalog lacks; null when it has them all.</summary>
    private static string? MissingSchema(SqliteConnection connection)
    {
        foreach (var (table, columns) in RequiredSchema)
        {
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT name FROM pragma_table_info('{table}')";
            using var reader = command.ExecuteReader();
            var present = new HashSet<string>(StringComparer.Ordinal);
            while (reader.Read())
            {
                present.Add(reader.GetString(0));
            }

            if (present.Count == 0)
            {
                return $"table {table}";
            }

            if (columns.FirstOrDefault(c => !present.Contains(c)) is { } column)
            {
                return $"column {table}.{column}";
            }
        }

        return null;
    }

    private static int CurrentVersion(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT coalesce(max(version), 0) FROM schema_migrations";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}

/// <summary>Timestamps in the catalog: ISO 8601 UTC with 7 fractional digits, so text order is time order.</summary>
internal static class CatalogTime
{
    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal);
}
