using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using static ChannelTape.Testing.CatalogTestSupport;

namespace ChannelTape.Library.Tests.Catalog;

/// <summary><see cref="LibraryCatalog.ImportVolume"/>: the catalog row and the image change together, or neither.</summary>
public sealed class CatalogImportTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly ManualTime _time = new(Start);
    private readonly LibraryCatalog _catalog;

    public CatalogImportTests()
    {
        _catalog = OpenWithDrives(_directory.Path, _time);
        _catalog.AddVolumes([Range("T00000-T00001")], Scratch());
        Directory.CreateDirectory(_catalog.Layout.VolumesDirectory);
    }

    public void Dispose() => _directory.Dispose();

    private string Prepared(string serial, ImageFileKind kind, string content)
    {
        var path = LibraryRecovery.PartialImagePath(_catalog.Layout, Serial(serial), kind);
        File.WriteAllText(path, content);
        return path;
    }

    private static VolumeImport Import(string serial, ImageFileKind kind, long bytes) =>
        new(Serial(serial), kind, LabelType.None, bytes, 7, "SOME.DSN");

    [Fact]
    public void A_mounted_volume_is_refused_and_neither_its_image_nor_its_row_changes()
    {
        var image = _catalog.Layout.ImagePath(Serial("T00000"), ImageFileKind.Aws);
        File.WriteAllText(image, "on the drive");
        _catalog.BeginMount(Serial("T00000"), 0x0580);
        var prepared = Prepared("T00000", ImageFileKind.Aws, "imported");

        Assert.Equal(ImportOutcome.Mounted, _catalog.ImportVolume(Import("T00000", ImageFileKind.Aws, 8), prepared, null));

        Assert.Equal("on the drive", File.ReadAllText(image));
        Assert.True(File.Exists(prepared)); // the caller deletes it
        var volume = _catalog.FindVolume(Serial("T00000"))!;
        Assert.Equal((VolumeStatus.Mounted, 0L, (string?)null), (volume.Status, volume.Blocks, volume.DataSetName));
    }

    [Fact]
    public void An_existing_volume_gets_the_image_and_becomes_private_and_a_format_change_removes_the_old_file()
    {
        var old = _catalog.Layout.ImagePath(Serial("T00001"), ImageFileKind.Aws);
        File.WriteAllText(old, "old aws image");
        _time.Advance(TimeSpan.FromHours(1));

        var outcome = _catalog.ImportVolume(Import("T00001", ImageFileKind.Het, 4096), Prepared("T00001", ImageFileKind.Het, "new het image"), null);

        Assert.Equal(ImportOutcome.Replaced, outcome);
        var volume = _catalog.FindVolume(Serial("T00001"))!;
        Assert.Equal(
            ("SCRATCH", VolumeStatus.Private, "volumes/T00001.het", 4096L, 7L, "SOME.DSN", LabelType.None, _time.Now),
            (volume.Pool, volume.Status, volume.ImagePath, volume.BytesUsed, volume.Blocks, volume.DataSetName, volume.Labels, volume.LastWrittenAt!.Value));
        Assert.Equal("new het image", File.ReadAllText(_catalog.Layout.ImagePath(volume)));
        Assert.False(File.Exists(old));
        Assert.Equal(["T00001.het"], Directory.GetFiles(_catalog.Layout.VolumesDirectory, "*", new EnumerationOptions { AttributesToSkip = 0 }).Select(Path.GetFileName));
    }

    [Fact]
    public void A_missing_volume_is_added_private_only_with_attributes_and_capacity_covers_the_image()
    {
        Assert.Equal(ImportOutcome.NotFound, _catalog.ImportVolume(Import("N00000", ImageFileKind.Aws, 10), Prepared("N00000", ImageFileKind.Aws, "x"), null));
        Assert.Null(_catalog.FindVolume(Serial("N00000")));

        var attributes = new NewVolumes("IMPORTED", MediaType.Cst, 1000, LabelType.None, Scratch: true, ImageFileKind.Aws);
        Assert.Equal(ImportOutcome.Added, _catalog.ImportVolume(Import("N00000", ImageFileKind.Aws, 5000), Prepared("N00000", ImageFileKind.Aws, "y"), attributes));

        var volume = _catalog.FindVolume(Serial("N00000"))!;
        Assert.Equal(("IMPORTED", VolumeStatus.Private, MediaType.Cst, 5000L), (volume.Pool, volume.Status, volume.Media, volume.Capacity));
    }

    [Fact]
    public void Latest_mount_id_changes_with_every_mount()
    {
        Assert.Null(_catalog.LatestMountId(Serial("T00000")));
        var first = _catalog.BeginMount(Serial("T00000"), 0x0580);
        Assert.Equal(first.MountId, _catalog.LatestMountId(Serial("T00000")));
        _catalog.EndMount(first.MountId);
        var second = _catalog.BeginMount(Serial("T00000"), 0x0581);
        Assert.Equal(second.MountId, _catalog.LatestMountId(Serial("T00000")));
        Assert.NotEqual(first.MountId, second.MountId);
    }
}
