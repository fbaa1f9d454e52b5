using ChannelTape.Admin.Volumes;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;

namespace ChannelTape.Admin.Tests;

/// <summary>Parts of the live data source that need no drive.</summary>
public sealed class LibraryAdminDataSourceTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ctape-admin-source-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void A_configuration_line_longer_than_the_column_continues_under_the_same_line_number()
    {
        string ranges = string.Join(", ", Enumerable.Range(0, 40).Select(i => $"A{i * 10:D5}-A{i * 10 + 4:D5}"));
        var result = ConfigurationParser.ParseText($$"""
            storage { root "{{_root}}"; format aws; }
            drive 0580 { model 3490; media 3490E; pool MANY; }
            pool MANY { volumes {{ranges}}; media 3490E; capacity 10M; labels SL; scratch; }
            """, "test.conf", _root);
        Assert.Empty(result.Errors);
        var configuration = result.Configuration!;
        var catalog = LibraryCatalog.Open(_root);
        var source = new LibraryAdminDataSource(new LibraryView(configuration, catalog, []), new ServerStatistics());

        var rows = source.Configuration().ToList();
        var lines = ConfigurationWriter.Write(configuration).ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        Assert.Contains(lines, l => l.Length > 150);
        Assert.All(rows, r => Assert.InRange(r.Text.Length, 0, 150));
        Assert.Equal(lines, rows.GroupBy(r => r.Line).Select(g => string.Concat(g.Select(r => r.Text))));
        Assert.Equal(Enumerable.Range(1, lines.Length).Select(i => (long)i), rows.Select(r => r.Line).Distinct());
    }
}
