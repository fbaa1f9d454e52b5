using ChannelTape.Scripts.CcwScript;

namespace ChannelTape.Scripts.Tests.CcwScript;

/// <summary>The conformance suite in <c>ccw-scripts/</c>.</summary>
public class ConformanceSuiteTests
{
    /// <summary>The repository's <c>ccw-scripts</c> folder, found upwards from the test assembly.</summary>
    internal static string SuiteDirectory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "ccw-scripts");
                if (Directory.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "ChannelTape.sln")))
                {
                    return candidate;
                }
            }

            throw new DirectoryNotFoundException("ccw-scripts/ not found above " + AppContext.BaseDirectory);
        }
    }

    public static TheoryData<string> Scripts()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(SuiteDirectory, "*.ccw").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(path));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void EveryScriptParses(string name)
    {
        var source = File.ReadAllText(Path.Combine(SuiteDirectory, name));
        Assert.True(ScriptParser.TryParse(source, out var script, out var error), $"{name}: {error}");
        Assert.NotEmpty(script.Steps);
        foreach (var mount in script.Steps.OfType<MountStep>().Select(m => m.Volume).Append(script.Tape))
        {
            if (mount.Kind == VolumeKind.File)
            {
                Assert.True(File.Exists(Path.Combine(SuiteDirectory, mount.Path!)), $"{name}: {mount.Path} missing");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void EveryExpectationHoldsInProcess(string name)
    {
        var path = Path.Combine(SuiteDirectory, name);
        Assert.True(ScriptParser.TryParse(File.ReadAllText(path), out var script, out var parseError), $"{name}: {parseError}");
        var work = Path.Combine(Path.GetTempPath(), "ctape-scripts-tests", $"{Path.GetFileNameWithoutExtension(name)}-{Guid.NewGuid():N}");
        try
        {
            Assert.True(ChannelScriptDrive.TryCreateInProcess(script, SuiteDirectory, work, out var drive, out var error), $"{name}: {error}");
            using (drive)
            {
                var result = ScriptRunner.Run(script, drive!);
                var report = new StringWriter();
                ScriptReport.Write(report, name, script, result, verbose: false);
                Assert.True(result.Passed, report.ToString());
                Assert.True(result.Checked > 0, $"{name}: no expectation checked");
            }
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    [Fact]
    public void EveryTruncationOfTheTourParsesOrNamesAPlaceInsideTheText()
    {
        var source = File.ReadAllText(Path.Combine(SuiteDirectory, "00_tour.ccw"));
        var lines = source.Split('\n');
        for (var length = 0; length <= source.Length; length++)
        {
            var text = source[..length];
            if (!ScriptParser.TryParse(text, out _, out var error))
            {
                Assert.InRange(error!.Location.Line, 1, lines.Length);
                Assert.InRange(error.Location.Column, 1, lines[error.Location.Line - 1].Length + 1);
                Assert.False(string.IsNullOrWhiteSpace(error.Message));
            }
        }
    }

    [Fact]
    public void TheSuiteCoversEveryNamedCommandOnEveryModel()
    {
        var used = new Dictionary<ChannelTape.Device.TapeModel, HashSet<byte>>();
        foreach (var path in Directory.GetFiles(SuiteDirectory, "*.ccw"))
        {
            Assert.True(ScriptParser.TryParse(File.ReadAllText(path), out var script, out var error), $"{path}: {error}");
            if (!used.TryGetValue(script.Device.Model, out var codes))
            {
                used[script.Device.Model] = codes = [];
            }

            codes.UnionWith(script.Steps.OfType<ChannelProgramStep>().SelectMany(p => p.Ccws).Select(c => c.Command));
        }

        foreach (var model in Enum.GetValues<ChannelTape.Device.TapeModel>())
        {
            Assert.True(used.ContainsKey(model), $"no script for {model}");
            var missing = CommandNames.All.Where(c => !used[model].Contains(c.Code)).Select(c => c.Names[0]).ToList();
            Assert.True(missing.Count == 0, $"{model}: no script uses {string.Join(", ", missing)}");
        }
    }
}
