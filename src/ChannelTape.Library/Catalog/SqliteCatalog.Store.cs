using ChannelTape.Labels;

namespace ChannelTape.Library.Catalog;

/// <summary>The store's version of each image, and mounted-dirty volumes (a library with a store, docs/scale-out.md).</summary>
public sealed partial class SqliteCatalog
{
    public override bool RecordStoredImage(VolumeSerial serial, StoredImage image, long? mountId, out string? superseded)
    {
        // One IMMEDIATE transaction: the key read is the one the update replaces.
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        using var previous = connection.CreateCommand();
        previous.Transaction = transaction;
        previous.CommandText = "SELECT store_key FROM volumes WHERE volser = $volser";
        previous.Parameters.AddWithValue("$volser", serial.Value);
        var before = previous.ExecuteScalar() as string;
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            UPDATE volumes SET store_key = $key, store_etag = $etag, store_size = $size, store_sha256 = $sha, dirty = 0
            WHERE volser = $volser
              AND ($mount IS NULL OR EXISTS (SELECT 1 FROM mount_history WHERE id = $mount AND volser = $volser AND unmounted_at IS NULL))
            """;
        command.Parameters.AddWithValue("$key", image.Key);
        command.Parameters.AddWithValue("$etag", image.ETag);
        command.Parameters.AddWithValue("$size", image.Size);
        command.Parameters.AddWithValue("$sha", image.Sha256);
        command.Parameters.AddWithValue("$volser", serial.Value);
        command.Parameters.AddWithValue("$mount", (object?)mountId ?? DBNull.Value);
        if (command.ExecuteNonQuery() != 1)
        {
            superseded = null;
            return false;
        }

        transaction.Commit();
        superseded = before == image.Key ? null : before;
        return true;
    }

    public override VolumeChange SetDirty(VolumeSerial serial, bool dirty)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "UPDATE volumes SET dirty = $dirty WHERE volser = $volser";
        command.Parameters.AddWithValue("$dirty", dirty ? 1 : 0);
        command.Parameters.AddWithValue("$volser", serial.Value);
        return command.ExecuteNonQuery() == 1 ? VolumeChange.Changed : VolumeChange.NotFound;
    }
}
