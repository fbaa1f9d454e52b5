using ChannelTape.Device;

namespace ChannelTape.Core.Tests.Device.Components;

/// <summary>Set/Sense Path Group ID, Assign, Unassign and Control Access on their own (hercules-tape.md §1.2, §1.4).</summary>
public sealed class PathGroupTests
{
    private static readonly byte[] s_id = Convert.FromHexString("8001020304050607080910");
    private static readonly byte[] s_otherId = Convert.FromHexString("80FFFFFFFFFFFFFFFFFFFF");
    private static readonly byte[] s_password = Convert.FromHexString("C1C2C3C4C5C6C7C8C9D1D2");

    private static byte[] With(byte function, byte[] value) => [function, .. value];

    private static CommandOutcome Run(PathGroup group, TapeCommand command, byte[] data, bool chained = false) =>
        group.Execute(command, chained, data, data.Length);

    [Fact]
    public void Establish_stores_the_id_and_sense_returns_it_with_the_grouped_state()
    {
        var group = new PathGroup();
        Assert.Equal(CommandOutcome.Ended(0), Run(group, TapeCommand.SetPathGroupId, With(0x00, s_id)));
        Assert.Equal([0xC0, .. s_id], group.SenseData.ToArray());
    }

    [Fact]
    public void A_second_establish_with_a_different_id_is_rejected_and_the_same_id_is_accepted()
    {
        var group = new PathGroup();
        Run(group, TapeCommand.SetPathGroupId, With(0x00, s_id));
        Assert.Equal(TapeCondition.CommandReject, Run(group, TapeCommand.SetPathGroupId, With(0x00, s_otherId)).Condition);
        Assert.Equal(TapeCondition.StatusOnly, Run(group, TapeCommand.SetPathGroupId, With(0x00, s_id)).Condition);
        Assert.Equal(s_id, group.PathGroupId.ToArray());
    }

    [Fact]
    public void Disband_keeps_the_id_and_resign_forgets_it()
    {
        var group = new PathGroup();
        Run(group, TapeCommand.SetPathGroupId, With(0x00, s_id));
        Run(group, TapeCommand.SetPathGroupId, With(0x20, s_id));
        Assert.Equal(0, group.PathState);
        Assert.Equal(s_id, group.PathGroupId.ToArray());

        Run(group, TapeCommand.SetPathGroupId, With(0x40, s_id));
        Assert.Equal(new byte[PathGroup.IdLength], group.PathGroupId.ToArray());
        Assert.Equal(TapeCondition.StatusOnly, Run(group, TapeCommand.SetPathGroupId, With(0x00, s_otherId)).Condition);
    }

    [Fact]
    public void Set_path_group_id_must_come_first_in_the_chain()
    {
        var group = new PathGroup();
        Assert.Equal(CommandOutcome.Rejected(12), Run(group, TapeCommand.SetPathGroupId, With(0x00, s_id), chained: true));
        Assert.Equal(0, group.PathState);
    }

    [Fact]
    public void A_short_count_is_rejected_with_the_residual_of_what_was_sent_and_more()
    {
        var group = new PathGroup();
        Assert.Equal(CommandOutcome.Rejected(0, more: true), group.Execute(TapeCommand.SetPathGroupId, false, With(0x00, s_id), 5));
        Assert.Equal(CommandOutcome.Rejected(0, more: true), group.Execute(TapeCommand.Assign, false, s_id, 10));
        Assert.Equal(new CommandOutcome(TapeCondition.StatusOnly, 4), group.Execute(TapeCommand.Assign, false, new byte[15], 15));
    }

    [Fact]
    public void Assign_needs_zeros_or_the_path_group_id_and_unassign_clears_everything()
    {
        var group = new PathGroup();
        Run(group, TapeCommand.SetPathGroupId, With(0x00, s_id));
        Assert.Equal(TapeCondition.CommandReject, Run(group, TapeCommand.Assign, s_otherId).Condition);
        Assert.Equal(TapeCondition.StatusOnly, Run(group, TapeCommand.Assign, s_id).Condition);
        Assert.Equal(0xF0, group.PathState);
        Assert.Equal(TapeCondition.StatusOnly, Run(group, TapeCommand.Assign, new byte[PathGroup.IdLength]).Condition);

        Run(group, TapeCommand.ControlAccess, With(0x00, s_password));
        Run(group, TapeCommand.Unassign, new byte[PathGroup.IdLength]);
        Assert.Equal(new byte[PathGroup.SenseDataLength], group.SenseData.ToArray());
        // The password went with it: a conditional enable now fails.
        Assert.Equal(TapeCondition.CommandReject, Run(group, TapeCommand.ControlAccess, With(0x80, s_password)).Condition);
    }

    [Fact]
    public void Set_password_needs_an_explicitly_enabled_path_and_then_must_match()
    {
        var group = new PathGroup();
        Assert.Equal(TapeCondition.CommandReject, Run(group, TapeCommand.ControlAccess, With(0x00, s_password)).Condition);
        Run(group, TapeCommand.Assign, new byte[PathGroup.IdLength]);
        Assert.Equal(TapeCondition.CommandReject, Run(group, TapeCommand.ControlAccess, With(0x00, new byte[PathGroup.IdLength])).Condition);
        Assert.Equal(TapeCondition.StatusOnly, Run(group, TapeCommand.ControlAccess, With(0x00, s_password)).Condition);
        Assert.Equal(TapeCondition.StatusOnly, Run(group, TapeCommand.ControlAccess, With(0x00, s_password)).Condition);
        Assert.Equal(TapeCondition.CommandReject, Run(group, TapeCommand.ControlAccess, With(0x00, s_otherId)).Condition);
    }

    [Fact]
    public void Conditional_enable_and_disable_compare_with_the_password()
    {
        var group = new PathGroup();
        Assert.Equal(TapeCondition.CommandReject, Run(group, TapeCommand.ControlAccess, With(0x80, s_password)).Condition);
        Assert.Equal(TapeCondition.StatusOnly, Run(group, TapeCommand.ControlAccess, With(0x40, s_otherId)).Condition);

        Run(group, TapeCommand.Assign, new byte[PathGroup.IdLength]);
        Run(group, TapeCommand.ControlAccess, With(0x00, s_password));
        Assert.Equal(TapeCondition.StatusOnly, Run(group, TapeCommand.ControlAccess, With(0x80, s_password)).Condition);
        Assert.Equal(TapeCondition.CommandReject, Run(group, TapeCommand.ControlAccess, With(0x80, s_otherId)).Condition);
        Assert.Equal(TapeCondition.StatusOnly, Run(group, TapeCommand.ControlAccess, With(0x40, s_password)).Condition);
        Assert.Equal(TapeCondition.CommandReject, Run(group, TapeCommand.ControlAccess, With(0x40, s_otherId)).Condition);
        Assert.Equal(TapeCondition.CommandReject, Run(group, TapeCommand.ControlAccess, With(0x20, s_password)).Condition);
    }

    [Fact]
    public void Device_init_clears_the_id_and_password_but_keeps_the_path_state()
    {
        var group = new PathGroup();
        Run(group, TapeCommand.SetPathGroupId, With(0x00, s_id));
        Run(group, TapeCommand.Assign, s_id);
        Run(group, TapeCommand.ControlAccess, With(0x00, s_password));
        group.ClearIdAndPassword();
        Assert.Equal(0xF0, group.PathState);
        Assert.Equal(new byte[PathGroup.IdLength], group.PathGroupId.ToArray());
        Assert.Equal(TapeCondition.CommandReject, Run(group, TapeCommand.ControlAccess, With(0x80, s_password)).Condition);
    }
}
