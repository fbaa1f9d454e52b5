using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using ChannelTape.Media;
using ChannelTape.Text;

namespace ChannelTape.Library.Tests.Mounts;

/// <summary>
/// Mounts the way MVS asks for them, through the real 3490 and CCWs (issue 4, item 3): Load
/// Display mount messages, scratch requests, Rewind Unload, pending requests.
/// </summary>
public sealed class LibraryMountTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ctape-mounts-").FullName;
    private readonly LibraryCatalog _catalog;
    private readonly LibraryManager _library;
    private readonly Dictionary<ushort, Guest> _hosts;

    public LibraryMountTests()
    {
        (var configuration, _catalog) = Guest.OpenLibrary(_root, $$"""
            storage { root "{{_root}}"; format aws; }
            drive 0580-0581 { model 3490; media 3490E; pool SCRATCH; }
            pool SCRATCH { volumes T00000-T00009; media 3490E; capacity 10M; labels SL; scratch; }
            pool PRIV { volumes P00000-P00004; media 3490E; capacity 10M; labels SL; }
            """);
        (_library, _hosts) = Guest.OnLibrary(configuration, _catalog, 0x0580, 0x0581);
    }

    public void Dispose()
    {
        foreach (var host in _hosts.Values)
        {
            host.Drive.Dispose();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Mount_message_mounts_the_volume_with_its_labels_and_presents_device_end()
    {
        var host = _hosts[0x0580];
        host.LoadDisplay("MP00001S");
        Assert.Equal(1, host.DeviceEnds);
        Assert.Equal("P00001", _library.View.State(0x0580)!.VolumeSerial);

        var (status, block) = host.Read();
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, status);
        Assert.True(Vol1Label.TryParse(block, LabelEncoding.Ebcdic, out var vol1));
        Assert.Equal("P00001", vol1!.VolumeSerial);
        var volume = _catalog.FindVolume(VolumeSerial.Parse("P00001"))!;
        Assert.Equal(VolumeStatus.Mounted, volume.Status);
        Assert.Equal((ushort)0x0580, volume.MountedOn);
    }

    [Fact]
    public void Scratch_request_takes_a_scratch_volume_of_the_drives_pool_and_keeps_it_private_after_writing()
    {
        var host = _hosts[0x0580];
        host.LoadDisplay("MSCRTCHS");
        string serial = _library.View.State(0x0580)!.VolumeSerial!;
        Assert.StartsWith("T0000", serial, StringComparison.Ordinal);
        host.WriteLabelledDataSet(serial, "PAYROLL.WEEKLY", 3);
        host.RewindUnload();

        var volume = _catalog.FindVolume(VolumeSerial.Parse(serial))!;
        Assert.Equal(VolumeStatus.Private, volume.Status);
        Assert.Equal("PAYROLL.WEEKLY", volume.DataSetName);
        Assert.Equal(3, volume.Blocks);
        Assert.Equal(new FileInfo(_catalog.Layout.ImagePath(volume)).Length, volume.BytesUsed);
        Assert.Null(_library.View.State(0x0580)!.VolumeSerial);
    }

    [Fact]
    public void Written_volume_reads_back_after_unload_and_a_new_mount_and_history_records_both_mounts()
    {
        var host = _hosts[0x0580];
        host.LoadDisplay("MP00002S");
        host.WriteLabelledDataSet("P00002", "MY.DATA.SET", 2);
        host.RewindUnload();

        _hosts[0x0581].LoadDisplay("MP00002S");
        var reader = _hosts[0x0581];
        Assert.Equal("VOL1P00002", Ebcdic.GetString(reader.Read().Block)[..10]);
        Assert.StartsWith("HDR1MY.DATA.SET", Ebcdic.GetString(reader.Read().Block), StringComparison.Ordinal);
        reader.Read(); // HDR2
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitException, reader.Read().Status);
        Assert.Equal("RECORD 1", Ebcdic.GetString(reader.Read().Block).TrimEnd());

        var history = _catalog.MountHistory(VolumeSerial.Parse("P00002"));
        Assert.Equal(2, history.Count);
        Assert.Equal((ushort)0x0581, history[0].DeviceNumber);
        Assert.NotNull(history[1].UnmountedAt);
        Assert.Null(history[0].UnmountedAt);
    }

    [Fact]
    public void Unknown_volume_leaves_the_drive_not_ready_with_the_request_visible()
    {
        var host = _hosts[0x0580];
        host.LoadDisplay("MZZZ999S");
        var state = _library.View.State(0x0580)!;
        Assert.Null(state.VolumeSerial);
        Assert.Equal("ZZZ999", state.PendingRequest);
        Assert.Contains("not in the library", state.PendingReason, StringComparison.Ordinal);
        Assert.Equal(0, host.DeviceEnds);
        Assert.Equal(UnitStatus.UnitCheck, host.Read().Status); // intervention required
    }

    [Fact]
    public void A_volume_mounted_elsewhere_waits_and_follows_when_released()
    {
        _hosts[0x0580].LoadDisplay("MP00003S");
        _hosts[0x0581].LoadDisplay("MP00003S");
        Assert.Equal("P00003", _library.View.State(0x0581)!.PendingRequest);
        Assert.Contains("mounted on drive 0580", _library.View.State(0x0581)!.PendingReason, StringComparison.Ordinal);

        _hosts[0x0580].RewindUnload(); // the library mounts the waiting request on 0581 at once
        Assert.Equal("P00003", _library.View.State(0x0581)!.VolumeSerial);
        Assert.Equal(1, _hosts[0x0581].DeviceEnds);
    }

    [Fact]
    public void Demount_message_releases_the_volume()
    {
        var host = _hosts[0x0580];
        host.LoadDisplay("MP00004S");
        host.LoadDisplay("DP00004 ", formatControl: 0x20);
        Assert.False(host.Drive.IsLoaded);
        var volume = _catalog.FindVolume(VolumeSerial.Parse("P00004"))!;
        Assert.Null(volume.MountedOn);
        Assert.NotEqual(VolumeStatus.Mounted, volume.Status);
        Assert.NotNull(_catalog.MountHistory(VolumeSerial.Parse("P00004"))[0].UnmountedAt);
    }

    [Fact]
    public void Operator_mount_and_unload_work_beside_host_requests()
    {
        Assert.True(_hosts[0x0581].Operator("P00000").Done);
        Assert.True(_hosts[0x0581].Drive.IsLoaded);
        var refused = _hosts[0x0580].Operator("NOPE00");
        Assert.Equal((false, "volume NOPE00 is not in the library"), (refused.Done, refused.Message));
        Assert.Null(_library.View.State(0x0580)!.PendingRequest); // an operator is told; nothing stays pending
        Assert.True(_hosts[0x0581].Operator("*").Done);
        Assert.False(_hosts[0x0581].Drive.IsLoaded);
        Assert.Null(_catalog.FindVolume(VolumeSerial.Parse("P00000"))!.MountedOn);
    }
}
