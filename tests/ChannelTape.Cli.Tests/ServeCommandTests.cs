using ChannelTape.Cli;
using ChannelTape.Protocol;

namespace ChannelTape.Cli.Tests;

/// <summary><c>ctape serve</c>'s options.</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public void The_no_flags_take_features_away_from_all_three()
    {
        Assert.Equal(ProtocolFeatureRules.All, ServeCommand.Features(false, false, false));
        Assert.Equal(ProtocolFeatures.WriteBehind | ProtocolFeatures.ReadAhead, ServeCommand.Features(false, false, true));
        Assert.Equal(ProtocolFeatures.None, ServeCommand.Features(true, true, true));
    }

    [Theory]
    [InlineData("--listen", "nowhere")]
    [InlineData("--listen", "127.0.0.1")]
    [InlineData("--no-such-option")]
    [InlineData("extra")]
    public void Bad_options_are_usage_errors_before_anything_is_served(params string[] args)
    {
        var (code, output, error) = Ctape.Run(["serve", .. args]);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.StartsWith("ctape serve: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configuration_with_errors_is_a_failure_with_every_error()
    {
        using var directory = new TempDirectory();
        var path = directory.Write("bad.conf", "drive 0580 { model 3590; }\n");
        var (code, _, error) = Ctape.Run("serve", "--config", path);
        Assert.Equal(1, code);
        Assert.StartsWith($"{path}:1:20: ", error, StringComparison.Ordinal);
    }
}
