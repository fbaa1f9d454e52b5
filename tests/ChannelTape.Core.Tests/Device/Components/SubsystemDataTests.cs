using ChannelTape.Channel;
using ChannelTape.Device;

namespace ChannelTape.Core.Tests.Device.Components;

/// <summary>Perform Subsystem Function orders and Read Subsystem Data on their own (hercules-tape.md §1.3).</summary>
public sealed class SubsystemDataTests
{
    private static SubsystemFunctionResult Perform(SubsystemData data, string hex, int? count = null)
    {
        var bytes = Convert.FromHexString(hex);
        return data.Perform(bytes, count ?? bytes.Length);
    }

    private static CcwRequest ChainedFrom(byte previous) =>
        new(0x3E, CcwFlags.None, CcwFlags.ChainCommand, 16, previous, 1);

    [Fact]
    public void Prepare_with_a_message_id_gives_the_ten_byte_message_id_status()
    {
        var data = new SubsystemData();
        var result = Perform(data, "180000000000030012345678");
        Assert.Equal(CommandOutcome.Ended(0), result.Outcome);
        Assert.True(data.HasPreparedData);
        Assert.Equal("000A020112345678" + "0000", Convert.ToHexString(data.PreparedData));
    }

    [Fact]
    public void Prepare_without_a_message_id_gives_the_nine_byte_no_message_data()
    {
        var data = new SubsystemData();
        Perform(data, "180000000000030000000000");
        Assert.Equal("000900000000000000", Convert.ToHexString(data.PreparedData));
    }

    [Theory]
    [InlineData("180000000000020012345678")] // not the attention-message kind
    [InlineData("180001000000030012345678")] // byte 2 not zero
    [InlineData("180000000000030112345678")] // byte 7 not zero
    [InlineData("1800000000000300")]         // count below 12
    public void A_bad_prepare_is_rejected_and_prepares_nothing(string hex)
    {
        var data = new SubsystemData();
        Assert.Equal(TapeCondition.CommandReject, Perform(data, hex).Outcome.Condition);
        Assert.False(data.HasPreparedData);
    }

    [Fact]
    public void Prepared_data_may_be_read_only_command_chained_from_the_function_and_lasts_one_program()
    {
        var data = new SubsystemData();
        Assert.False(data.MayRead(ChainedFrom(0x77)));
        Perform(data, "180000000000030012345678");
        Assert.True(data.MayRead(ChainedFrom(0x77)));
        Assert.True(data.MayRead(ChainedFrom(0x73)));
        Assert.False(data.MayRead(ChainedFrom(0x01)));
        Assert.False(data.MayRead(new CcwRequest(0x3E, CcwFlags.None, CcwFlags.None, 16, 0x77, 1)));
        data.EndChannelProgram();
        Assert.False(data.MayRead(ChainedFrom(0x77)));
    }

    [Fact]
    public void Access_control_switches_logical_write_protect_only_when_its_bit_is_given()
    {
        var data = new SubsystemData();
        Assert.Equal(true, Perform(data, "82008000").LogicalWriteProtect);
        Assert.Equal(false, Perform(data, "83008000").LogicalWriteProtect);
        var compaction = Perform(data, "82001000");
        Assert.Equal(TapeCondition.StatusOnly, compaction.Outcome.Condition);
        Assert.Null(compaction.LogicalWriteProtect);
    }

    [Theory]
    [InlineData("82000000")] // no bit
    [InlineData("82000400")] // an unknown bit
    [InlineData("820080")]   // count below 4
    public void Bad_access_control_is_rejected_and_changes_nothing(string hex)
    {
        var result = Perform(new SubsystemData(), hex);
        Assert.Equal(TapeCondition.CommandReject, result.Outcome.Condition);
        Assert.Null(result.LogicalWriteProtect);
    }

    [Fact]
    public void Reset_volume_fenced_asks_to_clear_the_fence()
    {
        var data = new SubsystemData();
        var result = Perform(data, "9000");
        Assert.True(result.ResetsVolumeFence);
        Assert.Equal(CommandOutcome.Ended(0), result.Outcome);
        Assert.False(Perform(data, "90", 1).ResetsVolumeFence);
    }

    [Fact]
    public void Residual_and_more_come_from_the_order_length()
    {
        var data = new SubsystemData();
        // Forced error log is 3 bytes: 5 given leaves 2; 2 given is rejected with "more".
        Assert.Equal(new CommandOutcome(TapeCondition.StatusOnly, 2), Perform(data, "8000010000").Outcome);
        Assert.Equal(CommandOutcome.Rejected(0, more: true), Perform(data, "8000").Outcome);
        // Pin takes parameter 0 or 1, unpin needs 2 bytes.
        Assert.Equal(TapeCondition.StatusOnly, Perform(data, "A10001").Outcome.Condition);
        Assert.Equal(TapeCondition.CommandReject, Perform(data, "A10002").Outcome.Condition);
        Assert.Equal(TapeCondition.StatusOnly, Perform(data, "A200").Outcome.Condition);
    }

    [Theory]
    [InlineData("1B00")]     // Set Special Intercept Condition: no SIC feature on the 3480/3490
    [InlineData("4400")]     // unknown order
    [InlineData("80010100")] // flag byte not zero
    public void Unknown_orders_and_flags_are_rejected_with_the_whole_count(string hex)
    {
        var result = Perform(new SubsystemData(), hex);
        Assert.Equal(CommandOutcome.Rejected(hex.Length / 2), result.Outcome);
    }

    [Fact]
    public void Message_not_supported_checks_its_parameter_but_not_its_count()
    {
        var data = new SubsystemData();
        Assert.Equal(new CommandOutcome(TapeCondition.StatusOnly, 0, More: true), Perform(data, "1C0001", 3).Outcome);
        Assert.Equal(CommandOutcome.Rejected(3), Perform(data, "1C0003").Outcome);
    }
}
