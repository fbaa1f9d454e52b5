using ChannelTape.Labels;

namespace ChannelTape.Library.Tests;

public class VolumeRangeTests
{
    private static VolumeRange Range(string text)
    {
        Assert.True(VolumeRange.TryParse(text, out var range, out var error), error);
        return range!;
    }

    [Theory]
    [InlineData("T00000-T00999", "T", 1000)]
    [InlineData("T00000-T00099", "T", 100)]
    [InlineData("AB1234", "AB", 1)]
    [InlineData("ABCDEF", "ABCDEF", 1)]
    [InlineData("000000-999999", "", 1_000_000)]
    [InlineData("X#@100-X#@199", "X#@", 100)]
    public void Ranges_count_their_trailing_digits(string text, string prefix, long count)
    {
        var range = Range(text);
        Assert.Equal(prefix, range.Prefix);
        Assert.Equal(count, range.Count);
        Assert.Equal(count, range.Serials().LongCount());
    }

    [Fact]
    public void Serials_keep_the_digit_width()
    {
        Assert.Equal(["T00098", "T00099", "T00100"], Range("T00098-T00100").Serials().Select(s => s.Value));
    }

    [Theory]
    [InlineData("TA0000-TB0000", "range TA0000-TB0000: first and last serial must differ only in their trailing digits")]
    [InlineData("T00099-T00000", "range T00099-T00000: first serial is after the last")]
    [InlineData("ABCDEF-ABCDEG", "range ABCDEF-ABCDEG: first and last serial must differ only in their trailing digits")]
    [InlineData("T00000-T0009", "volume serial 'T0009' has 5 characters, expected 6")]
    public void Bad_ranges_say_why(string text, string expected)
    {
        Assert.False(VolumeRange.TryParse(text, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("T00000-T00099", "T00050-T00150", true)]
    [InlineData("T00000-T00099", "T00100-T00199", false)]
    [InlineData("T00000-T00099", "T00099", true)]
    [InlineData("T00000-T00099", "U00000-U00099", false)]
    [InlineData("T00000-T99999", "T12000-T12999", true)] // shorter digit field inside a longer one
    [InlineData("T00000-T09999", "T12000-T12999", false)]
    [InlineData("T00000-T00099", "T0000A", false)] // lexically between, but not a member
    [InlineData("000000-999999", "T00000", false)]
    [InlineData("000000-999999", "123456", true)]
    public void Overlap_is_exact(string a, string b, bool overlaps)
    {
        Assert.Equal(overlaps, Range(a).Overlaps(Range(b)));
        Assert.Equal(overlaps, Range(b).Overlaps(Range(a)));
    }

    [Theory]
    [InlineData("T00000-T00099", "T00042", true)]
    [InlineData("T00000-T00099", "T00100", false)]
    [InlineData("T00000-T00099", "T0004A", false)]
    [InlineData("T00000-T00099", "U00042", false)]
    public void Contains_only_members(string range, string serial, bool contains) =>
        Assert.Equal(contains, Range(range).Contains(VolumeSerial.Parse(serial)));

    [Theory]
    [InlineData("#00000-#00099", "#", true)]
    [InlineData("T00000-T00099", "#", false)]
    [InlineData("T00000-T00099", "T000", true)]
    [InlineData("T00000-T00099", "T001", false)]
    [InlineData("T00100-T00199", "T001", true)]
    [InlineData("000000-099999", "1", false)]
    [InlineData("000000-199999", "1", true)]
    public void Prefix_test_is_exact(string range, string prefix, bool expected) =>
        Assert.Equal(expected, Range(range).ContainsSerialStartingWith(prefix));
}
