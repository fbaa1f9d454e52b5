using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;

namespace ChannelTape.Core.Tests.Device;

/// <summary>
/// The deliberate deviations from Hercules 3.13 (docs/device-behaviour.md, "## Device"): each test
/// states the improved outcome; the Hercules outcome is in the golden result (tests/golden/results) named
/// in the comment, and tests/golden/deviations.json lists the difference.
/// </summary>
public class ImprovementTests
{
    private const CcwFlags Sli = CcwFlags.SuppressLength;
    private const CcwFlags Cc = CcwFlags.ChainCommand;

    private static TapeDrive Drive(TapeModel model, params byte[]?[] blocks)
    {
        var drive = new TapeDrive(model, 0x0580);
        drive.Mount(MemoryTapeMedia.FromBlocks(blocks));
        return drive;
    }

    [Fact]
    public void Perform_subsystem_function_prepares_data_that_read_subsystem_data_returns()
    {
        // Hercules: PSF 18 ends with unit status 0 and the chain stops (golden psf_orders program 0, 1).
        using var drive = Drive(TapeModel.Ibm3490, [0xC1]);
        var outcomes = DriveHarness.Run(drive,
            TestCcw.WithData(0x77, "180000000000030012345678", Cc),
            new TestCcw(0x3E, 16, Sli));

        Assert.Equal(2, outcomes.Count);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, outcomes[0].Result.Status);
        Assert.Equal(0, outcomes[0].Result.Residual);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, outcomes[1].Result.Status);
        Assert.Equal(6, outcomes[1].Result.Residual);
        Assert.Equal("000A0201123456780000", outcomes[1].DataHex);
    }

    [Fact]
    public void Read_subsystem_data_without_message_id_returns_nine_bytes()
    {
        using var drive = Drive(TapeModel.Ibm3490);
        var outcomes = DriveHarness.Run(drive,
            TestCcw.WithData(0x77, "180000000000030000000000", Cc),
            new TestCcw(0x3E, 9));

        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, outcomes[1].Result.Status);
        Assert.Equal("000900000000000000", outcomes[1].DataHex);
    }

    [Fact]
    public void After_prepared_subsystem_data_any_command_but_read_subsystem_data_is_rejected()
    {
        using var drive = Drive(TapeModel.Ibm3490);
        var outcomes = DriveHarness.Run(drive,
            TestCcw.WithData(0x77, "180000000000030000000000", Cc),
            new TestCcw(0x03, 1, Sli));

        Assert.Equal(UnitStatus.UnitCheck, outcomes[1].Result.Status);
        Assert.Equal("804820270000002000000000000000000000000000000000000600EC00580000", DriveHarness.SenseHex(drive));
    }

    [Fact]
    public void Prepared_subsystem_data_lasts_one_channel_program()
    {
        using var drive = Drive(TapeModel.Ibm3490);
        DriveHarness.Run(drive, TestCcw.WithData(0x77, "180000000000030000000000"));
        var outcome = DriveHarness.Run(drive, new TestCcw(0x3E, 16, Sli))[0];
        Assert.Equal(UnitStatus.UnitCheck, outcome.Result.Status);
    }

    [Fact]
    public void Read_buffer_reports_an_empty_buffer_with_channel_end_and_device_end()
    {
        // Hercules: unit status 0, residual = count (golden mode_set_and_sense_data programs 18-20).
        using var drive = Drive(TapeModel.Ibm3490, [0xC1]);
        var outcomes = DriveHarness.Run(drive, new TestCcw(0x12, 16, Cc | Sli), new TestCcw(0x03, 1, Sli));
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, outcomes[0].Result.Status);
        Assert.Equal(16, outcomes[0].Result.Residual);
        Assert.Equal(2, outcomes.Count);
    }

    [Fact]
    public void Read_buffer_on_a_read_only_volume_keeps_the_Hercules_write_protect_check()
    {
        // golden readonly_3490 program 2: CE DE UC, ERA 30 (Hercules flushes, and a read-only flush fails).
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Mount(MemoryTapeMedia.FromBlocks([[0xC1, 0xC2], null], readOnly: true));
        var outcome = DriveHarness.One(drive, 0x12, 8, Sli);
        Assert.Equal((UnitStatus)0x0E, outcome.Result.Status);
        Assert.Equal(8, outcome.Result.Residual);
        Assert.Equal("804A20300000002000000000000000000000000000000000000600EC00580000", DriveHarness.SenseHex(drive));
    }

    [Fact]
    public void Data_security_erase_erases_from_the_position_to_the_end()
    {
        // Hercules leaves the volume untouched (golden dse_after_erase_gap program 2 reads C2).
        using var drive = Drive(TapeModel.Ibm3490, [0xC1], [0xC2], [0xC3], null);
        DriveHarness.One(drive, 0x02, 8, Sli);
        var erase = DriveHarness.Run(drive, new TestCcw(0x17, 1, Cc | Sli), new TestCcw(0x97, 1, Sli));
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, erase[1].Result.Status);

        var media = (MemoryTapeMedia)drive.Media!;
        Assert.Single(media.Entries);
        var read = DriveHarness.One(drive, 0x02, 8, Sli);
        Assert.Equal((UnitStatus)0x0E, read.Result.Status);
        Assert.Equal("084020310000002000000000000000000000000000000000000600EC00580000", DriveHarness.SenseHex(drive));
    }

    [Fact]
    public void Read_backward_over_a_tape_mark_transfers_nothing_and_reports_the_whole_count()
    {
        // Hercules: residual 0, and the channel stores stale buffer bytes (06_chaining program 10).
        using var drive = Drive(TapeModel.Ibm3490, [0xC1, 0xC2], null);
        DriveHarness.One(drive, 0x3F, 1, Sli);
        var buffer = new byte[10];
        Array.Fill(buffer, (byte)0xEE);
        var result = drive.Execute(new CcwRequest(0x0C, Sli, CcwFlags.None, 10, 0, 0), buffer);

        Assert.Equal(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitException, result.Status);
        Assert.Equal(10, result.Residual);
        Assert.All(buffer, b => Assert.Equal(0xEE, b));
        Assert.Equal(1, drive.Media!.Position.BlockNumber); // before the tape mark
        Assert.Equal(1, drive.Media.Position.FileNumber);
    }

    [Fact]
    public void Blocks_longer_than_one_AWS_chunk_read_backward_and_backspace_whole()
    {
        var big = new byte[150_000];
        for (int i = 0; i < big.Length; i++)
        {
            big[i] = (byte)(i * 7);
        }

        using var drive = Drive(TapeModel.Ibm3490, [0xC1], big, [0xC3]);
        DriveHarness.One(drive, 0x3F, 1, Sli); // end of data: unit check, at the end
        DriveHarness.SenseHex(drive);
        Assert.Equal(3, drive.Media!.Position.BlockNumber);

        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, DriveHarness.One(drive, 0x27, 1, Sli).Result.Status);
        var buffer = new byte[0xFFFF];
        var result = drive.Execute(new CcwRequest(0x0C, Sli, CcwFlags.None, buffer.Length, 0, 0), buffer);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, result.Status);
        Assert.Equal(0, result.Residual);
        Assert.True(result.More);
        Assert.Equal(big.AsSpan(big.Length - 0xFFFF).ToArray(), buffer);
        Assert.Equal(1, drive.Media.Position.BlockNumber);

        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, DriveHarness.One(drive, 0x37, 1, Sli).Result.Status);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, DriveHarness.One(drive, 0x27, 1, Sli).Result.Status);
        var forward = DriveHarness.One(drive, 0x02, 16, Sli);
        Assert.Equal(Convert.ToHexString(big, 0, 16), forward.DataHex);
    }

    [Fact]
    public void Data_chained_read_backward_continues_toward_the_start_of_the_block()
    {
        using var drive = Drive(TapeModel.Ibm3490, [0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6]);
        DriveHarness.One(drive, 0x37, 1, Sli);
        var first = new byte[2];
        var r1 = drive.Execute(new CcwRequest(0x0C, CcwFlags.ChainData, CcwFlags.None, 2, 0, 0), first);
        var second = new byte[3];
        var r2 = drive.Execute(new CcwRequest(0x0C, Sli, CcwFlags.ChainData, 3, 0x0C, 1), second);
        var third = new byte[4];
        var r3 = drive.Execute(new CcwRequest(0x0C, Sli, CcwFlags.ChainData, 4, 0x0C, 2), third);

        Assert.Equal("F5F6", Convert.ToHexString(first));
        Assert.True(r1.More);
        Assert.Equal("F2F3F4", Convert.ToHexString(second));
        Assert.Equal(0, r2.Residual);
        Assert.True(r2.More);
        Assert.Equal(3, r3.Residual);
        Assert.Equal("F1", Convert.ToHexString(third, 3, 1)); // stored ending at the end of the count
        Assert.False(r3.More);
    }
}
