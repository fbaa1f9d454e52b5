using ChannelTape.Cli;
using ChannelTape.Library.Configuration;

namespace ChannelTape.Cli.Tests;

public class ConfigCommandTests
{
    private static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        return Ctape.Run(["config", .. args]);
    }

    [Fact]
    public void Check_reports_every_error_with_position_and_exits_1()
    {
        using var directory = new TempDirectory();
        var path = directory.Write("bad.conf", "drive 0580 { model 3590; }\npool A { volumes T0000; }\nlisten x;\n");

        var (code, output, error) = Run("check", path);

        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Equal(
            [
                $"{path}:1:20: expected 3420, 3480 or 3490, found '3590'",
                $"{path}:2:18: volume serial 'T0000' has 5 characters, expected 6",
                $"{path}:3:8: expected listen address (IP:PORT), found 'x'",
            ],
            error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void An_error_in_a_block_header_does_not_hide_the_errors_inside_the_block()
    {
        using var directory = new TempDirectory();
        var path = directory.Write("header.conf",
            "drive 05X0 { model 3590; }\npool bad/name { volumes T00000; media DAT; }\ndrive 05Y0 { model 3480; media 3490E; }\n"
            + "pool x/y { volumes T00009-T00000; capacity 0; }\ndrive 0580;\n");

        var (code, _, error) = Run("check", path);

        Assert.Equal(1, code);
        Assert.Equal(
            [
                $"{path}:1:7: expected device number, found '05X0'",
                $"{path}:1:20: expected 3420, 3480 or 3490, found '3590'",
                $"{path}:2:9: expected '{{', found '/name'",
                $"{path}:2:39: expected REEL, 3480, CST, 3490E or ECCST, found 'DAT'",
                // Values the binder checks, inside blocks whose header did not parse, in line order with the rest.
                $"{path}:3:7: expected device number, found '05Y0'",
                $"{path}:3:26: media 3490E is not supported by model 3480 drives",
                $"{path}:4:7: expected '{{', found '/y'",
                $"{path}:4:20: range T00009-T00000: first serial is after the last",
                $"{path}:4:44: capacity must be more than 0",
            ],
            error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Check_of_a_valid_file_prints_a_summary_and_exits_0()
    {
        var (code, output, error) = Run("check", RepositoryFiles.Path("ctape.conf"));

        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains("configuration is valid", output, StringComparison.Ordinal);
        Assert.Contains("drives   11: 0480, 0580-0587, 0590-0591", output, StringComparison.Ordinal);
        Assert.Contains("pools    4, 1621 volumes", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_of_a_missing_file_exits_1()
    {
        var (code, _, error) = Run("check", "/nonexistent/ctape.conf");
        Assert.Equal(1, code);
        Assert.StartsWith("/nonexistent/ctape.conf: cannot read: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Show_without_a_file_prints_the_default_which_parses_back()
    {
        var (code, output, _) = Run("show");

        Assert.Equal(0, code);
        var reparsed = ConfigurationParser.ParseText(output, "shown", Directory.GetCurrentDirectory());
        Assert.Equal(ConfigurationParser.LoadDefault(), reparsed.Configuration);
    }

    [Theory]
    [InlineData]
    [InlineData("check")]
    [InlineData("check", "a", "b")]
    [InlineData("frob")]
    public void Bad_usage_is_a_usage_error(params string[] args) =>
        Assert.Equal(2, Run(args).ExitCode);
}
