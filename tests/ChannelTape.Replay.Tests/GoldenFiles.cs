namespace ChannelTape.Replay.Tests;

/// <summary>The committed golden tests and Hercules results (tests/golden), found from the test binary upwards.</summary>
internal static class GoldenFiles
{
    public static string Root { get; } = FindRoot();

    public static string Cases => Path.Combine(Root, "cases");

    public static string Samples => Path.Combine(Root, "samples");

    public static string Results => Path.Combine(Root, "results");

    /// <summary>Every golden test file: tests/golden/cases/*.json and tests/golden/samples/*.json.</summary>
    public static IEnumerable<string> TestFiles() =>
        Directory.EnumerateFiles(Cases, "*.json").Concat(Directory.EnumerateFiles(Samples, "*.json")).Order(StringComparer.Ordinal);

    public static string TestFile(string name) =>
        File.Exists(Path.Combine(Cases, name + ".json")) ? Path.Combine(Cases, name + ".json") : Path.Combine(Samples, name + ".json");

    public static string ResultFile(string name) => Path.Combine(Results, name + ".json");

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var file in TestFiles())
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }

        return data;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "golden");
            if (Directory.Exists(Path.Combine(candidate, "cases")))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/golden not found above " + AppContext.BaseDirectory);
    }
}
