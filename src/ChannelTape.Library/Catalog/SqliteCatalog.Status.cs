namespace ChannelTape.Library.Catalog;

public sealed partial class SqliteCatalog
{
    /// <summary>Mounts not yet ended (requested or loaded), in device number order.</summary>
    public override IReadOnlyList<MountRecord> OpenMounts()
    {
        using var connection = OpenConnection();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {MountColumns} FROM mount_history WHERE unmounted_at IS NULL ORDER BY device_number, id";
        using var reader = command.ExecuteReader();
        var mounts = new List<MountRecord>();
        while (reader.Read())
        {
            mounts.Add(CatalogRows.ReadMount(reader));
        }

        return mounts;
    }
}
