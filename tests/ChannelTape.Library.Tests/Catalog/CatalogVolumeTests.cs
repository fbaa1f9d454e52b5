using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using static ChannelTape.Testing.CatalogTestSupport;

namespace ChannelTape.Library.Tests.Catalog;

public class CatalogVolumeTests
{
    [Fact]
    public void Adding_a_range_creates_one_volume_per_serial_and_skips_existing_ones()
    {
        using var directory = new TempDirectory();
        var time = new ManualTime(Start);
        var catalog = LibraryCatalog.Open(directory.Path, time);

        Assert.Equal((10L, 0L), catalog.AddVolumes([Range("T00000-T00009")], Scratch()));
        Assert.Equal((5L, 5L), catalog.AddVolumes([Range("T00005-T00014")], Scratch("OTHER")));

        var volume = catalog.FindVolume(Serial("T00007"))!;
        Assert.Equal(
            new VolumeRecord(
                Serial("T00007"), "SCRATCH", VolumeStatus.Scratch, MediaType.Eccst, 800L * 1024 * 1024, 0, 0, null,
                LabelType.Standard, Start, null, null, 0, "volumes/T00007.aws", false, null),
            volume);
        Assert.Equal("OTHER", catalog.FindVolume(Serial("T00014"))!.Pool);
        Assert.Null(catalog.FindVolume(Serial("T00015")));
    }

    [Fact]
    public void Private_volumes_and_het_images()
    {
        using var directory = new TempDirectory();
        var catalog = LibraryCatalog.Open(directory.Path);

        catalog.AddVolumes([Range("P00000-P00001")], new NewVolumes("PROD", MediaType.Cst, 1024, LabelType.None, Scratch: false, ImageFileKind.Het));

        var volume = catalog.FindVolume(Serial("P00001"))!;
        Assert.Equal((VolumeStatus.Private, MediaType.Cst, 1024L, LabelType.None, "volumes/P00001.het"),
            (volume.Status, volume.Media, volume.Capacity, volume.Labels, volume.ImagePath));
    }

    [Fact]
    public void Bad_pool_names_and_capacities_are_refused()
    {
        using var directory = new TempDirectory();
        var catalog = LibraryCatalog.Open(directory.Path);

        Assert.Throws<ArgumentException>(() => catalog.AddVolumes([Range("T00000")], Scratch("../x")));
        Assert.Throws<ArgumentException>(() => catalog.AddVolumes([Range("T00000")], Scratch() with { Capacity = 0 }));
        Assert.Throws<ArgumentException>(() => catalog.MoveToPool(Serial("T00000"), ""));
        Assert.Empty(catalog.ListVolumes());
    }

    [Fact]
    public void Listing_filters_by_pool_and_status_in_serial_order()
    {
        using var directory = new TempDirectory();
        var catalog = LibraryCatalog.Open(directory.Path);
        catalog.AddVolumes([Range("B00000-B00002")], Scratch("B"));
        catalog.AddVolumes([Range("A00000-A00003")], Scratch("A"));
        catalog.SetScratch(Serial("A00001"), scratch: false);

        Assert.Equal(["A00000", "A00001", "A00002", "A00003", "B00000", "B00001", "B00002"], catalog.ListVolumes().Select(v => v.Serial.Value));
        Assert.Equal(["B00000", "B00001", "B00002"], catalog.ListVolumes(pool: "B").Select(v => v.Serial.Value));
        Assert.Equal(["A00001"], catalog.ListVolumes(status: VolumeStatus.Private).Select(v => v.Serial.Value));
        Assert.Equal(["A00000", "A00002", "A00003"], catalog.ListVolumes("A", VolumeStatus.Scratch).Select(v => v.Serial.Value));
        Assert.Equal([new PoolCounts("A", 3, 1, 0), new PoolCounts("B", 3, 0, 0)], catalog.CountByPool());
    }

    [Fact]
    public void Scratch_unscratch_move_and_read_only()
    {
        using var directory = new TempDirectory();
        var catalog = LibraryCatalog.Open(directory.Path);
        catalog.AddVolumes([Range("T00000-T00001")], Scratch());
        var serial = Serial("T00000");

        Assert.Equal(VolumeChange.Changed, catalog.SetScratch(serial, scratch: false));
        Assert.Equal(VolumeStatus.Private, catalog.FindVolume(serial)!.Status);
        Assert.Equal(VolumeChange.Changed, catalog.SetScratch(serial, scratch: true));
        Assert.Equal(VolumeStatus.Scratch, catalog.FindVolume(serial)!.Status);
        Assert.Equal(VolumeChange.Changed, catalog.MoveToPool(serial, "ARCHIVE"));
        Assert.Equal("ARCHIVE", catalog.FindVolume(serial)!.Pool);
        Assert.Equal(VolumeChange.Changed, catalog.SetReadOnly(serial, readOnly: true));
        Assert.True(catalog.FindVolume(serial)!.ReadOnly);

        var missing = Serial("X00000");
        Assert.Equal(VolumeChange.NotFound, catalog.SetScratch(missing, scratch: true));
        Assert.Equal(VolumeChange.NotFound, catalog.MoveToPool(missing, "A"));
        Assert.Equal(VolumeChange.NotFound, catalog.SetReadOnly(missing, readOnly: true));
        Assert.Equal(VolumeChange.NotFound, catalog.RecordWrite(missing, 1, 1, null));
    }

    [Fact]
    public void Mounted_volumes_cannot_be_scratched_or_moved()
    {
        using var directory = new TempDirectory();
        var catalog = OpenWithDrives(directory.Path);
        catalog.AddVolumes([Range("T00000")], Scratch());
        Assert.True(catalog.BeginMount(Serial("T00000"), 0x580).Started);

        Assert.Equal(VolumeChange.Mounted, catalog.SetScratch(Serial("T00000"), scratch: false));
        Assert.Equal(VolumeChange.Mounted, catalog.MoveToPool(Serial("T00000"), "OTHER"));
        var volume = catalog.FindVolume(Serial("T00000"))!;
        Assert.Equal(("SCRATCH", VolumeStatus.Mounted, (ushort?)0x580), (volume.Pool, volume.Status, volume.MountedOn));
    }

    [Fact]
    public void Recording_a_write_keeps_usage_and_the_first_data_set_name()
    {
        using var directory = new TempDirectory();
        var time = new ManualTime(Start);
        var catalog = LibraryCatalog.Open(directory.Path, time);
        catalog.AddVolumes([Range("T00000")], Scratch());
        time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(VolumeChange.Changed, catalog.RecordWrite(Serial("T00000"), 123_456, 42, "PAYROLL.BACKUP"));

        var volume = catalog.FindVolume(Serial("T00000"))!;
        Assert.Equal((123_456L, 42L, "PAYROLL.BACKUP", (DateTimeOffset?)Start.AddMinutes(5)),
            (volume.BytesUsed, volume.Blocks, volume.DataSetName, volume.LastWrittenAt));
    }

    [Fact]
    public void One_hundred_thousand_volumes_are_added_in_one_transaction_and_served()
    {
        using var directory = new TempDirectory();
        var catalog = OpenWithDrives(directory.Path);

        Assert.Equal((100_000L, 0L), catalog.AddVolumes([Range("V00000-V99999")], Scratch()));

        Assert.Equal(100_000, catalog.EnumerateVolumes().Count());
        Assert.Equal([new PoolCounts("SCRATCH", 100_000, 0, 0)], catalog.CountByPool());
        var allocation = catalog.TryAllocateScratch("SCRATCH", 0x580);
        Assert.Equal("V00000", allocation.Volume!.Serial.Value);
        Assert.Equal("V99999", catalog.FindVolume(Serial("V99999"))!.Serial.Value);
    }
}
