using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using Microsoft.Data.Sqlite;
using static ChannelTape.Testing.CatalogTestSupport;

namespace ChannelTape.Library.Tests.Catalog;

/// <summary>Issue 13, item 6: one bad catalog row does not stop the library; it is quarantined and reported, the rest serves.</summary>
public class CatalogQuarantineTests
{
    private static void Sql(string databasePath, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Theory]
    [InlineData("UPDATE volumes SET image_path = '../../etc/passwd' WHERE volser = 'T00002'", "not derived from its serial")]
    [InlineData("UPDATE volumes SET volser = '../abc', image_path = 'volumes/../abc.aws' WHERE volser = 'T00002'", "invalid volume serial")]
    [InlineData("UPDATE volumes SET created_at = 'yesterday' WHERE volser = 'T00002'", "")]
    [InlineData("UPDATE volumes SET last_written_at = '2026-13-45T99:00:00.0000000Z' WHERE volser = 'T00002'", "")]
    [InlineData("UPDATE volumes SET media = 'LTO9' WHERE volser = 'T00002'", "unknown media")]
    [InlineData("UPDATE volumes SET labels = 'XL' WHERE volser = 'T00002'", "unknown label type")]
    public void A_bad_volume_row_is_quarantined_and_the_others_serve(string damage, string reason)
    {
        using var directory = new TempDirectory();
        var catalog = LibraryCatalog.Open(directory.Path);
        catalog.AddVolumes([Range("T00001-T00003")], Scratch());
        Sql(catalog.Layout.CatalogPath, damage);

        var quarantined = catalog.QuarantineBadRows();

        var row = Assert.Single(quarantined);
        Assert.Equal("volumes", row.Table);
        Assert.Contains(reason, row.Reason, StringComparison.Ordinal);
        Assert.Equal(["T00001", "T00003"], catalog.ListVolumes().Select(v => v.Serial.Value));
        Assert.Equal(row, Assert.Single(catalog.ListQuarantine()));
        Assert.Empty(catalog.QuarantineBadRows());
        Assert.NotNull(catalog.TryAllocateScratch("SCRATCH", 0x0580));
    }

    [Fact]
    public void A_quarantined_serial_is_not_made_again_from_the_configuration()
    {
        using var directory = new TempDirectory();
        var catalog = LibraryCatalog.Open(directory.Path);
        catalog.AddVolumes([Range("T00001-T00003")], Scratch());
        Sql(catalog.Layout.CatalogPath, "UPDATE volumes SET created_at = 'x' WHERE volser = 'T00002'");
        catalog.QuarantineBadRows();

        var (added, _) = catalog.AddVolumes([Range("T00001-T00003")], Scratch());

        Assert.Equal(0, added);
        Assert.Null(catalog.FindVolume(Serial("T00002")));
        Assert.NotNull(catalog.QuarantineReason("T00002"));
    }

    [Fact]
    public void A_bad_mount_history_row_is_quarantined_and_a_drive_row_with_a_bad_time_is_reset()
    {
        using var directory = new TempDirectory();
        var catalog = LibraryCatalog.Open(directory.Path);
        catalog.AddVolumes([Range("T00001")], Scratch());
        Sql(catalog.Layout.CatalogPath, "INSERT INTO drives (device_number, model, state, updated_at) VALUES (1408, 13456, 'empty', 'x')");
        var mount = catalog.BeginMount(Serial("T00001"), 0x0580);
        catalog.EndMount(mount.MountId);
        Sql(catalog.Layout.CatalogPath, "UPDATE mount_history SET requested_at = 'soon'");
        Sql(catalog.Layout.CatalogPath, "UPDATE drives SET updated_at = 'never'");

        var quarantined = catalog.QuarantineBadRows();

        Assert.Contains(quarantined, r => r.Table == "mount_history");
        Assert.Contains(quarantined, r => r.Table == "drives" && r.Key == "1408");
        Assert.Empty(catalog.MountHistory());
        Assert.Single(catalog.ListDrives());
    }
}
