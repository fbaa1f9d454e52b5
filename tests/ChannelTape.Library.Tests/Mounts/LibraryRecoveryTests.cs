using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;

namespace ChannelTape.Library.Tests.Mounts;

/// <summary>
/// Server start after a <c>kill -9</c> (issue 4, "after restart the catalog agrees with the
/// images"): hosts wrote through the real 3490 to images whose mounts were never released; a new
/// catalog instance is reconciled and must describe the images as they are.
/// </summary>
public sealed class LibraryRecoveryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ctape-recovery-").FullName;
    private readonly LibraryConfiguration _configuration;
    private readonly List<Guest> _hosts = [];

    public LibraryRecoveryTests()
    {
        var result = ConfigurationParser.ParseText($$"""
            storage { root "{{_root}}"; format aws; }
            drive 0580-0582 { model 3490; media 3490E; pool SCRATCH; }
            pool SCRATCH { volumes T00000-T00009; media 3490E; capacity 10M; labels SL; scratch; }
            pool PRIV { volumes P00000-P00004; media 3490E; capacity 10M; labels SL; }
            limits { mount-history 2; }
            """, "test.conf", _root);
        Assert.Empty(result.Errors);
        _configuration = result.Configuration!;
    }

    public void Dispose()
    {
        foreach (var host in _hosts)
        {
            host.Drive.Dispose();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Volumes_written_under_open_mounts_are_rescanned_and_no_longer_mounted()
    {
        var (catalog, hosts) = StartServer();
        // Released normally: the catalog already knows this one.
        hosts[2].LoadDisplay("MP00000S");
        hosts[2].WriteLabelledDataSet("P00000", "KEPT.AS.IS", 1);
        hosts[2].RewindUnload();
        // A specific mount of a scratch volume and a scratch request, both written, then the crash.
        hosts[0].LoadDisplay("MT00005S");
        hosts[0].WriteLabelledDataSet("T00005", "PAYROLL.WEEKLY", 3);
        hosts[1].LoadDisplay("MSCRTCHS");
        string scratchSerial = catalog.OpenMount(0x0581)!.Serial.Value;
        hosts[1].WriteLabelledDataSet(scratchSerial, "GL.DAILY.BACKUP", 7);
        // The server is killed here: nothing more of it reaches the catalog.

        Assert.Equal(0, catalog.FindVolume(VolumeSerial.Parse("T00005"))!.Blocks); // the catalog lags behind

        var restarted = LibraryCatalog.Open(_root);
        var result = LibraryRecovery.Reconcile(restarted, _configuration);

        Assert.Equal(2, result.MountsEnded);
        Assert.Equal(new[] { "T00005", scratchSerial }.Order(StringComparer.Ordinal), result.Rescanned.Select(s => s.Value).Order(StringComparer.Ordinal));
        AssertAgreesWithImage(restarted, "T00005", "PAYROLL.WEEKLY", 3);
        AssertAgreesWithImage(restarted, scratchSerial, "GL.DAILY.BACKUP", 7);
        AssertAgreesWithImage(restarted, "P00000", "KEPT.AS.IS", 1);
        // Written during the mount: the host owns the data now, so neither goes back to scratch.
        Assert.Equal(VolumeStatus.Private, restarted.FindVolume(VolumeSerial.Parse("T00005"))!.Status);
        Assert.Equal(VolumeStatus.Private, restarted.FindVolume(VolumeSerial.Parse(scratchSerial))!.Status);
        Assert.Empty(restarted.OpenMounts());
        Assert.All(restarted.ListDrives(), d => Assert.Equal((DriveState.Empty, (VolumeSerial?)null), (d.State, d.Volume)));
        Assert.All(restarted.EnumerateVolumes(), v => Assert.Null(v.MountedOn));
    }

    [Fact]
    public void Reconcile_is_idempotent_and_the_volume_mounts_again_afterwards()
    {
        var (catalog, hosts) = StartServer();
        hosts[0].LoadDisplay("MP00001S");
        hosts[0].WriteLabelledDataSet("P00001", "FIRST.RUN", 2);
        // The server is killed here: nothing more of it reaches the catalog.

        var restarted = LibraryCatalog.Open(_root);
        Assert.Equal(["P00001"], LibraryRecovery.Reconcile(restarted, _configuration).Rescanned.Select(s => s.Value));
        var second = LibraryRecovery.Reconcile(restarted, _configuration);
        Assert.Equal((0, 0), (second.MountsEnded, second.Rescanned.Count));

        // The restarted server can mount the volume again, and reads what the crashed one wrote.
        var (library, guests) = Guest.OnLibrary(_configuration, restarted, 0x0582);
        var host = guests[0x0582];
        _hosts.Add(host);
        host.LoadDisplay("MP00001S");
        Assert.Equal(1, host.DeviceEnds);
        Assert.Equal("P00001", library.View.State(0x0582)!.VolumeSerial);
        _ = catalog;
    }

    [Fact]
    public void An_image_changed_in_place_with_the_same_size_is_rescanned()
    {
        var (catalog, hosts) = StartServer();
        hosts[0].LoadDisplay("MP00002S");
        hosts[0].WriteLabelledDataSet("P00002", "AAAAAAAA", 1);
        hosts[0].RewindUnload();
        var before = catalog.FindVolume(VolumeSerial.Parse("P00002"))!;
        // Same length, new name and a later modification time: only the time tells.
        hosts[0].LoadDisplay("MP00002S");
        hosts[0].WriteLabelledDataSet("P00002", "BBBBBBBB", 1);
        // The server is killed here: nothing more of it reaches the catalog.
        var image = catalog.Layout.ImagePath(before);
        File.SetLastWriteTimeUtc(image, before.LastWrittenAt!.Value.UtcDateTime.AddSeconds(5));
        Assert.Equal(before.BytesUsed, new FileInfo(image).Length);

        var restarted = LibraryCatalog.Open(_root);
        LibraryRecovery.Reconcile(restarted, _configuration);

        Assert.Equal("BBBBBBBB", restarted.FindVolume(VolumeSerial.Parse("P00002"))!.DataSetName);
    }

    [Fact]
    public void Leftovers_of_an_interrupted_import_go_and_missing_images_are_reported()
    {
        var (catalog, _) = StartServer();
        Directory.CreateDirectory(catalog.Layout.VolumesDirectory);
        var partial = LibraryRecovery.PartialImagePath(catalog.Layout, VolumeSerial.Parse("P00003"), ImageFileKind.Aws);
        File.WriteAllBytes(partial, new byte[100]);
        catalog.RecordWrite(VolumeSerial.Parse("P00004"), 4096, 10, "GONE.DATA");
        var keep = Path.Combine(catalog.Layout.VolumesDirectory, "notes.txt");
        File.WriteAllText(keep, "operator notes");

        var result = LibraryRecovery.Reconcile(catalog, _configuration);

        Assert.False(File.Exists(partial));
        Assert.True(File.Exists(keep));
        Assert.Equal(1, result.PartialFilesRemoved);
        Assert.Equal(["P00004"], result.MissingImages.Select(s => s.Value));
        Assert.Equal("GONE.DATA", catalog.FindVolume(VolumeSerial.Parse("P00004"))!.DataSetName); // left for the operator
    }

    [Fact]
    public void Mount_history_is_pruned_to_the_configured_limit()
    {
        var (catalog, hosts) = StartServer();
        foreach (var serial in new[] { "P00000", "P00001", "P00002", "P00003" })
        {
            hosts[0].LoadDisplay($"M{serial}S");
            hosts[0].RewindUnload();
        }

        var result = LibraryRecovery.Reconcile(catalog, _configuration);

        Assert.Equal(2, result.MountHistoryPruned);
        Assert.Equal(["P00003", "P00002"], catalog.MountHistory().Select(m => m.Serial.Value));
    }

    [Theory]
    [InlineData("data cut short")]
    [InlineData("header cut short")]
    public void A_last_block_a_crash_left_unfinished_is_cut_off_and_the_catalog_counts_only_whole_blocks(string tear)
    {
        var (catalog, hosts) = StartServer();
        hosts[0].LoadDisplay("MP00003S");
        hosts[0].WriteLabelledDataSet("P00003", "TORN.TAIL", 2);
        // The server is killed here, in the middle of writing one more block.
        var image = catalog.Layout.ImagePath(catalog.FindVolume(VolumeSerial.Parse("P00003"))!);
        var whole = new FileInfo(image).Length;
        byte[] torn = tear == "data cut short"
            ? [0x50, 0x00, 0x50, 0x00, 0xA0, 0x00, .. new byte[30]] // a header for 80 bytes, then 30 of them
            : [0x50, 0x00, 0x50];                                   // half a header
        using (var stream = new FileStream(image, FileMode.Append))
        {
            stream.Write(torn);
        }

        var restarted = LibraryCatalog.Open(_root);
        var result = LibraryRecovery.Reconcile(restarted, _configuration);

        Assert.Equal(["P00003"], result.TornTails.Select(s => s.Value));
        Assert.Equal(whole, new FileInfo(image).Length);
        AssertAgreesWithImage(restarted, "P00003", "TORN.TAIL", 2);
        // A whole image is left as it is.
        Assert.Equal(0, VolumeScanner.CutTornTail(image));
        Assert.Equal(whole, new FileInfo(image).Length);
    }

    private void AssertAgreesWithImage(LibraryCatalog catalog, string serial, string dataSetName, int blocks)
    {
        var volume = catalog.FindVolume(VolumeSerial.Parse(serial))!;
        var image = catalog.Layout.ImagePath(volume);
        var scan = VolumeScanner.Scan(image, volume.Labels);
        Assert.Equal((new FileInfo(image).Length, (long)blocks, dataSetName), (volume.BytesUsed, volume.Blocks, volume.DataSetName));
        Assert.Equal((scan.ImageSize, scan.DataBlocks, scan.FirstDataSetName), (volume.BytesUsed, volume.Blocks, volume.DataSetName));
        Assert.NotEqual(VolumeStatus.Mounted, volume.Status);
    }

    private (LibraryCatalog Catalog, List<Guest> Hosts) StartServer()
    {
        var catalog = LibraryCatalog.Open(_root);
        catalog.SyncFromConfiguration(_configuration);
        var (_, guests) = Guest.OnLibrary(_configuration, catalog, 0x0580, 0x0581, 0x0582);
        var hosts = guests.Values.OrderBy(g => g.Runtime.DeviceNumber).ToList();
        _hosts.AddRange(hosts);
        return (catalog, hosts);
    }
}
