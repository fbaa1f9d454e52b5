using Microsoft.Data.Sqlite;

namespace ChannelTape.Library.Catalog;

/// <summary>Volumes a page at a time, for the management API (<c>/api/volumes?offset=&amp;limit=</c>).</summary>
public sealed partial class SqliteCatalog
{
    public override long CountVolumes(string? pool = null, VolumeStatus? status = null)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM volumes WHERE ($pool IS NULL OR pool = $pool) AND ($status IS NULL OR status = $status)";
        Filter(command, pool, status);
        return (long)command.ExecuteScalar()!;
    }

    public override IReadOnlyList<VolumeRecord> ListVolumes(string? pool, VolumeStatus? status, int offset, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {VolumeColumns} FROM volumes
            WHERE ($pool IS NULL OR pool = $pool) AND ($status IS NULL OR status = $status)
            ORDER BY volser LIMIT $limit OFFSET $offset
            """;
        Filter(command, pool, status);
        command.Parameters.AddWithValue("$limit", limit);
        command.Parameters.AddWithValue("$offset", offset);
        using var reader = command.ExecuteReader();
        var volumes = new List<VolumeRecord>();
        while (reader.Read())
        {
            volumes.Add(CatalogRows.ReadVolume(reader));
        }

        return volumes;
    }

    private static void Filter(SqliteCommand command, string? pool, VolumeStatus? status)
    {
        command.Parameters.AddWithValue("$pool", (object?)pool ?? DBNull.Value);
        command.Parameters.AddWithValue("$status", status is { } s ? CatalogRows.StatusText(s) : DBNull.Value);
    }
}
