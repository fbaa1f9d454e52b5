using ChannelTape.Device;

namespace ChannelTape.Core.Tests.Device.Components;

/// <summary>Mode Set settings on their own (hercules-tape.md §1.2 Mode Set, §1.1 step 1).</summary>
public sealed class ChannelProgramModesTests
{
    [Fact]
    public void Mode_set_turns_on_the_bits_given_and_a_new_program_turns_them_off()
    {
        var modes = new ChannelProgramModes();
        Assert.Equal(CommandOutcome.Ended(0), modes.ModeSet([0x20], 1));
        Assert.True(modes.WriteImmediate);
        Assert.False(modes.SupervisorInhibit);
        Assert.Equal(CommandOutcome.Ended(0), modes.ModeSet([0x08], 1)); // IDRC: no effect, nothing cleared
        Assert.True(modes.WriteImmediate);
        modes.ModeSet([0x10], 1);
        Assert.True(modes.SupervisorInhibit);
        modes.Reset();
        Assert.False(modes.WriteImmediate);
        Assert.False(modes.SupervisorInhibit);
    }

    [Fact]
    public void Mode_set_is_rejected_with_count_0_and_under_supervisor_inhibit()
    {
        var modes = new ChannelProgramModes();
        Assert.Equal(CommandOutcome.Rejected(0, more: true), modes.ModeSet([], 0));
        modes.ModeSet([0x10], 3);
        Assert.Equal(CommandOutcome.Rejected(2), modes.ModeSet([0x20, 0, 0], 3));
        Assert.False(modes.WriteImmediate);
    }

    [Fact]
    public void Supervisor_inhibit_refuses_exactly_the_supervisor_commands()
    {
        var modes = new ChannelProgramModes();
        byte[] supervisor = [0x34, 0x4B, 0x5B, 0x77, 0x9F, 0xAF, 0xB7, 0xC7, 0xE3];
        Assert.DoesNotContain(Enumerable.Range(0, 256), c => modes.Refuses((byte)c));
        modes.ModeSet([0x10], 1);
        for (int code = 0; code < 256; code++)
        {
            Assert.Equal(supervisor.Contains((byte)code), modes.Refuses((byte)code));
        }
    }

    [Fact]
    public void Set_tape_write_immediate_turns_write_immediate_on()
    {
        var modes = new ChannelProgramModes();
        modes.SetWriteImmediate();
        Assert.True(modes.WriteImmediate);
    }
}
