using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ChannelTape.Channel;
using ChannelTape.Scripts.CcwScript;

namespace ChannelTape.Replay.Tests;

/// <summary>
/// The converted scripts of the conformance suite (ccw-scripts/NAME.ccw for golden test NAME) expect
/// what Hercules 3.13 did: every expectation is checked against the golden result of its program, and
/// one that differs must be a deviation tests/golden/deviations.json lists for that program and field
/// (scopes <c>device</c> and <c>channel</c>, the ones a script meets in process or over the wire).
/// ConformanceSuiteTests checks the same expectations against ChannelTape, so together a script
/// expectation is Hercules' answer except where the registry says ChannelTape's differs.
/// </summary>
public sealed class ScriptExpectationTests
{
    private static string SuiteDirectory => Path.GetFullPath(Path.Combine(GoldenFiles.Root, "..", "..", "ccw-scripts"));

    /// <summary>Every script named after a golden test (all but the hand-written tour).</summary>
    public static TheoryData<string> ConvertedScripts()
    {
        var golden = GoldenFiles.TestFiles().Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(SuiteDirectory, "*.ccw").Order(StringComparer.Ordinal))
        {
            if (golden.Contains(Path.GetFileNameWithoutExtension(path)))
            {
                data.Add(Path.GetFileNameWithoutExtension(path));
            }
        }

        return data;
    }

    [Fact]
    public void Every_script_but_the_tour_is_a_converted_golden_test()
    {
        var golden = GoldenFiles.TestFiles().Select(Path.GetFileNameWithoutExtension).ToHashSet(StringComparer.Ordinal);
        var handWritten = Directory.GetFiles(SuiteDirectory, "*.ccw").Select(Path.GetFileNameWithoutExtension)
            .Where(name => !golden.Contains(name)).ToList();
        Assert.Equal(["00_tour"], handWritten);
    }

    [Theory]
    [MemberData(nameof(ConvertedScripts))]
    public void Every_expectation_is_what_Hercules_gave_or_a_registered_deviation(string name)
    {
        var source = File.ReadAllText(Path.Combine(SuiteDirectory, name + ".ccw"));
        Assert.True(ScriptParser.TryParse(source, out var script, out var error), $"{name}.ccw: {error}");
        var result = JsonNode.Parse(File.ReadAllText(GoldenFiles.ResultFile(name)))!.AsObject();
        Assert.Equal(result["device"]!.GetValue<string>(), script.Device.Model.ToString()[^4..]);
        var hercules = result["programs"]!.AsArray();

        var deviations = DeviationRegistry.For(name, DeviationScope.Device, DeviationScope.Channel);
        var failures = new List<string>();
        var checkedCount = 0;
        foreach (var (program, index) in Align(name, source, script, hercules, failures))
        {
            var outcome = hercules[index]!.AsObject();
            foreach (var ccw in program.Ccws.Where(c => c.Expectations.Count > 0))
            {
                // Hercules' result holds one SCSW per program: a CCW's own residual and data are
                // known only for the CCW the program ended on, so a converted script states none.
                failures.Add($"line {ccw.Location.Line}: an expectation of one CCW inside a program cannot be compared with Hercules' result");
            }

            foreach (var expectation in program.Expectations)
            {
                checkedCount++;
                var (field, herculesAnswer) = Judge(expectation, outcome);
                if (herculesAnswer is null)
                {
                    continue;
                }

                var difference = new GoldenDifference(index, program.Name, field, herculesAnswer, expectation.Text);
                if (!deviations.Any(d => d.Covers(difference)))
                {
                    failures.Add($"line {expectation.Location.Line}: '{expectation.Text}' (program {index} '{program.Name}', {field}): " +
                        $"Hercules 3.13 gave {herculesAnswer}, and tests/golden/deviations.json lists no deviation there");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{name}.ccw\n" + string.Join('\n', failures));
        Assert.True(checkedCount > 0, $"{name}.ccw: no expectation");
    }

    /// <summary>
    /// Pairs each channel program of the script with the golden program of the same name, in order. A
    /// golden program the language cannot express (a CCW address beyond storage, a chaining flag on
    /// the last CCW) is skipped only where the script says so: <c># program N "name" is not expressed here: why</c>.
    /// </summary>
    private static List<(ChannelProgramStep Program, int Index)> Align(
        string name, string source, Script script, JsonArray hercules, List<string> failures)
    {
        var pairs = new List<(ChannelProgramStep, int)>();
        var next = 0;
        void Skip()
        {
            var skipped = hercules[next]!["name"]!.GetValue<string>();
            if (!source.Contains($"# program {next} \"{skipped}\" is not expressed here", StringComparison.Ordinal))
            {
                failures.Add($"{name}.ccw leaves out golden program {next} '{skipped}' without saying why");
            }

            next++;
        }

        foreach (var program in script.Steps.OfType<ChannelProgramStep>())
        {
            while (next < hercules.Count && hercules[next]!["name"]!.GetValue<string>() != program.Name)
            {
                Skip();
            }

            if (next == hercules.Count)
            {
                failures.Add($"line {program.Location.Line}: program '{program.Name}' is not a program of the golden test (in this order)");
                return pairs;
            }

            pairs.Add((program, next++));
        }

        while (next < hercules.Count)
        {
            Skip();
        }

        return pairs;
    }

    /// <summary>The result field an expectation looks at, and Hercules' answer when it does not hold for it (else null).</summary>
    private static (string Field, string? HerculesAnswer) Judge(Expectation expectation, JsonObject outcome)
    {
        var unitStatus = (UnitStatus)Convert.ToByte(outcome["unit_status"]!.GetValue<string>(), 16);
        var channelStatus = (ChannelStatus)Convert.ToByte(outcome["channel_status"]!.GetValue<string>(), 16);
        var residual = outcome["residual"]!.GetValue<int>();
        var endedAt = outcome["ended_at_ccw"]!.GetValue<int>();
        return expectation switch
        {
            UnitStatusExpectation u => ("unit_status", u.Status == unitStatus ? null : ExpectationChecker.Describe(unitStatus)),
            ChannelStatusExpectation c => ("channel_status", c.Status == channelStatus ? null : ExpectationChecker.Describe(channelStatus)),
            ResidualExpectation r => ("residual", r.Residual == residual ? null : residual.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            EndedAtExpectation e => ("ended_at_ccw", e.CcwIndex == endedAt ? null : $"ended at CCW {endedAt}"),
            BytesExpectation { Subject: BytesSubject.Data } b => ("data", Check(b, FinalData(outcome))),
            BytesExpectation { Subject: BytesSubject.Sense } b => ("sense_hex", outcome["sense_hex"] is { } sense
                ? Check(b, HerculesBytes.Whole(Convert.FromHexString(sense.GetValue<string>())))
                : b.Match == BytesMatch.None ? null : "no sense (no unit check)"),
            _ => ("?", $"'{expectation.Text}' is not an expectation this test knows"),
        };
    }

    /// <summary>
    /// Bytes of a result, possibly abbreviated by the runner: the first bytes, the full length and the
    /// sha256 of all of them (run.py abbreviates data over 1024 bytes).
    /// </summary>
    private sealed record HerculesBytes(byte[] Known, int Length, string? Sha256)
    {
        public static HerculesBytes Whole(byte[] bytes) => new(bytes, bytes.Length, null);

        public bool Complete => Known.Length == Length;

        public override string ToString() =>
            Complete ? ExpectationChecker.Hex(Known) : $"{Length} bytes starting {ExpectationChecker.Hex(Known)}";
    }

    /// <summary>What the CCW the program ended on stored (the runner's entry with <c>transferred</c>).</summary>
    private static HerculesBytes FinalData(JsonObject outcome)
    {
        var entry = outcome["data"]!.AsArray().FirstOrDefault(d => d!["transferred"] is not null);
        if (entry is null)
        {
            return HerculesBytes.Whole([]);
        }

        var hex = entry["data_hex"]!.GetValue<string>();
        var length = entry["transferred"]!.GetValue<int>();
        return hex.EndsWith("...", StringComparison.Ordinal)
            ? new HerculesBytes(Convert.FromHexString(hex[..^3]), length, entry["data_hex_sha256"]!.GetValue<string>())
            : HerculesBytes.Whole(Convert.FromHexString(hex));
    }

    /// <summary>Null when the expectation holds for Hercules' bytes, else Hercules' bytes described.</summary>
    private static string? Check(BytesExpectation expectation, HerculesBytes actual)
    {
        var value = expectation.Value;
        var holds = expectation.Match switch
        {
            BytesMatch.Exact => actual.Complete
                ? actual.Known.AsSpan().SequenceEqual(value)
                : value.Length == actual.Length && Convert.ToHexStringLower(SHA256.HashData(value)) == actual.Sha256,
            BytesMatch.Prefix => value.Length <= actual.Known.Length
                ? actual.Known.AsSpan().StartsWith(value)
                : actual.Complete ? false : throw new InvalidDataException($"'{expectation.Text}' reaches past the {actual.Known.Length} bytes the runner kept"),
            BytesMatch.None => actual.Length == 0,
            BytesMatch.Length => actual.Length == expectation.Index,
            BytesMatch.ByteAt => expectation.Index < actual.Known.Length && actual.Known[expectation.Index] == value[0],
            _ => false,
        };
        return holds ? null : actual.ToString();
    }
}
