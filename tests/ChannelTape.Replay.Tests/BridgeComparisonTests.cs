using System.Diagnostics;
using System.Text.Json.Nodes;

namespace ChannelTape.Replay.Tests;

/// <summary>
/// tests/bridge/compare_results.py, the bridge's reader of tests/golden/deviations.json (run-e2e.sh runs
/// it against real Hercules in CI), judged here on edited copies of a golden result: a registered
/// difference passes, an unregistered one fails, and so does a registered one that does not show.
/// </summary>
public sealed class BridgeComparisonTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "ctape-compare-" + Guid.NewGuid().ToString("N"));

    public BridgeComparisonTests() => Directory.CreateDirectory(_work);

    public void Dispose() => Directory.Delete(_work, recursive: true);

    /// <summary>
    /// 06_chaining program 10 is ChannelTape's Read Backward over a tape mark (scope device: residual =
    /// count, nothing stored); program 13 is Hercules' uninitialised residual (bridge-channel, varies).
    /// </summary>
    private JsonObject ThroughTheBridge(bool readBackwardAsChannelTape, int? residual13 = null, string? unitStatus2 = null)
    {
        var result = JsonNode.Parse(File.ReadAllText(GoldenFiles.ResultFile("06_chaining")))!.AsObject();
        var programs = result["programs"]!.AsArray();
        if (readBackwardAsChannelTape)
        {
            programs[10]!["residual"] = 10;
            programs[10]!["scsw"] = programs[10]!["scsw"]!.GetValue<string>()[..^4] + "000A";
            programs[10]!["data"]![0]!["data_hex"] = "";
            programs[10]!["data"]![0]!["transferred"] = 0;
        }

        if (residual13 is { } r)
        {
            programs[13]!["residual"] = r;
        }

        if (unitStatus2 is { } s)
        {
            programs[2]!["unit_status"] = s;
        }

        return result;
    }

    private (int ExitCode, string Output) Compare(JsonObject actual, string against)
    {
        var path = Path.Combine(_work, "actual.json");
        File.WriteAllText(path, actual.ToJsonString());
        var repository = Path.GetFullPath(Path.Combine(GoldenFiles.Root, "..", ".."));
        var start = new ProcessStartInfo("python3")
        {
            ArgumentList =
            {
                Path.Combine(repository, "tests", "bridge", "compare_results.py"), GoldenFiles.ResultFile("06_chaining"), path,
                "--deviations", DeviationRegistry.FilePath, "--against", against,
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(30_000), "compare_results.py did not finish");
        return (process.ExitCode, output.Result + error.Result);
    }

    [Fact]
    public void Registered_differences_pass_and_a_varying_entry_need_not_show()
    {
        var (exitCode, output) = Compare(ThroughTheBridge(readBackwardAsChannelTape: true), "native");

        Assert.True(exitCode == 0, output);
        Assert.Contains("known: program 10", output);
        Assert.Contains("known: program 10 (backspace 2 blocks chained, read backward) scsw", output); // the SCSW repeats the residual
        Assert.DoesNotContain("program 13", output);
    }

    [Fact]
    public void A_varying_entry_accepts_its_difference()
    {
        var (exitCode, output) = Compare(ThroughTheBridge(readBackwardAsChannelTape: true, residual13: 27), "native");

        Assert.True(exitCode == 0, output);
        Assert.Contains("known: program 13", output);
    }

    [Fact]
    public void An_unregistered_difference_fails()
    {
        var (exitCode, output) = Compare(ThroughTheBridge(readBackwardAsChannelTape: true, unitStatus2: "0E"), "native");

        Assert.Equal(1, exitCode);
        Assert.Contains("program 2 (WTM then NOP via TIC) unit_status", output);
    }

    [Fact]
    public void A_registered_device_difference_that_does_not_show_is_stale()
    {
        var (exitCode, output) = Compare(ThroughTheBridge(readBackwardAsChannelTape: false), "native");

        Assert.Equal(1, exitCode);
        Assert.Contains("stale: registered deviation shows no difference here: 06_chaining programs [10]", output);
    }

    [Fact]
    public void Streaming_on_against_off_applies_no_device_entry()
    {
        // Both runs are ChannelTape behind the bridge: a device deviation shows in neither, so it is
        // not stale there, and a difference in that program is not excused by it.
        Assert.Equal(0, Compare(ThroughTheBridge(readBackwardAsChannelTape: false), "bridge").ExitCode);
        var (exitCode, output) = Compare(ThroughTheBridge(readBackwardAsChannelTape: true), "bridge");
        Assert.Equal(1, exitCode);
        Assert.Contains("program 10 (backspace 2 blocks chained, read backward) residual", output);
    }
}
