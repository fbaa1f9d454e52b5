using Npgsql;
using NpgsqlTypes;

namespace ChannelTape.Library.Catalog;

/// <summary>Volumes a page at a time, for the management API (<c>/api/volumes?offset=&amp;limit=</c>).</summary>
public sealed partial class PostgresCatalog
{
    public override long CountVolumes(string? pool = null, VolumeStatus? status = null)
    {
        using var connection = OpenConnection();
        using var command = new NpgsqlCommand(
            "SELECT count(*) FROM volumes WHERE (@pool::text IS NULL OR pool = @pool) AND (@status::text IS NULL OR status = @status)", connection);
        Filter(command, pool, status);
        return (long)command.ExecuteScalar()!;
    }

    public override IReadOnlyList<VolumeRecord> ListVolumes(string? pool, VolumeStatus? status, int offset, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        using var connection = OpenConnection();
        using var command = new NpgsqlCommand($"""
            SELECT {VolumeColumns} FROM volumes
            WHERE (@pool::text IS NULL OR pool = @pool) AND (@status::text IS NULL OR status = @status)
            ORDER BY volser LIMIT @limit OFFSET @offset
            """, connection);
        Filter(command, pool, status);
        command.Parameters.AddWithValue("limit", (long)limit);
        command.Parameters.AddWithValue("offset", (long)offset);
        using var reader = command.ExecuteReader();
        var volumes = new List<VolumeRecord>();
        while (reader.Read())
        {
            volumes.Add(CatalogRows.ReadVolume(reader));
        }

        return volumes;
    }

    private static void Filter(NpgsqlCommand command, string? pool, VolumeStatus? status)
    {
        command.Parameters.AddWithValue("pool", NpgsqlDbType.Text, (object?)pool ?? DBNull.Value);
        command.Parameters.AddWithValue("status", NpgsqlDbType.Text, status is { } s ? CatalogRows.StatusText(s) : DBNull.Value);
    }
}
