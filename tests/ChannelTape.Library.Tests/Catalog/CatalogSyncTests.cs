using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using static ChannelTape.Testing.CatalogTestSupport;

namespace ChannelTape.Library.Tests.Catalog;

public class CatalogSyncTests
{
    private static LibraryConfiguration Configuration(string text, string directory)
    {
        var result = ConfigurationParser.ParseText(text, "test.conf", directory);
        Assert.True(result.Success, string.Join("\n", result.Errors));
        return result.Configuration!;
    }

    [Fact]
    public void Sync_from_the_default_configuration_creates_its_pool_and_drives()
    {
        using var directory = new TempDirectory();
        var catalog = LibraryCatalog.Open(directory.Path);

        var result = catalog.SyncFromConfiguration(ConfigurationParser.LoadDefault());

        Assert.Equal(new CatalogSyncResult(100, 8, 0, 0), result);
        Assert.Equal([new PoolCounts("SCRATCH", 100, 0, 0)], catalog.CountByPool());
        Assert.Equal(Enumerable.Range(0x580, 8), catalog.ListDrives().Select(d => (int)d.DeviceNumber));
        Assert.Equal(new CatalogSyncResult(0, 0, 0, 0), catalog.SyncFromConfiguration(ConfigurationParser.LoadDefault()));
    }

    [Fact]
    public void Sync_adds_only_missing_volumes_and_leaves_existing_ones_alone()
    {
        using var directory = new TempDirectory();
        var catalog = LibraryCatalog.Open(directory.Path);
        catalog.AddVolumes([Range("T00005")], Scratch("ELSEWHERE"));
        catalog.RecordWrite(Serial("T00005"), 10, 1, "KEEP.ME");

        var result = catalog.SyncFromConfiguration(Configuration("""
            storage { format het; }
            drive 0580 { model 3480; }
            pool P { volumes T00000-T00009; media 3480; capacity 200M; labels AL; private; }
            """, directory.Path));

        Assert.Equal(9, result.VolumesAdded);
        var kept = catalog.FindVolume(Serial("T00005"))!;
        Assert.Equal(("ELSEWHERE", "KEEP.ME", "volumes/T00005.aws"), (kept.Pool, kept.DataSetName, kept.ImagePath));
        var added = catalog.FindVolume(Serial("T00000"))!;
        Assert.Equal(("P", VolumeStatus.Private, MediaType.Cst, LabelType.Ansi, "volumes/T00000.het"),
            (added.Pool, added.Status, added.Media, added.Labels, added.ImagePath));
    }

    [Fact]
    public void Sync_updates_models_and_removes_unconfigured_empty_drives_only()
    {
        using var directory = new TempDirectory();
        var catalog = OpenWithDrives(directory.Path);
        catalog.AddVolumes([Range("T00000")], Scratch());
        catalog.BeginMount(Serial("T00000"), 0x587);

        var result = catalog.SyncFromConfiguration(Configuration("drive 0580-0581 { model 3480; }\ndrive 0590;", directory.Path));

        Assert.Equal(new CatalogSyncResult(0, 1, 2, 5), result);
        Assert.Equal(
            [(0x580, Device.TapeModel.Ibm3480), (0x581, Device.TapeModel.Ibm3480), (0x587, Device.TapeModel.Ibm3490), (0x590, Device.TapeModel.Ibm3490)],
            catalog.ListDrives().Select(d => ((int)d.DeviceNumber, d.Model)));
    }
}
