using ChannelTape.Labels;

namespace ChannelTape.Core.Tests.Labels;

public class VolumeSerialTests
{
    [Theory]
    [InlineData("T00042", "T00042")]
    [InlineData("A1B2C3", "A1B2C3")]
    [InlineData("#@$#@$", "#@$#@$")]
    [InlineData("T00042  ", "T00042")] // blank padding from a label field or a Load Display message
    [InlineData("SCRTCH", "SCRTCH")]
    public void Valid_serials_parse_without_padding(string text, string expected)
    {
        Assert.True(VolumeSerial.TryParse(text, out var serial));
        Assert.Equal(expected, serial.Value);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("..\\x00")]
    [InlineData("T0000")]
    [InlineData("T000000")]
    [InlineData("t00000")]
    [InlineData("T0000a")]
    [InlineData("T 0000")]
    [InlineData(" T0000")]
    [InlineData("T00.00")]
    [InlineData("T/0000")]
    [InlineData("T0000-")]
    [InlineData("")]
    [InlineData("      ")]
    [InlineData("T\00000")]
    public void Invalid_serials_are_rejected(string text)
    {
        Assert.False(VolumeSerial.TryParse(text, out _, out var error, out _));
        Assert.NotNull(error);
        Assert.Throws<FormatException>(() => VolumeSerial.Parse(text));
    }

    [Fact]
    public void Error_names_the_offending_character_and_its_index()
    {
        Assert.False(VolumeSerial.TryParse("T0a000", out _, out var error, out var index));
        Assert.Equal(2, index);
        Assert.Equal("invalid character 'a' in volume serial 'T0a000': allowed are A-Z, 0-9, #, @ and $", error);
    }

    [Fact]
    public void Error_for_a_short_serial_gives_its_length()
    {
        Assert.False(VolumeSerial.TryParse("T0000", out _, out var error, out _));
        Assert.Equal("volume serial 'T0000' has 5 characters, expected 6", error);
    }

    [Fact]
    public void Serials_compare_by_value_and_order_ordinally()
    {
        var a = VolumeSerial.Parse("T00001");
        var b = VolumeSerial.Parse("T00001 ");
        var c = VolumeSerial.Parse("T00002");
        Assert.Equal(a, b);
        Assert.True(a == b);
        Assert.True(a.CompareTo(c) < 0);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }
}
