using ChannelTape.Labels;

namespace ChannelTape.Library.Catalog;

/// <summary>A change to one volume that an administrator (or a command volume) asks for.</summary>
public enum VolumeEditKind
{
    /// <summary>Return to scratch (refused while mounted).</summary>
    Scratch,
    /// <summary>Make private (refused while mounted).</summary>
    Unscratch,
    /// <summary>Move to another pool (refused while mounted).</summary>
    Move,
    /// <summary>Protect against writing (applies from the next mount).</summary>
    ReadOnly,
    /// <summary>Remove the protection.</summary>
    ReadWrite,
}

public sealed record VolumeEdit(VolumeSerial Serial, VolumeEditKind Kind, string? Pool = null);

public sealed record VolumeEditResult(VolumeEdit Edit, VolumeChange Outcome);

public sealed partial class SqliteCatalog
{
    /// <summary>
    /// As <see cref="LibraryCatalog.ApplyEdits(IReadOnlyList{VolumeEdit})"/> in one IMMEDIATE transaction, and in the same transaction adds the
    /// volumes of <paramref name="additions"/>; an addition that names a volume already in the
    /// catalog refuses everything (<paramref name="existing"/> says how many were there).
    /// </summary>
    public override IReadOnlyList<VolumeEditResult> ApplyEdits(IReadOnlyList<VolumeEdit> edits,
        IReadOnlyList<(VolumeRange Range, NewVolumes Volumes)> additions, out long[] existing)
    {
        existing = new long[additions.Count];
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        var results = new List<VolumeEditResult>(edits.Count);
        foreach (var edit in edits)
        {
            if (edit.Kind == VolumeEditKind.Move && (edit.Pool is null || !PoolNames.IsValid(edit.Pool)))
            {
                throw new ArgumentException($"invalid pool name '{edit.Pool}'", nameof(edits));
            }

            var status = VolumeStatusOf(connection, transaction, edit.Serial);
            var outcome = status switch
            {
                null => VolumeChange.NotFound,
                VolumeStatus.Mounted when edit.Kind is VolumeEditKind.Scratch or VolumeEditKind.Unscratch or VolumeEditKind.Move => VolumeChange.Mounted,
                _ => VolumeChange.Changed,
            };
            results.Add(new VolumeEditResult(edit, outcome));
        }

        if (results.Any(r => r.Outcome != VolumeChange.Changed))
        {
            transaction.Rollback();
            return results;
        }

        for (int i = 0; i < additions.Count; i++)
        {
            existing[i] = InsertVolumes(connection, transaction, [additions[i].Range], additions[i].Volumes).Existing;
        }

        if (existing.Any(n => n > 0))
        {
            transaction.Rollback();
            return results;
        }

        foreach (var edit in edits)
        {
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            (command.CommandText, object value) = edit.Kind switch
            {
                VolumeEditKind.Scratch => ("UPDATE volumes SET status = $value WHERE volser = $volser", (object)"scratch"),
                VolumeEditKind.Unscratch => ("UPDATE volumes SET status = $value WHERE volser = $volser", "private"),
                VolumeEditKind.Move => ("UPDATE volumes SET pool = $value WHERE volser = $volser", edit.Pool!),
                VolumeEditKind.ReadOnly => ("UPDATE volumes SET read_only = $value WHERE volser = $volser", 1),
                VolumeEditKind.ReadWrite => ("UPDATE volumes SET read_only = $value WHERE volser = $volser", 0),
                _ => throw new ArgumentOutOfRangeException(nameof(edits), edit.Kind, null),
            };
            command.Parameters.AddWithValue("$value", value);
            command.Parameters.AddWithValue("$volser", edit.Serial.Value);
            command.ExecuteNonQuery();
        }

        transaction.Commit();
        return results;
    }
}
