using System.Collections.Concurrent;
using ChannelTape.Library.Catalog;
using static ChannelTape.Testing.CatalogTestSupport;

namespace ChannelTape.Library.Tests.Catalog;

public class CatalogMountTests
{
    [Fact]
    public void Specific_mount_is_recorded_from_request_to_unload()
    {
        using var directory = new TempDirectory();
        var time = new ManualTime(Start);
        var catalog = OpenWithDrives(directory.Path, time);
        catalog.AddVolumes([Range("P00000")], Scratch() with { Scratch = false });
        var serial = Serial("P00000");

        var start = catalog.BeginMount(serial, 0x581);
        Assert.True(start.Started);
        Assert.Equal((VolumeStatus.Mounted, (ushort?)0x581), (start.Volume!.Status, start.Volume.MountedOn));
        Assert.Equal(new DriveRecord(0x581, Device.TapeModel.Ibm3490, DriveState.Mounting, serial, Start), catalog.ListDrives()[1]);

        time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(catalog.CompleteMount(start.MountId));
        Assert.False(catalog.CompleteMount(start.MountId)); // only once
        Assert.Equal(DriveState.Loaded, catalog.ListDrives()[1].State);
        Assert.Equal(start.MountId, catalog.OpenMount(0x581)!.Id);

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(catalog.EndMount(start.MountId));
        Assert.False(catalog.EndMount(start.MountId));

        var volume = catalog.FindVolume(serial)!;
        Assert.Equal((VolumeStatus.Private, (ushort?)null, 1, (DateTimeOffset?)Start.AddSeconds(2)),
            (volume.Status, volume.MountedOn, volume.MountCount, volume.LastMountedAt));
        Assert.Equal(new DriveRecord(0x581, Device.TapeModel.Ibm3490, DriveState.Empty, null, Start.AddSeconds(62)), catalog.ListDrives()[1]);
        Assert.Null(catalog.OpenMount(0x581));
        Assert.Equal(
            [new MountRecord(start.MountId, serial, 0x581, Start, Start.AddSeconds(2), Start.AddSeconds(62), ScratchRequest: false)],
            catalog.MountHistory(serial));
    }

    [Fact]
    public void A_stored_image_is_recorded_only_under_its_open_mount_and_names_the_object_it_superseded()
    {
        using var directory = new TempDirectory();
        var catalog = OpenWithDrives(directory.Path);
        catalog.AddVolumes([Range("T00000")], Scratch());
        var serial = Serial("T00000");
        var mount = catalog.BeginMount(serial, 0x580);
        catalog.CompleteMount(mount.MountId);

        Assert.True(catalog.RecordStoredImage(serial, new StoredImage("v1", "e1", 10, "aa"), mount.MountId, out var first));
        Assert.Null(first);
        Assert.True(catalog.RecordStoredImage(serial, new StoredImage("v2", "e2", 20, "bb"), mount.MountId, out var superseded));
        Assert.Equal("v1", superseded);
        Assert.True(catalog.RecordStoredImage(serial, new StoredImage("v2", "e2", 20, "bb"), mount.MountId, out var same));
        Assert.Null(same); // the object it names is not superseded by itself

        catalog.EndMount(mount.MountId);
        Assert.False(catalog.RecordStoredImage(serial, new StoredImage("v3", "e3", 30, "cc"), mount.MountId, out var late));
        Assert.Null(late);
        Assert.Equal("v2", catalog.FindVolume(serial)!.Stored!.Key);
    }

    [Fact]
    public void Mount_refusals()
    {
        using var directory = new TempDirectory();
        var catalog = OpenWithDrives(directory.Path);
        catalog.AddVolumes([Range("T00000-T00001")], Scratch());

        Assert.Equal(MountRefusal.UnknownDrive, catalog.BeginMount(Serial("T00000"), 0x0999).Refusal);
        Assert.Equal(MountRefusal.UnknownVolume, catalog.BeginMount(Serial("X00000"), 0x580).Refusal);
        Assert.True(catalog.BeginMount(Serial("T00000"), 0x580).Started);
        Assert.Equal(MountRefusal.DriveBusy, catalog.BeginMount(Serial("T00001"), 0x580).Refusal);
        Assert.Equal(MountRefusal.DriveBusy, catalog.TryAllocateScratch("SCRATCH", 0x580).Refusal);
        var again = catalog.BeginMount(Serial("T00000"), 0x581);
        Assert.Equal(MountRefusal.VolumeMounted, again.Refusal);
        Assert.Equal((ushort?)0x580, again.Volume!.MountedOn);
        Assert.Equal(MountRefusal.UnknownDrive, catalog.TryAllocateScratch("SCRATCH", 0x0999).Refusal);
        Assert.Equal(MountRefusal.NoScratchVolume, catalog.TryAllocateScratch("NOPOOL", 0x581).Refusal);
        Assert.DoesNotContain(catalog.MountHistory(), m => m.DeviceNumber != 0x580);
    }

    [Fact]
    public void Scratch_allocation_takes_the_least_recently_mounted_writable_volume()
    {
        using var directory = new TempDirectory();
        var time = new ManualTime(Start);
        var catalog = OpenWithDrives(directory.Path, time);
        catalog.AddVolumes([Range("T00000-T00003")], Scratch());
        catalog.SetReadOnly(Serial("T00000"), readOnly: true);
        catalog.AddVolumes([Range("U00000")], Scratch("OTHER"));

        // T00001 was mounted (by serial) and given back as scratch: it goes to the end of the queue.
        var used = catalog.BeginMount(Serial("T00001"), 0x580);
        catalog.CompleteMount(used.MountId);
        catalog.EndMount(used.MountId);
        Assert.Equal(VolumeStatus.Scratch, catalog.FindVolume(Serial("T00001"))!.Status);
        time.Advance(TimeSpan.FromSeconds(1));

        var order = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var allocation = catalog.TryAllocateScratch("SCRATCH", 0x580);
            Assert.True(allocation.Started, allocation.Refusal.ToString());
            order.Add(allocation.Volume!.Serial.Value);
            catalog.CompleteMount(allocation.MountId);
            catalog.RecordWrite(allocation.Volume.Serial, 4096, 1, "A.B"); // the host wrote its data set
            catalog.EndMount(allocation.MountId);
            Assert.Equal(VolumeStatus.Private, catalog.FindVolume(allocation.Volume.Serial)!.Status);
        }

        Assert.Equal(["T00002", "T00003", "T00001"], order);
        Assert.Equal(MountRefusal.NoScratchVolume, catalog.TryAllocateScratch("SCRATCH", 0x580).Refusal); // T00000 is read-only
        Assert.True(catalog.MountHistory(limit: 3).All(m => m.ScratchRequest));
    }

    [Fact]
    public void A_scratch_mount_abandoned_before_the_volume_was_ready_gives_the_volume_back()
    {
        using var directory = new TempDirectory();
        var catalog = OpenWithDrives(directory.Path);
        catalog.AddVolumes([Range("T00000")], Scratch());

        var allocation = catalog.TryAllocateScratch("SCRATCH", 0x580);
        Assert.True(catalog.EndMount(allocation.MountId));

        var volume = catalog.FindVolume(Serial("T00000"))!;
        Assert.Equal((VolumeStatus.Scratch, 0), (volume.Status, volume.MountCount));
        Assert.Null(Assert.Single(catalog.MountHistory()).MountedAt);
        Assert.True(catalog.TryAllocateScratch("SCRATCH", 0x581).Started);
    }

    [Fact]
    public void A_scratch_volume_handed_out_and_given_back_unwritten_is_scratch_again()
    {
        using var directory = new TempDirectory();
        var catalog = OpenWithDrives(directory.Path);
        catalog.AddVolumes([Range("T00000")], Scratch());

        var allocation = catalog.TryAllocateScratch("SCRATCH", 0x580);
        catalog.CompleteMount(allocation.MountId);
        Assert.True(catalog.EndMount(allocation.MountId));

        var volume = catalog.FindVolume(Serial("T00000"))!;
        Assert.Equal((VolumeStatus.Scratch, 1), (volume.Status, volume.MountCount));
    }

    [Fact]
    public void A_scratch_volume_written_during_a_specific_mount_becomes_private()
    {
        using var directory = new TempDirectory();
        var time = new ManualTime(Start);
        var catalog = OpenWithDrives(directory.Path, time);
        catalog.AddVolumes([Range("T00000")], Scratch());

        var mount = catalog.BeginMount(Serial("T00000"), 0x580);
        catalog.CompleteMount(mount.MountId);
        time.Advance(TimeSpan.FromSeconds(1));
        catalog.RecordWrite(Serial("T00000"), 4096, 1, "A.B");
        catalog.EndMount(mount.MountId);

        Assert.Equal(VolumeStatus.Private, catalog.FindVolume(Serial("T00000"))!.Status);
    }

    [Fact]
    public void Ending_all_mounts_frees_every_drive()
    {
        using var directory = new TempDirectory();
        var catalog = OpenWithDrives(directory.Path);
        catalog.AddVolumes([Range("T00000-T00009")], Scratch());
        var first = catalog.TryAllocateScratch("SCRATCH", 0x580);
        catalog.CompleteMount(first.MountId);
        catalog.RecordWrite(first.Volume!.Serial, 4096, 1, "A.B");
        catalog.TryAllocateScratch("SCRATCH", 0x581);

        Assert.Equal(2, catalog.EndAllMounts());

        Assert.All(catalog.ListDrives(), d => Assert.Equal(DriveState.Empty, d.State));
        Assert.Empty(catalog.ListVolumes(status: VolumeStatus.Mounted));
        Assert.Equal(VolumeStatus.Private, catalog.FindVolume(first.Volume!.Serial)!.Status);
        Assert.Equal(0, catalog.EndAllMounts());
    }

    [Fact]
    public void Pruning_keeps_the_newest_ended_mounts_and_every_open_one()
    {
        using var directory = new TempDirectory();
        var catalog = OpenWithDrives(directory.Path);
        catalog.AddVolumes([Range("T00000-T00009")], Scratch());
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            var allocation = catalog.TryAllocateScratch("SCRATCH", 0x580);
            ids.Add(allocation.MountId);
            catalog.EndMount(allocation.MountId);
        }

        var open = catalog.TryAllocateScratch("SCRATCH", 0x581);

        Assert.Equal(3, catalog.PruneMountHistory(keep: 2));
        Assert.Equal([open.MountId, ids[4], ids[3]], catalog.MountHistory().Select(m => m.Id));
    }

    [Fact]
    public void Eight_drives_allocating_at_once_never_get_the_same_volume()
    {
        const int volumes = 2_000;
        using var directory = new TempDirectory();
        OpenWithDrives(directory.Path).AddVolumes([Range($"S00000-S0{volumes - 1:D4}")], Scratch());

        var handedOut = new ConcurrentBag<string>();
        var failures = new ConcurrentBag<string>();
        using var go = new Barrier(8);
        var threads = Enumerable.Range(0, 8).Select(i => new Thread(() =>
        {
            // Each drive uses its own catalog instance, hence its own connections.
            var catalog = LibraryCatalog.Open(directory.Path);
            var device = (ushort)(0x580 + i);
            go.SignalAndWait();
            while (true)
            {
                var allocation = catalog.TryAllocateScratch("SCRATCH", device);
                if (allocation.Refusal == MountRefusal.NoScratchVolume)
                {
                    return;
                }

                if (!allocation.Started || allocation.Volume!.MountedOn != device)
                {
                    failures.Add($"{device:X4}: {allocation.Refusal}");
                    return;
                }

                handedOut.Add(allocation.Volume.Serial.Value);
                catalog.CompleteMount(allocation.MountId);
                catalog.RecordWrite(allocation.Volume.Serial, 4096, 1, "A.B"); // the host wrote it: private from now on
                catalog.EndMount(allocation.MountId);
            }
        })).ToList();

        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(failures);
        Assert.Equal(volumes, handedOut.Count);
        Assert.Equal(volumes, handedOut.Distinct().Count());
        var catalogAfter = LibraryCatalog.Open(directory.Path);
        Assert.Equal([new PoolCounts("SCRATCH", 0, volumes, 0)], catalogAfter.CountByPool());
        Assert.Equal(volumes, catalogAfter.MountHistory(limit: volumes + 1).Count);
        Assert.All(catalogAfter.ListVolumes(), v => Assert.Equal(1, v.MountCount));
    }
}
