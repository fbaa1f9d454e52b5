using ChannelTape.Library.Configuration;
using ChannelTape.Library.Catalog;
using Microsoft.Data.Sqlite;
using static ChannelTape.Testing.CatalogTestSupport;

namespace ChannelTape.Library.Tests.Catalog;

public class CatalogSchemaTests
{
    private static object? Scalar(string databasePath, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    [Fact]
    public void Opening_an_empty_directory_creates_the_schema_in_WAL_mode()
    {
        using var directory = new TempDirectory();
        var data = Path.Combine(directory.Path, "new", "data");

        var catalog = LibraryCatalog.Open(data);

        Assert.Equal(3, catalog.SchemaVersion);
        Assert.True(File.Exists(Path.Combine(data, "catalog.db")));
        Assert.Equal("wal", Scalar(catalog.Layout.CatalogPath, "PRAGMA journal_mode"));
        Assert.Equal(1L, Scalar(catalog.Layout.CatalogPath, "SELECT count(*) FROM schema_migrations WHERE version = 1"));
        Assert.Empty(catalog.ListVolumes());
        Assert.Empty(catalog.ListDrives());
    }

    [Fact]
    public void Reopening_keeps_the_data_and_applies_no_migration_twice()
    {
        using var directory = new TempDirectory();
        LibraryCatalog.Open(directory.Path).AddVolumes([Range("T00000-T00009")], Scratch());

        var reopened = LibraryCatalog.Open(directory.Path);

        Assert.Equal(10, reopened.ListVolumes().Count);
        Assert.Equal(3L, Scalar(reopened.Layout.CatalogPath, "SELECT count(*) FROM schema_migrations"));
    }

    [Fact]
    public void A_newer_schema_version_is_reported_and_served_when_the_tables_this_ctape_uses_are_there()
    {
        using var directory = new TempDirectory();
        var catalog = LibraryCatalog.Open(directory.Path);
        catalog.AddVolumes([Range("T00001")], Scratch());
        Scalar(catalog.Layout.CatalogPath, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 'x')");
        Scalar(catalog.Layout.CatalogPath, "ALTER TABLE volumes ADD COLUMN future_column TEXT");
        SqliteConnection.ClearAllPools();

        var reopened = LibraryCatalog.Open(directory.Path);

        Assert.Equal([99], reopened.NewerSchemaVersions);
        Assert.Single(reopened.ListVolumes());
    }

    [Fact]
    public void A_newer_schema_without_a_column_this_ctape_uses_is_refused_naming_it()
    {
        using var directory = new TempDirectory();
        var catalog = LibraryCatalog.Open(directory.Path);
        Scalar(catalog.Layout.CatalogPath, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 'x')");
        Scalar(catalog.Layout.CatalogPath, "ALTER TABLE volumes DROP COLUMN dataset_name");
        SqliteConnection.ClearAllPools();

        var error = Assert.Throws<InvalidOperationException>(() => LibraryCatalog.Open(directory.Path));
        Assert.Contains("schema version 99", error.Message, StringComparison.Ordinal);
        Assert.Contains("volumes.dataset_name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rows_with_a_path_not_derived_from_the_serial_are_rejected_on_read()
    {
        using var directory = new TempDirectory();
        var catalog = LibraryCatalog.Open(directory.Path);
        catalog.AddVolumes([Range("T00001")], Scratch());
        Scalar(catalog.Layout.CatalogPath, "UPDATE volumes SET image_path = '../../etc/passwd' WHERE volser = 'T00001'");

        Assert.Throws<InvalidDataException>(() => catalog.FindVolume(Serial("T00001")));
    }

    [Theory]
    [InlineData("T00042", "T00042.aws")]
    [InlineData("#@$#@$", "#@$#@$.aws")]
    [InlineData("000000", "000000.aws")]
    public void Image_files_are_named_from_the_serial_inside_the_volumes_directory(string serial, string fileName)
    {
        using var directory = new TempDirectory();
        var layout = new StorageLayout(directory.Path);

        var path = layout.ImagePath(Serial(serial), ImageFileKind.Aws);

        Assert.Equal(Path.Combine(directory.Path, "volumes", fileName), path);
        Assert.Equal(layout.VolumesDirectory, Path.GetDirectoryName(Path.GetFullPath(path)));
        Assert.Equal($"volumes/{fileName}", StorageLayout.RelativeImagePath(Serial(serial), ImageFileKind.Aws));
        Assert.EndsWith(".het", layout.ImagePath(Serial(serial), ImageFileKind.Het), StringComparison.Ordinal);
    }
}
