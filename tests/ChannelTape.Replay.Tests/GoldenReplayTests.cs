using System.Text.Json.Nodes;
using ChannelTape.Scripts.Replay;
using Xunit.Abstractions;

namespace ChannelTape.Replay.Tests;

/// <summary>
/// Every committed golden test (tests/golden/cases and the reference runner's samples) replayed
/// in-process against <see cref="ChannelTape.Device.TapeDrive"/> and compared field by field with
/// the result real Hercules 3.13 gave (tests/golden/results, made by scripts/regenerate-golden.sh):
/// the fields of <see cref="GoldenComparison.ProgramFields"/> for every program, and the final image's
/// size and sha256. Differences are allowed only where tests/golden/deviations.json lists them with
/// scope <c>device</c> or <c>channel</c>; an entry that no longer differs fails, so the registry stays exact.
/// </summary>
public sealed class GoldenReplayTests(ITestOutputHelper output)
{
    [Theory]
    [MemberData(nameof(GoldenFiles.Names), MemberType = typeof(GoldenFiles))]
    public void Replay_gives_what_Hercules_gave(string name)
    {
        var expected = JsonNode.Parse(File.ReadAllText(GoldenFiles.ResultFile(name)))!.AsObject();
        var test = ReplayTestParser.ParseFile(GoldenFiles.TestFile(name));
        var work = Path.Combine(Path.GetTempPath(), "ctape-golden-" + Guid.NewGuid().ToString("N"));
        JsonObject actual;
        try
        {
            actual = new ReplayRunner(new TapeDriveReplayFactory()).Run(test, new ReplayRunOptions(work));
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }

        var differences = GoldenComparison.Compare(expected, actual);
        var deviations = DeviationRegistry.For(name, DeviationScope.Device, DeviationScope.Channel);
        var verdict = GoldenComparison.Judge(differences, deviations);
        foreach (var d in differences)
        {
            output.WriteLine($"{(verdict.Unexplained.Contains(d) ? "DIFFERS " : "deviates")} {d}");
        }

        Assert.True(GoldenComparison.Failure("in process", verdict) is null, GoldenComparison.Failure("in process", verdict));
    }
}
