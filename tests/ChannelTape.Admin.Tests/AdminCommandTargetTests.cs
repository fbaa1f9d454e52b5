using ChannelTape.Admin.Commands;
using ChannelTape.Admin.Volumes;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;

namespace ChannelTape.Admin.Tests;

/// <summary>Issue 13, item 7: an ADD range has a documented limit (docs/admin-volumes.md).</summary>
public sealed class AdminCommandTargetTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ctape-add-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void An_ADD_of_more_volumes_than_the_limit_is_refused_whole_and_one_of_the_limit_is_applied()
    {
        var parsed = ConfigurationParser.ParseText($$"""
            storage { root "{{_root}}"; }
            drive 0580;
            pool BULK { capacity 1M; }
            """, "add.conf", _root);
        Assert.Empty(parsed.Errors);
        var catalog = LibraryCatalog.Open(_root);
        catalog.SyncFromConfiguration(parsed.Configuration!);
        var target = new AdminCommandTarget(catalog, parsed.Configuration!);

        var tooMany = target.Apply(Parse("ADD A00000-A10000 BULK"));
        var result = Assert.Single(tooMany);
        Assert.False(result.Succeeded);
        Assert.Contains($"at most {AdminCommandTarget.MaxAddVolumes}", result.Message, StringComparison.Ordinal);
        Assert.Empty(catalog.ListVolumes());

        var limit = Assert.Single(target.Apply(Parse("ADD A00000-A09999 BULK")));
        Assert.True(limit.Succeeded, limit.Message);
        Assert.Equal(AdminCommandTarget.MaxAddVolumes, catalog.ListVolumes().Count);
        Assert.NotNull(catalog.FindVolume(VolumeSerial.Parse("A09999")));
    }

    private static IReadOnlyList<AdminCommand> Parse(string request)
    {
        var (commands, errors) = AdminCommandParser.Parse([request]);
        Assert.Empty(errors);
        return commands;
    }
}
