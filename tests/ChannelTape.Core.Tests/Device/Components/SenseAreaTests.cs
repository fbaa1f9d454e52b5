using ChannelTape.Channel;
using ChannelTape.Device;

namespace ChannelTape.Core.Tests.Device.Components;

/// <summary>Sense bytes and pending sense on their own (hercules-tape.md §2.1, Hercules build_senseX).</summary>
public sealed class SenseAreaTests
{
    private static readonly SenseBuilder.DriveState s_loaded = new(true, false, false, false, 0x0580);
    private static readonly SenseBuilder.DriveState s_atLoadPoint = new(true, true, false, false, 0x0580);

    [Fact]
    public void A_unit_check_leaves_its_sense_pending_and_success_leaves_it_alone()
    {
        var sense = new SenseArea(TapeModel.Ibm3490);
        Assert.Equal(UnitStatus.UnitCheck, sense.Complete(TapeCondition.CommandReject, s_loaded));
        Assert.True(sense.IsPending);
        byte[] reject = sense.Bytes.ToArray();
        Assert.Equal(0x80, reject[0]);
        Assert.Equal(0x27, reject[3]);

        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, sense.Complete(TapeCondition.StatusOnly, s_loaded));
        Assert.True(sense.IsPending);
        Assert.Equal(reject, sense.Bytes.ToArray());
    }

    [Fact]
    public void A_tape_mark_rebuilds_sense_and_ends_what_was_pending()
    {
        var sense = new SenseArea(TapeModel.Ibm3490);
        sense.Complete(TapeCondition.CommandReject, s_loaded);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitException, sense.Complete(TapeCondition.TapeMarkRead, s_loaded));
        Assert.False(sense.IsPending);
        Assert.Equal(0x00, sense.Bytes[0]);
    }

    [Fact]
    public void Sense_takes_the_pending_sense_once_then_builds_status_sense()
    {
        var sense = new SenseArea(TapeModel.Ibm3490);
        sense.Complete(TapeCondition.CommandReject, s_loaded);
        Assert.Equal(0x80, sense.TakeForSense(s_loaded)[0]);
        Assert.False(sense.IsPending);
        var status = sense.TakeForSense(s_atLoadPoint);
        Assert.Equal(32, status.Length);
        Assert.Equal("0048200000000020", Convert.ToHexString(status[..8]));
        Assert.True(sense.Bytes.ToArray().All(b => b == 0));
    }

    [Fact]
    public void The_model_decides_how_many_sense_bytes_there_are()
    {
        Assert.Equal(24, new SenseArea(TapeModel.Ibm3420).Count);
        Assert.Equal(24, new SenseArea(TapeModel.Ibm3480).TakeForSense(s_loaded).Length);
        Assert.Equal(32, new SenseArea(TapeModel.Ibm3490).Bytes.Length);
    }

    [Fact]
    public void Concurrent_sense_takes_as_much_as_fits_and_clears()
    {
        var sense = new SenseArea(TapeModel.Ibm3490);
        sense.Complete(TapeCondition.ReadFailed, s_loaded);
        var destination = new byte[4];
        Assert.Equal(4, sense.Take(destination));
        Assert.Equal("08402023", Convert.ToHexString(destination));
        Assert.False(sense.IsPending);
        Assert.True(sense.Bytes.ToArray().All(b => b == 0));
    }

    [Fact]
    public void The_buffered_log_copies_the_sense_padded_to_32_bytes_and_leaves_it_pending()
    {
        var sense = new SenseArea(TapeModel.Ibm3480);
        sense.Complete(TapeCondition.CommandReject, s_loaded);
        var log = sense.BufferedLog().ToArray();
        Assert.Equal(32, log.Length);
        Assert.Equal(sense.Bytes.ToArray(), log[..24]);
        Assert.True(log[24..].All(b => b == 0));
        Assert.True(sense.IsPending);
    }

    [Fact]
    public void A_deferred_unit_check_adds_its_bit_to_the_sense_and_makes_it_pending()
    {
        var sense = new SenseArea(TapeModel.Ibm3490);
        sense.Complete(TapeCondition.EndOfTape, s_loaded);
        sense.TakeForSense(s_loaded);
        sense.MarkDeferredUnitCheck();
        Assert.True(sense.IsPending);
        Assert.Equal(0x02, sense.TakeForSense(s_loaded)[0]);
    }

    [Fact]
    public void Clearing_can_leave_zeros_pending_as_after_an_operator_unload()
    {
        var sense = new SenseArea(TapeModel.Ibm3490);
        sense.Complete(TapeCondition.CommandReject, s_loaded);
        sense.Clear(pending: true);
        Assert.True(sense.TakeForSense(s_loaded).ToArray().All(b => b == 0));
        sense.Clear(pending: false);
        Assert.Equal(0x00, sense.TakeForSense(new SenseBuilder.DriveState(false, false, false, false, 0x0580))[0] & 0x80);
    }
}
