using ChannelTape.Device;
using ChannelTape.Text;

namespace ChannelTape.Core.Tests.Device.Components;

/// <summary>The Load Display state machine on its own (hercules-tape.md §4.1, Hercules tapeccws.c load_display).</summary>
public sealed class MessageDisplayTests
{
    private static LoadDisplayMessage Message(byte fcb, string message1, string message2 = "")
    {
        var data = new byte[LoadDisplayParser.DataLength];
        data[0] = fcb;
        Ebcdic.EncodePadded(message1, data.AsSpan(1, 8));
        Ebcdic.EncodePadded(message2, data.AsSpan(9, 8));
        return LoadDisplayParser.Parse(data, data.Length);
    }

    [Fact]
    public void The_unit_message_is_blank_without_a_volume_and_READY_with_one()
    {
        var display = new MessageDisplay(TapeModel.Ibm3490);
        Assert.Equal("        ", display.Text(loaded: false));
        Assert.Equal(" READY  ", display.Text(loaded: true));
    }

    [Fact]
    public void A_3420_has_no_display()
    {
        var display = new MessageDisplay(TapeModel.Ibm3420);
        display.Apply(Message(0x00, "HELLO"), loaded: true);
        Assert.Equal("        ", display.Text(loaded: true));
    }

    [Fact]
    public void An_until_motion_message_ends_at_the_next_motion_and_no_other_does()
    {
        var display = new MessageDisplay(TapeModel.Ibm3490);
        display.Apply(Message(0x00, "MOVEME"), loaded: true);
        Assert.Equal("MOVEME  ", display.Text(loaded: true));
        display.EndUntilMotionMessage();
        Assert.Equal(" READY  ", display.Text(loaded: true));

        display.Apply(Message(0x20, "KEEPME"), loaded: true);
        display.EndUntilMotionMessage();
        Assert.Equal("KEEPME  ", display.Text(loaded: true));
    }

    [Fact]
    public void Until_unloaded_is_ignored_on_an_empty_drive_and_ends_at_the_unload()
    {
        var display = new MessageDisplay(TapeModel.Ibm3490);
        display.Apply(Message(0x20, "DVOL001"), loaded: false);
        Assert.Equal("        ", display.Text(loaded: false));

        display.Apply(Message(0x20, "DVOL001"), loaded: true);
        Assert.Equal("DVOL001 ", display.Text(loaded: true));
        display.VolumeUnloaded();
        Assert.Equal("        ", display.Text(loaded: false));
    }

    [Fact]
    public void Until_loaded_is_ignored_on_a_loaded_drive_and_ends_at_the_mount()
    {
        var display = new MessageDisplay(TapeModel.Ibm3490);
        display.Apply(Message(0x40, "MVOL001S"), loaded: true);
        Assert.Equal(" READY  ", display.Text(loaded: true));

        display.Apply(Message(0x40, "MVOL001S"), loaded: false);
        Assert.Equal("MVOL001S", display.Text(loaded: false));
        display.VolumeUnloaded(); // no volume to unload: the mount message stays
        Assert.Equal("MVOL001S", display.Text(loaded: false));
        display.VolumeLoaded();
        Assert.Equal(" READY  ", display.Text(loaded: true));
    }

    [Fact]
    public void Demount_then_mount_shows_the_demount_until_unloaded_then_the_mount_until_loaded()
    {
        var display = new MessageDisplay(TapeModel.Ibm3490);
        display.Apply(Message(0xE0, "DVOL001", "MVOL002S"), loaded: true);
        Assert.Equal("DVOL001 ", display.Text(loaded: true));
        display.VolumeUnloaded();
        Assert.Equal("MVOL002S", display.Text(loaded: false));
        display.VolumeUnloaded();
        Assert.Equal("MVOL002S", display.Text(loaded: false));
        display.VolumeLoaded();
        Assert.Equal(" READY  ", display.Text(loaded: true));
    }

    [Fact]
    public void Demount_then_mount_on_an_empty_drive_shows_only_the_mount()
    {
        var display = new MessageDisplay(TapeModel.Ibm3490);
        display.Apply(Message(0xE0, "DVOL001", "MVOL002S"), loaded: false);
        Assert.Equal("MVOL002S", display.Text(loaded: false));
    }

    [Theory]
    [InlineData(0x04, "SECOND  ")] // message 2 only
    [InlineData(0x14, "FIRST   ")] // alternating starts with message 1, whatever bit 04 says
    [InlineData(0x0C, "SECOND  ")] // blinking does not change the text
    [InlineData(0x08, "FIRST   ")]
    public void Message_flags_choose_the_text_shown(byte fcb, string shown)
    {
        var display = new MessageDisplay(TapeModel.Ibm3490);
        display.Apply(Message(fcb, "FIRST", "SECOND"), loaded: true);
        Assert.Equal(shown, display.Text(loaded: true));
    }

    [Theory]
    [InlineData(0x45, "FIRST   ")] // index + until loaded: message 1, the message-2 bit ignored
    [InlineData(0xE1, "SECOND  ")] // index + demount then mount: message 2
    public void Indexing_the_autoloader_overrides_the_message_flags(byte fcb, string shown)
    {
        var display = new MessageDisplay(TapeModel.Ibm3490);
        display.Apply(Message(fcb, "FIRST", "SECOND"), loaded: false);
        Assert.Equal(shown, display.Text(loaded: false));
    }

    [Theory]
    [InlineData(0x60)] // no-op (path test)
    [InlineData(0xA0)] // undefined
    [InlineData(0xC0)] // undefined
    public void No_op_and_undefined_functions_change_nothing(byte fcb)
    {
        var display = new MessageDisplay(TapeModel.Ibm3490);
        display.Apply(Message(0x20, "KEEPME"), loaded: true);
        display.Apply(Message(fcb, "OTHER", "OTHER2"), loaded: true);
        Assert.Equal("KEEPME  ", display.Text(loaded: true));
    }

    [Fact]
    public void Reset_display_goes_back_to_the_unit_message()
    {
        var display = new MessageDisplay(TapeModel.Ibm3480);
        display.Apply(Message(0x20, "KEEPME"), loaded: true);
        display.Apply(Message(0x80, ""), loaded: true);
        Assert.Equal(" READY  ", display.Text(loaded: true));
    }
}
