using System.Text.RegularExpressions;

namespace ChannelTape.Protocol.Tests;

/// <summary>
/// The protocol's two other implementations, run from the test suite so that <c>./test.sh</c> covers them
/// without a Hercules build or ../shared: the Hercules module's codec and host rules
/// (<c>make -C hercules check</c>, plain gcc) and the Python test peer's codec
/// (<c>tests/bridge/check_vectors.py</c>), both against tests/protocol/vectors.
/// </summary>
public partial class OtherCodecTests
{
    [Fact]
    public void Hercules_module_codec_and_host_rules_pass_make_check()
    {
        var build = Path.Combine(Path.GetTempPath(), "ctape-ctcheck-" + Guid.NewGuid().ToString("N"));
        try
        {
            var result = RepositoryTool.Run("make", "-s", "-C", "hercules", "check", "OUTDIR=" + build);

            Assert.True(result.ExitCode == 0, result.ToString());
            AssertSummary(CheckSummary(), "ctcheck", result);
        }
        finally
        {
            if (Directory.Exists(build))
            {
                Directory.Delete(build, recursive: true);
            }
        }
    }

    [Fact]
    public void Test_peer_codec_passes_the_wire_vectors()
    {
        var result = RepositoryTool.Run("python3", "tests/bridge/check_vectors.py");

        Assert.True(result.ExitCode == 0, result.ToString());
        AssertSummary(PeerSummary(), "check_vectors", result);
    }

    /// <summary>A summary line with some passed and none failed: a run that checked nothing fails too.</summary>
    private static void AssertSummary(Regex summary, string tool, RepositoryTool.Result result)
    {
        var match = summary.Match(result.Output);
        Assert.True(match.Success, $"no '{tool}: N passed, N failed' line\n{result}");
        Assert.True(int.Parse(match.Groups["passed"].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, result.ToString());
        Assert.Equal("0", match.Groups["failed"].Value);
    }

    [GeneratedRegex(@"^ctcheck: (?<passed>\d+) passed, (?<failed>\d+) failed$", RegexOptions.Multiline)]
    private static partial Regex CheckSummary();

    [GeneratedRegex(@"^check_vectors: (?<passed>\d+) passed, (?<failed>\d+) failed$", RegexOptions.Multiline)]
    private static partial Regex PeerSummary();
}
