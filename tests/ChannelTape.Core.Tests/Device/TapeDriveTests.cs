using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;

namespace ChannelTape.Core.Tests.Device;

/// <summary>Drive behaviour around the CCWs: mounts, unloads, events, counters, sense handling, robustness.</summary>
public class TapeDriveTests
{
    private const CcwFlags Sli = CcwFlags.SuppressLength;

    [Fact]
    public void Mount_and_operator_unload_present_device_end_and_dispose_the_volume()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        var statuses = new List<UnitStatus>();
        drive.UnsolicitedStatus += (device, status) =>
        {
            Assert.Same(drive, device);
            statuses.Add(status);
        };

        var first = new MemoryTapeMedia();
        drive.Mount(first);
        Assert.True(drive.IsLoaded);
        Assert.Same(first, drive.Media);

        var second = new MemoryTapeMedia();
        drive.Mount(second);
        Assert.True(first.IsDisposed);
        Assert.False(second.IsDisposed);

        drive.Unload();
        Assert.True(second.IsDisposed);
        Assert.False(drive.IsLoaded);
        Assert.Null(drive.Media);
        Assert.Equal([UnitStatus.DeviceEnd, UnitStatus.DeviceEnd, UnitStatus.DeviceEnd], statuses);
        Assert.Equal(2, drive.Counters.Mounts);
    }

    [Theory]
    [InlineData(TapeModel.Ibm3490, 0x0E, "4042202B0000002200000000000000000000000000000000000000EC00580000")]
    [InlineData(TapeModel.Ibm3480, 0x0E, "4042202B000000220000000000000000000000000000000000000000")]
    [InlineData(TapeModel.Ibm3420, 0x2E, "4022000000C003000000000000800100010000FFFF000000")]
    public void Rewind_unload_merges_status_and_releases_the_volume(TapeModel model, byte status, string sense)
    {
        using var drive = new TapeDrive(model, 0x0580);
        var media = MemoryTapeMedia.FromBlocks([[0xC1], null]);
        drive.Mount(media);
        DriveHarness.One(drive, 0x02, 8, Sli);
        int unloaded = 0;
        drive.VolumeUnloaded += d =>
        {
            Assert.Same(drive, d);
            Assert.False(d.IsLoaded);
            unloaded++;
        };
        bool unsolicited = false;
        drive.UnsolicitedStatus += (_, _) => unsolicited = true;

        var outcome = DriveHarness.One(drive, 0x0F, 1, Sli);
        Assert.Equal(status, outcome.Status());
        Assert.Equal(1, outcome.Result.Residual);
        Assert.Equal(1, unloaded);
        Assert.False(unsolicited);
        Assert.True(media.IsDisposed);
        Assert.True(drive.IsSensePending);
        Assert.Equal(sense[..(SenseBuilder.SenseCount(model) * 2)], Convert.ToHexString(drive.Sense));
    }

    [Fact]
    public void Concurrent_sense_takes_the_pending_sense_once()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        var result = DriveHarness.One(drive, 0x02, 8, Sli);
        Assert.Equal(UnitStatus.UnitCheck, result.Result.Status);
        Assert.True(drive.IsSensePending);

        var ecw = new byte[32];
        Assert.Equal(32, drive.TakeConcurrentSense(ecw));
        Assert.Equal("404220430000002000000000000000000000000000000000000600EC00580000", Convert.ToHexString(ecw));
        Assert.False(drive.IsSensePending);
        Assert.Equal("404220000000002000000000000000000000000000000000000600EC00580000", DriveHarness.SenseHex(drive));
    }

    [Fact]
    public void Later_commands_leave_pending_sense_until_a_new_error_replaces_it()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Mount(MemoryTapeMedia.FromBlocks([[0xC1]]));
        DriveHarness.One(drive, 0xFF, 1, Sli);                  // command reject
        DriveHarness.One(drive, 0x02, 8, Sli);                  // good read: sense untouched
        Assert.Equal("804820270000002000000000000000000000000000000000000600EC00580000", Convert.ToHexString(drive.Sense));
        DriveHarness.One(drive, 0x02, 8, Sli);                  // end of data replaces it
        Assert.Equal("084020310000002000000000000000000000000000000000000600EC00580000", DriveHarness.SenseHex(drive));
        Assert.Equal("004020000000002000000000000000000000000000000000000600EC00580000", DriveHarness.SenseHex(drive));
    }

    [Fact]
    public void Tape_mark_rebuilds_sense_without_leaving_it_pending()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Mount(MemoryTapeMedia.FromBlocks([null]));
        DriveHarness.One(drive, 0xFF, 1, Sli);
        Assert.True(drive.IsSensePending);
        var read = DriveHarness.One(drive, 0x02, 8, Sli);
        Assert.Equal(0x0D, read.Status());
        Assert.False(drive.IsSensePending);
    }

    [Fact]
    public void Counters_count_blocks_bytes_ccws_and_unit_checks()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Mount(new MemoryTapeMedia());
        DriveHarness.Run(drive, TestCcw.WithData(0x01, "C1C2C3", CcwFlags.ChainCommand), TestCcw.Of(0x1F, 1, Sli));
        DriveHarness.One(drive, 0x07, 1, Sli);
        DriveHarness.One(drive, 0x02, 2, Sli);
        DriveHarness.One(drive, 0x02, 2, Sli); // tape mark
        DriveHarness.One(drive, 0x02, 2, Sli); // end of data
        var counters = drive.Counters;
        Assert.Equal(1, counters.BlocksWritten);
        Assert.Equal(3, counters.BytesWritten);
        Assert.Equal(1, counters.TapeMarksWritten);
        Assert.Equal(1, counters.BlocksRead);
        Assert.Equal(3, counters.BytesRead);
        Assert.Equal(1, counters.UnitChecks);
        Assert.Equal(6, counters.Ccws);
    }

    [Fact]
    public void Data_chained_read_serves_the_rest_of_the_block_without_moving()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Mount(MemoryTapeMedia.FromBlocks([Text.Ebcdic.GetBytes("PART1-PART2-PART3"), [0xC1]]));
        var outcomes = DriveHarness.Run(drive,
            new TestCcw(0x02, 4, CcwFlags.ChainData), new TestCcw(0x02, 4, CcwFlags.ChainData), new TestCcw(0x02, 40, Sli));
        Assert.Equal(3, outcomes.Count);
        Assert.Equal("D7C1D9E3", outcomes[0].DataHex);
        Assert.True(outcomes[0].Result.More);
        Assert.Equal("F160D7C1", outcomes[1].DataHex);
        Assert.Equal("D9E3F260D7C1D9E3F3", outcomes[2].DataHex);
        Assert.Equal(31, outcomes[2].Result.Residual);
        Assert.False(outcomes[2].Result.More);
        Assert.Equal(1, drive.Media!.Position.BlockNumber);
    }

    [Fact]
    public void Write_past_the_warning_point_adds_unit_exception_and_over_capacity_is_end_of_tape()
    {
        // golden eot_3490_maxsizeK1_eotmargin300: maxsizeK=1, eotmargin=300.
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Mount(new MemoryTapeMedia("tape.aws", maxSize: 1024, eotMargin: 300));
        var block = new byte[200];
        var statuses = new List<byte>();
        for (int i = 0; i < 5; i++)
        {
            var result = drive.Execute(new CcwRequest(0x01, CcwFlags.None, CcwFlags.None, 200, 0, 0), block);
            statuses.Add((byte)result.Status);
        }

        Assert.Equal([0x0C, 0x0C, 0x0C, 0x0D, 0x0E], statuses);
        Assert.Equal("104020380000002000000000000000000000000000000000000600EC00580000", DriveHarness.SenseHex(drive));
        Assert.Equal(0x0D, DriveHarness.One(drive, 0x1F, 1, Sli).Status());
        Assert.Equal(0x0D, DriveHarness.One(drive, 0x17, 1, Sli).Status());
        Assert.Equal(0x0C, DriveHarness.One(drive, 0x07, 1, Sli).Status());
        Assert.Equal(0x0C, DriveHarness.One(drive, 0x01, 10).Status());
    }

    [Fact]
    public void Locate_block_positions_without_rewinding_and_read_block_id_reports_it()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Mount(MemoryTapeMedia.FromBlocks([[0xC1], [0xC2], null, [0xC3]]));
        Assert.Equal(0x0C, DriveHarness.One(drive, 0x4F, 4, CcwFlags.None, "01000003").Status());
        Assert.Equal("0100000301000003", DriveHarness.One(drive, 0x22, 8).DataHex);
        Assert.Equal(2, drive.Media!.Position.FileNumber);
        Assert.Equal("C3", DriveHarness.One(drive, 0x02, 1).DataHex);
        Assert.Equal(0x0C, DriveHarness.One(drive, 0x4F, 4, CcwFlags.None, "00400001").Status());
        Assert.Equal("C2", DriveHarness.One(drive, 0x02, 1).DataHex);
    }

    [Fact]
    public void Sense_id_and_characteristics_per_model()
    {
        using var cartridge = new TapeDrive(TapeModel.Ibm3480, 0x0581);
        Assert.Equal("FF348031348031", DriveHarness.One(cartridge, 0xE4, 7).DataHex);
        Assert.Equal("348031348031000002C0808000000000000000000000000034803134803100000000000000000000418000000000000000000000000000000000000000000000",
            DriveHarness.One(cartridge, 0x64, 64).DataHex);

        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x058A);
        var rcd = DriveHarness.One(drive, 0xFA, 160).DataHex;
        Assert.Equal(320, rcd.Length);
        Assert.StartsWith("CC010200F0F0F3F4F9F0C3F1F0C8D9C3E9E9F0F0F0F0F0F0F0F0F0F0F0F0000A", rcd);
        Assert.Equal("80800080000000000100", rcd.Substring(256, 20)); // NEQ; byte 136 = 01 for drive address > 7
        Assert.Equal("EC000000F0F0F3F4F9F0C3F1F0", rcd.Substring(192, 26));

        using var reel = new TapeDrive(TapeModel.Ibm3420, 0x0580);
        Assert.Equal(UnitStatus.UnitCheck, DriveHarness.One(reel, 0xE4, 7).Result.Status);
        Assert.Equal(24, reel.Sense.Length);
        Assert.Equal(32, drive.Sense.Length);
    }

    [Fact]
    public void Pseudo_serial_number_comes_from_the_device_number()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x1A5C);
        Assert.Equal("01A5CC00", DriveHarness.SenseHex(drive)[56..]);
    }

    [Fact]
    public void Execute_never_throws_for_any_command_count_or_short_buffer()
    {
        var random = new Random(2);
        foreach (var model in new[] { TapeModel.Ibm3420, TapeModel.Ibm3480, TapeModel.Ibm3490 })
        {
            using var drive = new TapeDrive(model, 0x0580);
            drive.Mount(MemoryTapeMedia.FromBlocks([[0xC1, 0xC2], null, new byte[70_000], null]));
            var previousFlags = CcwFlags.None;
            byte previous = 0;
            for (int i = 0; i < 20_000; i++)
            {
                byte op = (byte)random.Next(256);
                var flags = (CcwFlags)random.Next(256);
                int count = random.Next(4) switch
                {
                    0 => 0,
                    1 => random.Next(1, 20),
                    2 => random.Next(0, 0x10000),
                    _ => random.Next(-5, 0x20000),
                };
                var buffer = new byte[random.Next(0, 40)];
                random.NextBytes(buffer);
                var result = drive.Execute(new CcwRequest(op, flags, previousFlags, count, previous, i % 7), buffer);
                Assert.InRange(result.Residual, 0, 0xFFFF);
                previousFlags = flags & (CcwFlags.ChainCommand | CcwFlags.ChainData);
                previous = op;
                if (op == 0x0F)
                {
                    drive.Mount(MemoryTapeMedia.FromBlocks([[0xC1], null]));
                }
            }
        }
    }
}
