using ChannelTape.Channel;
using ChannelTape.Device;

namespace ChannelTape.Core.Tests.Device.Components;

/// <summary>The rest of the last block read, served to data-chained CCWs (hercules-tape.md §1.1 step 2).</summary>
public sealed class BlockRemainderTests
{
    private static readonly byte[] s_block = Convert.FromHexString("0102030405060708090A");

    [Fact]
    public void A_forward_read_continues_toward_the_end_of_the_block()
    {
        var remainder = new BlockRemainder();
        remainder.Keep(s_block, 4, 6, backward: false);
        var buffer = new byte[4];
        Assert.Equal(new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0, More: true), remainder.Continue(4, buffer));
        Assert.Equal("05060708", Convert.ToHexString(buffer));
        buffer = new byte[4];
        Assert.Equal(new CcwResult(UnitStatus.ChannelEndDeviceEnd, 2), remainder.Continue(4, buffer));
        Assert.Equal("090A0000", Convert.ToHexString(buffer));
        Assert.Equal(0, remainder.Remaining);
    }

    [Fact]
    public void A_backward_read_continues_toward_the_start_stored_at_the_end_of_each_count()
    {
        var remainder = new BlockRemainder();
        remainder.Keep(s_block, 0, 6, backward: true); // bytes 7-10 already given
        var buffer = new byte[4];
        Assert.Equal(new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0, More: true), remainder.Continue(4, buffer));
        Assert.Equal("03040506", Convert.ToHexString(buffer));
        buffer = new byte[4];
        Assert.Equal(new CcwResult(UnitStatus.ChannelEndDeviceEnd, 2), remainder.Continue(4, buffer));
        Assert.Equal("00000102", Convert.ToHexString(buffer));
    }

    [Fact]
    public void After_clearing_nothing_is_transferred()
    {
        var remainder = new BlockRemainder();
        remainder.Keep(s_block, 0, 10, backward: false);
        remainder.Clear();
        var buffer = new byte[3];
        Assert.Equal(new CcwResult(UnitStatus.ChannelEndDeviceEnd, 3), remainder.Continue(3, buffer));
        Assert.Equal("000000", Convert.ToHexString(buffer));
    }
}
