using ChannelTape.Admin.Commands;

namespace ChannelTape.Admin.Tests;

public sealed class AdminCommandParserTests
{
    [Fact]
    public void Parses_every_verb_and_skips_comments_and_blank_records()
    {
        var (commands, errors) = AdminCommandParser.Parse(
        [
            "* RETURN TAPES TO SCRATCH".PadRight(80),
            "SCRATCH T00042".PadRight(80),
            "",
            "UNSCRATCH T00043",
            "MOVE T00044 OFFSITE",
            "READONLY T00045",
            "READWRITE T00046",
            "QUERY T00047",
        ]);
        Assert.Empty(errors);
        Assert.Equal(
            [AdminCommandVerb.Scratch, AdminCommandVerb.Unscratch, AdminCommandVerb.Move, AdminCommandVerb.ReadOnly, AdminCommandVerb.ReadWrite, AdminCommandVerb.Query],
            commands.Select(c => c.Verb));
        Assert.Equal(2, commands[0].Sequence);
        Assert.Equal("SCRATCH T00042", commands[0].Text);
        Assert.Equal("OFFSITE", commands[2].Pool);
        Assert.False(commands[5].Changes);
    }

    [Theory]
    [InlineData("DELETE T00001", "unknown command DELETE")]
    [InlineData("SCRATCH", "SCRATCH takes one volume serial")]
    [InlineData("SCRATCH T00001 T00002", "SCRATCH takes one volume serial")]
    [InlineData("MOVE T00001", "MOVE takes a volume serial and a pool name")]
    [InlineData("SCRATCH ../../x", "is not a volume serial")]
    [InlineData("SCRATCH T000001", "is not a volume serial")]
    [InlineData("scratch T00001", "unknown command scratch")]
    public void Malformed_requests_are_errors_with_their_record_number(string record, string message)
    {
        var (commands, errors) = AdminCommandParser.Parse(["QUERY T00001", record]);
        Assert.Single(commands);
        var error = Assert.Single(errors);
        Assert.Equal(2, error.Sequence);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
