using ChannelTape.Cli;
using ChannelTape.Protocol;

namespace ChannelTape.Cli.Tests;

/// <summary><c>ctape serve</c>'s options.</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public void The_no_flags_take_features_away_from_all_three()
    {
        string[] flags = ["--no-write-behind", "--no-read-ahead", "--no-read-by-reference"];
        Assert.Equal(ProtocolFeatureRules.All, ServeCommand.Features(new Arguments([], [], flags)));
        Assert.Equal(ProtocolFeatures.WriteBehind | ProtocolFeatures.ReadAhead,
            ServeCommand.Features(new Arguments(["--no-read-by-reference"], [], flags)));
        Assert.Equal(ProtocolFeatures.None,
            ServeCommand.Features(new Arguments(["--no-write-behind", "--no-read-ahead", "--no-read-by-reference"], [], flags)));
    }
}
