using ChannelTape.Labels;

namespace ChannelTape.Library.Catalog;

public sealed partial class SqliteCatalog
{
    /// <summary>
    /// Records what a rescan of a volume's image found: bytes, blocks, first data set name, and
    /// <paramref name="writtenAt"/> (the image file's modification time) as last written, so the
    /// next reconcile sees the image unchanged.
    /// </summary>
    public override VolumeChange RecordScan(VolumeSerial serial, long bytesUsed, long blocks, string? dataSetName, DateTimeOffset writtenAt)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE volumes SET bytes_used = $bytes, blocks = $blocks, dataset_name = $dsn, last_written_at = $written
            WHERE volser = $volser
            """;
        command.Parameters.AddWithValue("$bytes", bytesUsed);
        command.Parameters.AddWithValue("$blocks", blocks);
        command.Parameters.AddWithValue("$dsn", (object?)dataSetName ?? DBNull.Value);
        command.Parameters.AddWithValue("$written", CatalogTime.Format(writtenAt));
        command.Parameters.AddWithValue("$volser", serial.Value);
        return command.ExecuteNonQuery() == 1 ? VolumeChange.Changed : VolumeChange.NotFound;
    }

    /// <summary>
    /// Marks every drive empty. After a restart no drive holds a volume; <see cref="EndAllMounts"/>
    /// frees the drives of open mounts, this also frees a drive whose state outlived its mount.
    /// Returns how many drives changed.
    /// </summary>
    public override int ResetDrives()
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE drives SET state = 'empty', volser = NULL, updated_at = $now WHERE state <> 'empty' OR volser IS NOT NULL";
        command.Parameters.AddWithValue("$now", CatalogTime.Format(_time.GetUtcNow()));
        return command.ExecuteNonQuery();
    }
}
