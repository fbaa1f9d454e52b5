using ChannelTape.Labels;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Store;
using Microsoft.Data.Sqlite;

namespace ChannelTape.Library.Catalog;

/// <summary>What an imported image holds, as the catalog records it.</summary>
/// <param name="Serial">Volume the image becomes.</param>
/// <param name="Format">Format of the image in the library (gives the image file's extension).</param>
/// <param name="Labels">Label type found on the image (VOL1 in EBCDIC: SL, in ASCII: AL, none: NL).</param>
/// <param name="BytesUsed">Image size in bytes.</param>
/// <param name="Blocks">Data blocks (as <see cref="Mounts.VolumeScanner"/> counts them).</param>
/// <param name="DataSetName">Data set identifier of the first HDR1, or null.</param>
public sealed record VolumeImport(VolumeSerial Serial, ImageFileKind Format, LabelType Labels, long BytesUsed, long Blocks, string? DataSetName);

/// <summary>Outcome of <see cref="LibraryCatalog.ImportVolume"/>.</summary>
public enum ImportOutcome
{
    /// <summary>An existing volume now has the imported image.</summary>
    Replaced,
    /// <summary>A new volume was added with the imported image.</summary>
    Added,
    /// <summary>No such volume and no attributes to add it with.</summary>
    NotFound,
    /// <summary>Refused: the volume is mounted.</summary>
    Mounted,
}

public sealed partial class SqliteCatalog
{
    /// <summary>
    /// Puts a prepared image (a complete, validated file in the volumes directory) in place as
    /// volume <c>import.Serial</c>, in one IMMEDIATE transaction: the write lock is held while
    /// the file is renamed over the volume's image, so no mount can start on the old or a half
    /// image. An existing volume keeps its pool, media and capacity and becomes private (its data
    /// now belongs to someone); a missing one is added with <paramref name="newVolume"/> (private),
    /// or <see cref="ImportOutcome.NotFound"/> when that is null. Refused while mounted. The old
    /// image is deleted when the format (file extension) changes. On a refusal the prepared file
    /// is left for the caller to delete.
    /// </summary>
    public override ImportOutcome ImportVolume(VolumeImport import, string preparedImagePath, NewVolumes? newVolume)
    {
        // With a store the image is uploaded first, to an object of its own: the catalog names it only
        // if the import commits, and a refused import removes it again.
        var stored = Images.Upload(import.Serial, preparedImagePath);
        var outcome = ImportUploaded(import, preparedImagePath, newVolume, stored, out var superseded);
        if (stored is not null && outcome is ImportOutcome.NotFound or ImportOutcome.Mounted)
        {
            Images.Forget(stored.Key);
        }
        else if (superseded is not null && superseded != stored?.Key)
        {
            // The catalog names the imported object now: the volume's previous one is deleted.
            Images.Forget(superseded);
        }

        return outcome;
    }

    private ImportOutcome ImportUploaded(VolumeImport import, string preparedImagePath, NewVolumes? newVolume, StoredImage? stored, out string? superseded)
    {
        superseded = null;
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        var existing = FindVolume(connection, transaction, import.Serial);
        if (existing is null && newVolume is null)
        {
            return ImportOutcome.NotFound;
        }

        if (existing?.Status == VolumeStatus.Mounted)
        {
            return ImportOutcome.Mounted;
        }

        if (newVolume is not null && !PoolNames.IsValid(newVolume.Pool))
        {
            throw new ArgumentException($"invalid pool name '{newVolume.Pool}'", nameof(newVolume));
        }

        var relative = StorageLayout.RelativeImagePath(import.Serial, import.Format);
        var now = CatalogTime.Format(_time.GetUtcNow());
        if (existing is null)
        {
            Execute(
                connection,
                transaction,
                """
                INSERT INTO volumes (volser, pool, status, media, capacity, bytes_used, blocks, dataset_name, labels, created_at, last_written_at, image_path)
                VALUES ($volser, $pool, 'private', $media, $capacity, $bytes, $blocks, $dsn, $labels, $now, $now, $image)
                """,
                ("$volser", import.Serial.Value),
                ("$pool", newVolume!.Pool),
                ("$media", MediaTypes.Name(newVolume.Media)),
                ("$capacity", Math.Max(newVolume.Capacity, import.BytesUsed)),
                ("$bytes", import.BytesUsed),
                ("$blocks", import.Blocks),
                ("$dsn", (object?)import.DataSetName ?? DBNull.Value),
                ("$labels", LabelTypes.Name(import.Labels)),
                ("$now", now),
                ("$image", relative));
        }
        else
        {
            Execute(
                connection,
                transaction,
                """
                UPDATE volumes SET status = 'private', bytes_used = $bytes, blocks = $blocks, dataset_name = $dsn,
                    labels = $labels, last_written_at = $now, image_path = $image, capacity = max(capacity, $bytes)
                WHERE volser = $volser
                """,
                ("$volser", import.Serial.Value),
                ("$bytes", import.BytesUsed),
                ("$blocks", import.Blocks),
                ("$dsn", (object?)import.DataSetName ?? DBNull.Value),
                ("$labels", LabelTypes.Name(import.Labels)),
                ("$now", now),
                ("$image", relative));
        }

        // Rename inside the transaction: if it fails, nothing is committed.
        var target = Path.Combine(Layout.DataDirectory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(preparedImagePath, target, overwrite: true);
        if (existing is not null && existing.ImagePath != relative)
        {
            File.Delete(Layout.ImagePath(existing));
        }

        Execute(
            connection,
            transaction,
            "UPDATE volumes SET store_key = $key, store_etag = $etag, store_size = $size, store_sha256 = $sha WHERE volser = $volser",
            ("$key", (object?)stored?.Key ?? DBNull.Value),
            ("$etag", (object?)stored?.ETag ?? DBNull.Value),
            ("$size", (object?)stored?.Size ?? DBNull.Value),
            ("$sha", (object?)stored?.Sha256 ?? DBNull.Value),
            ("$volser", import.Serial.Value));
        Images.Placed(import.Serial, target, stored);
        transaction.Commit();
        superseded = existing?.Stored?.Key;
        return existing is null ? ImportOutcome.Added : ImportOutcome.Replaced;
    }

    /// <summary>
    /// The newest mount of <paramref name="serial"/> (open or ended), or null if it was never
    /// mounted. An export compares it before and after copying: a change means a drive had the
    /// volume meanwhile and the copy may be torn.
    /// </summary>
    public override long? LatestMountId(VolumeSerial serial)
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT max(id) FROM mount_history WHERE volser = $volser";
        command.Parameters.AddWithValue("$volser", serial.Value);
        return command.ExecuteScalar() is long id ? id : null;
    }
}
