using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;
using ChannelTape.Text;

namespace ChannelTape.Core.Tests.Device;

/// <summary>Load Display (0x9F): parsing, volume requests and what the drive displays (docs/reference/hercules-tape.md §4).</summary>
public class LoadDisplayTests
{
    private static byte[] Data(byte fcb, string message1, string message2 = "")
    {
        var data = new byte[17];
        data[0] = fcb;
        Ebcdic.EncodePadded(message1, data.AsSpan(1, 8));
        Ebcdic.EncodePadded(message2, data.AsSpan(9, 8));
        return data;
    }

    private static (CcwResult Result, LoadDisplayMessage? Message) Send(TapeDrive drive, byte[] data, int? count = null,
        CcwFlags flags = CcwFlags.None)
    {
        LoadDisplayMessage? received = null;
        void Handler(TapeDrive _, LoadDisplayMessage m) => received = m;
        drive.LoadDisplayReceived += Handler;
        var result = drive.Execute(new CcwRequest(0x9F, flags, CcwFlags.None, count ?? data.Length, 0, 0), data);
        drive.LoadDisplayReceived -= Handler;
        return (result, received);
    }

    [Theory]
    [InlineData(0x48, "MSCRTCHS", "SCRTCH", 'S')]
    [InlineData(0x49, "MPRIVATS", "PRIVAT", 'S')]
    [InlineData(0x40, "MVOL001A", "VOL001", 'A')]
    [InlineData(0x48, "MVOL001N", "VOL001", 'N')]
    [InlineData(0x48, "MVOL001 ", "VOL001", null)]
    public void Mount_messages_raise_a_mount_request(byte fcb, string message, string volser, char? label)
    {
        var parsed = LoadDisplayParser.Parse(Data(fcb, message), 17);
        Assert.Equal(DisplayRequestKind.Mount, parsed.Request);
        Assert.Equal(volser, parsed.VolumeSerial);
        Assert.Equal(label, parsed.LabelType);
        Assert.Equal(volser is "SCRTCH" or "PRIVAT", parsed.IsScratchRequest);
        Assert.Null(parsed.FollowingMount);
    }

    [Theory]
    [InlineData("DVOL001", DisplayRequestKind.Demount, "VOL001")]
    [InlineData("KVOL001", DisplayRequestKind.Keep, "VOL001")]
    [InlineData("RVOL001", DisplayRequestKind.Retain, "VOL001")]
    [InlineData("D", DisplayRequestKind.Demount, null)]
    [InlineData("HELLO", DisplayRequestKind.None, null)]
    public void Demount_messages_raise_a_demount_keep_or_retain_request(string message, DisplayRequestKind kind, string? volser)
    {
        var parsed = LoadDisplayParser.Parse(Data(0x20, message), 17);
        Assert.Equal(kind, parsed.Request);
        Assert.Equal(volser, parsed.VolumeSerial);
        Assert.Null(parsed.LabelType);
    }

    [Fact]
    public void Demount_then_mount_carries_both_requests()
    {
        var parsed = LoadDisplayParser.Parse(Data(0xE0, "KVOL001", "MVOL002S"), 17);
        Assert.Equal(DisplayRequestKind.Keep, parsed.Request);
        Assert.Equal("VOL001", parsed.VolumeSerial);
        Assert.NotNull(parsed.FollowingMount);
        Assert.Equal(DisplayRequestKind.Mount, parsed.FollowingMount!.Request);
        Assert.Equal("VOL002", parsed.FollowingMount.VolumeSerial);
        Assert.Equal('S', parsed.FollowingMount.LabelType);
    }

    [Fact]
    public void Demount_then_mount_without_a_demount_message_is_the_mount()
    {
        var parsed = LoadDisplayParser.Parse(Data(0xE1, "", "MSCRTCHS"), 17);
        Assert.Equal(DisplayRequestKind.Mount, parsed.Request);
        Assert.True(parsed.IsScratchRequest);
    }

    [Theory]
    [InlineData(0x00)] // until motion: plain message
    [InlineData(0x60)] // no-op
    [InlineData(0x80)] // reset display
    [InlineData(0x10)] // alternate
    public void Other_functions_make_no_request(byte fcb)
    {
        var parsed = LoadDisplayParser.Parse(Data(fcb, "MVOL001S", "MVOL002S"), 17);
        Assert.Equal(DisplayRequestKind.None, parsed.Request);
        Assert.Null(parsed.VolumeSerial);
    }

    [Fact]
    public void Messages_stop_at_a_zero_byte_and_at_the_end_of_the_data()
    {
        var parsed = LoadDisplayParser.Parse(Convert.FromHexString("00C1C200C3C4C5C6C7C8C9D1D2D3D4D5D6"), 17);
        Assert.Equal("AB      ", parsed.Message1);
        Assert.Equal("HIJKLMNO", parsed.Message2);

        var shortData = LoadDisplayParser.Parse(Data(0x00, "ABCDEFGH", "IJKLMNOP"), 12);
        Assert.Equal("ABCDEFGH", shortData.Message1);
        Assert.Equal("IJK     ", shortData.Message2);

        var fcbOnly = LoadDisplayParser.Parse([0x48], 1);
        Assert.Equal("        ", fcbOnly.Message1);
        Assert.Equal(DisplayRequestKind.None, fcbOnly.Request);
    }

    [Fact]
    public void Count_below_17_asks_for_more_data_and_count_above_leaves_a_residual()
    {
        // 02_load_display program 9 and golden load_display_unloaded programs 6-10: residual 0 + more (IL without SLI).
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        var (shortResult, message) = Send(drive, Data(0x00, "SHORTMSG"), 9);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, shortResult.Status);
        Assert.Equal(0, shortResult.Residual);
        Assert.True(shortResult.More);
        Assert.Equal("SHORTMSG", message!.Message1);

        var longData = new byte[20];
        Data(0x00, "ABCDEFGH", "IJKLMNOP").CopyTo(longData, 0);
        var (longResult, _) = Send(drive, longData);
        Assert.Equal(3, longResult.Residual);
        Assert.False(longResult.More);
    }

    [Fact]
    public void Load_display_is_refused_on_a_3420_and_after_supervisor_inhibit()
    {
        using var reel = new TapeDrive(TapeModel.Ibm3420, 0x0580);
        var (result, message) = Send(reel, Data(0x00, "HELLO"));
        Assert.Equal(UnitStatus.UnitCheck, result.Status);
        Assert.Null(message);

        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Execute(new CcwRequest(0xDB, CcwFlags.ChainCommand, CcwFlags.None, 1, 0, 0), new byte[] { 0x10 });
        var data = Data(0x00, "HELLO");
        var inhibited = drive.Execute(new CcwRequest(0x9F, CcwFlags.None, CcwFlags.ChainCommand, 17, 0xDB, 1), data);
        Assert.Equal(UnitStatus.UnitCheck, inhibited.Status);
    }

    [Fact]
    public void Display_follows_the_Hercules_rules_for_each_function()
    {
        // The sequence of 02_load_display (3490, volume loaded) and what Hercules logged.
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Mount(new MemoryTapeMedia());
        Assert.Equal(" READY  ", drive.DisplayText);
        Send(drive, Data(0x00, "HELLO", "WORLD"));
        Assert.Equal("HELLO   ", drive.DisplayText);
        Send(drive, Data(0x20, "MAINT", "MSG2"));
        Assert.Equal("MAINT   ", drive.DisplayText);
        Send(drive, Data(0x40, "DEMOUNT1", "SCRATCH"));   // until loaded: ignored while loaded
        Assert.Equal("MAINT   ", drive.DisplayText);
        Send(drive, Data(0x60, "NOOP", "NOOP"));
        Assert.Equal("MAINT   ", drive.DisplayText);
        Send(drive, Data(0xE0, "MOUNT", "VOL001"));
        Assert.Equal("MOUNT   ", drive.DisplayText);
        Send(drive, Data(0x10, "ALTMSG1", "ALTMSG2"));
        Assert.Equal("ALTMSG1 ", drive.DisplayText);
        Send(drive, Data(0x08, "BLINK", "BLINK2"));
        Assert.Equal("BLINK   ", drive.DisplayText);
        Send(drive, Data(0x04, "HIGHMSG", "LOWMSG"));
        Assert.Equal("LOWMSG  ", drive.DisplayText);
        Send(drive, Data(0x48, "UNLOAD", "PLEASE"));      // ignored function, flags reset: message 1
        Assert.Equal("HIGHMSG ", drive.DisplayText);
        DriveHarness.One(drive, 0x01, 4);                    // tape motion ends an until-motion message
        Assert.Equal(" READY  ", drive.DisplayText);
    }

    [Fact]
    public void Demount_then_mount_shows_message_2_after_the_unload()
    {
        // golden load_display_unloaded programs 17-18: "RVOL001 " until Rewind Unload, then "MVOL002S".
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Mount(new MemoryTapeMedia());
        Send(drive, Data(0xE0, "RVOL001", "MVOL002S"));
        Assert.Equal("RVOL001 ", drive.DisplayText);
        DriveHarness.One(drive, 0x0F, 1, CcwFlags.SuppressLength);
        Assert.Equal("MVOL002S", drive.DisplayText);
        drive.Mount(new MemoryTapeMedia());
        Assert.Equal(" READY  ", drive.DisplayText);
    }

    [Fact]
    public void On_an_empty_drive_mount_requests_show_and_demount_requests_are_ignored()
    {
        // golden load_display_unloaded programs 0-5.
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        Assert.Equal("        ", drive.DisplayText);
        var (_, scratch) = Send(drive, Data(0x48, "MSCRTCHS"));
        Assert.Equal("MSCRTCHS", drive.DisplayText);
        Assert.True(scratch!.IsScratchRequest);
        Send(drive, Data(0x49, "MVOL001S"));
        Assert.Equal("MVOL001S", drive.DisplayText);
        var (_, demount) = Send(drive, Data(0x20, "DVOL001"));
        Assert.Equal("MVOL001S", drive.DisplayText);
        Assert.Equal(DisplayRequestKind.Demount, demount!.Request); // still reported to the library
        Send(drive, Data(0xE0, "DVOL001", "MVOL002S"));
        Assert.Equal("MVOL002S", drive.DisplayText);
        Send(drive, Data(0x80, ""));
        Assert.Equal("        ", drive.DisplayText);
    }
}
