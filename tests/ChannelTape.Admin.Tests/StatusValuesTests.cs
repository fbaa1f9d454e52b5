using ChannelTape.Admin.Reports;

namespace ChannelTape.Admin.Tests;

/// <summary>Dates and times in reports: written and parsed digit by digit, exactly the documented formats.</summary>
public sealed class StatusValuesTests
{
    [Theory]
    [InlineData("2026-11-27 09:05:03")]
    [InlineData("0001-01-01 00:00:00")]
    [InlineData("9999-12-31 23:59:59")]
    [InlineData("2024-02-29 12:00:00")]
    public void Timestamps_round_trip(string text)
    {
        var time = StatusValues.ParseTimestamp(text);
        Assert.Equal(DateTimeOffset.ParseExact(text, "yyyy-MM-dd HH:mm:ss", null, System.Globalization.DateTimeStyles.AssumeUniversal), time);
        Assert.Equal(text, StatusValues.Timestamp(time));
        Assert.Equal(text[..10], StatusValues.Date(time));
        Assert.Equal(time!.Value.UtcDateTime.Date, StatusValues.ParseDate(text[..10])!.Value.UtcDateTime);
    }

    [Fact]
    public void Times_are_shown_in_utc()
    {
        var local = new DateTimeOffset(2026, 11, 27, 1, 30, 0, TimeSpan.FromHours(2));
        Assert.Equal("2026-11-26 23:30:00", StatusValues.Timestamp(local));
        Assert.Equal("2026-11-26", StatusValues.Date(local));
    }

    [Theory]
    [InlineData("2026-11-27 24:00:00")]
    [InlineData("2026-13-01 00:00:00")]
    [InlineData("2025-02-29 00:00:00")]
    [InlineData("2026-11-27T09:05:03")]
    [InlineData("2026-11-27 9:05:03 ")]
    [InlineData("2026-1a-27 09:05:03")]
    [InlineData("2026-11-27 09:05")]
    public void Malformed_timestamps_are_format_errors(string text) =>
        Assert.Throws<FormatException>(() => StatusValues.ParseTimestamp(text));

    [Theory]
    [InlineData("2026-11-32")]
    [InlineData("2026/11/27")]
    [InlineData("0000-01-01")]
    [InlineData("2026-11-2")]
    public void Malformed_dates_are_format_errors(string text) =>
        Assert.Throws<FormatException>(() => StatusValues.ParseDate(text));

    [Fact]
    public void Empty_means_no_time() =>
        Assert.Equal((null, null, "", ""), (StatusValues.ParseTimestamp(""), StatusValues.ParseDate(""), StatusValues.Timestamp(null), StatusValues.Date(null)));
}
