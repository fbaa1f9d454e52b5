using System.Text.Json.Nodes;
using ChannelTape.Cli;

namespace ChannelTape.Cli.Tests;

/// <summary><c>ctape replay --json TEST.json</c> end to end.</summary>
public sealed class ReplayCommandTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "ctape-replay-cli-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    [Fact]
    public void Replay_writes_the_runner_result_format_with_the_numbers_Hercules_gave()
    {
        var output = Path.Combine(_work, "result.json");
        Directory.CreateDirectory(_work);
        var exit = Ctape.Run("replay", "--json", RepositoryFiles.Path("tests/golden/samples/03_write_read.json"), "--out", output, "--workdir", Path.Combine(_work, "w")).ExitCode;

        Assert.Equal(0, exit);
        var actual = JsonNode.Parse(File.ReadAllText(output))!;
        var expected = JsonNode.Parse(File.ReadAllText(RepositoryFiles.Path("tests/golden/results/03_write_read.json")))!;
        Assert.Equal("03_write_read", actual["test"]!.GetValue<string>());
        var programs = actual["programs"]!.AsArray();
        Assert.Equal(expected["programs"]!.AsArray().Count, programs.Count);
        for (var i = 0; i < programs.Count; i++)
        {
            foreach (var field in new[] { "unit_status", "channel_status", "residual", "ended_at_ccw", "sense_hex" })
            {
                Assert.Equal(expected["programs"]![i]![field]?.ToJsonString(), programs[i]![field]?.ToJsonString());
            }
        }

        Assert.Equal(expected["aws"]!["sha256"]!.GetValue<string>(), actual["aws"]!["sha256"]!.GetValue<string>());
    }

    [Fact]
    public async Task Replay_json_works_in_a_private_folder_per_run_so_runs_side_by_side_do_not_meet()
    {
        string test = RepositoryFiles.Path("tests/golden/samples/03_write_read.json");
        string expected = JsonNode.Parse(File.ReadAllText(RepositoryFiles.Path("tests/golden/results/03_write_read.json")))!["aws"]!["sha256"]!.GetValue<string>();
        var before = Directory.GetFileSystemEntries(Directory.GetCurrentDirectory()).ToHashSet();

        // Without --workdir: each run makes its image in a folder of its own (one shared folder would let one run
        // write over the other's image), and removes it.
        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Ctape.Run("replay", "--json", test))));

        Assert.All(runs, run =>
        {
            Assert.Equal(0, run.ExitCode);
            Assert.Equal(expected, JsonNode.Parse(run.Output)!["aws"]!["sha256"]!.GetValue<string>());
        });
        // Each run's image was in a folder of its own, removed when the run ended.
        var images = runs.Select(run => JsonNode.Parse(run.Output)!["aws"]!["file"]!.GetValue<string>()).ToList();
        Assert.Equal(runs.Length, images.Select(Path.GetDirectoryName).Distinct().Count());
        Assert.All(images, image => Assert.False(Directory.Exists(Path.GetDirectoryName(image)), $"{image}'s folder was left behind"));
        Assert.DoesNotContain(Directory.GetFileSystemEntries(Directory.GetCurrentDirectory()), e => !before.Contains(e));
    }

    [Theory]
    [InlineData("replay")]
    [InlineData("replay --json")]
    [InlineData("replay a.json b.json")]
    [InlineData("replay --bogus a.json")]
    public void Bad_arguments_are_a_usage_error(string commandLine) => Assert.Equal(2, Ctape.Run(commandLine.Split(' ')).ExitCode);

    [Fact]
    public void A_malformed_test_is_reported_not_thrown()
    {
        Directory.CreateDirectory(_work);
        var test = Path.Combine(_work, "bad.json");
        File.WriteAllText(test, """{"programs": [{"ccws": [{"op": "01", "fill": "GG"}]}]}""");
        Assert.Equal(2, Ctape.Run("replay", "--json", test, "--workdir", Path.Combine(_work, "w")).ExitCode);
        Assert.Equal(2, Ctape.Run("replay", "--json", Path.Combine(_work, "missing.json")).ExitCode);
    }
}
