namespace ChannelTape.Library.Tests;

public class ByteSizeTests
{
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("4095", 4095L)]
    [InlineData("1K", 1024L)]
    [InlineData("800M", 800L * 1024 * 1024)]
    [InlineData("2g", 2L * 1024 * 1024 * 1024)]
    public void Sizes_use_binary_suffixes(string text, long bytes)
    {
        Assert.True(ByteSize.TryParse(text, out var parsed, out _));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("12X", "size '12X' has unknown suffix 'X', expected K, M or G")]
    [InlineData("M", "size 'M' is not a number with an optional K, M or G suffix")]
    [InlineData("", "size '' is not a number with an optional K, M or G suffix")]
    [InlineData("99999999999G", "size '99999999999G' is too large")]
    [InlineData("99999999999999999999", "size '99999999999999999999' is too large")]
    public void Bad_sizes_say_why(string text, string expected)
    {
        Assert.False(ByteSize.TryParse(text, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData(800L * 1024 * 1024, "800M")]
    [InlineData(2L * 1024 * 1024 * 1024, "2G")]
    [InlineData(1536L, "1536")]
    [InlineData(3072L, "3K")]
    [InlineData(0L, "0")]
    public void Format_is_the_shortest_exact_form(long bytes, string text) => Assert.Equal(text, ByteSize.Format(bytes));
}
