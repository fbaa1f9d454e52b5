using System.Text.Json;

namespace ChannelTape.Replay.Tests;

/// <summary>
/// Which comparison with Hercules 3.13 shows a difference, and so which readers of
/// tests/golden/deviations.json apply an entry (tests/golden/README.md, "Deviation registry").
/// </summary>
internal enum DeviationScope
{
    /// <summary>ChannelTape's drive answers differently: in process, over the wire and through the bridge.</summary>
    Device,

    /// <summary>ChannelTape's in-process channel (<c>LocalChannel</c>) differs from channel.c: in process and over the wire.</summary>
    Channel,

    /// <summary>ChannelTape's Hercules module (hercules/hdtctape.c) with the server answers differently from Hercules' own device: through the bridge only.</summary>
    Bridge,

    /// <summary>Hercules' own channel gives a value the device does not determine: native Hercules against the bridge.</summary>
    BridgeChannel,

    /// <summary>How fast the chain runs changes what the guest sees separately: through the bridge only.</summary>
    BridgeTiming,
}

/// <summary>One entry of tests/golden/deviations.json.</summary>
/// <param name="Test">Golden test name (tests/golden/cases or samples, without .json).</param>
/// <param name="Programs">Program indexes the entry covers; empty for the test's final image.</param>
/// <param name="Fields">Result fields that may differ: <see cref="AllFields"/> for every program field, <see cref="ImageField"/> for the final image.</param>
/// <param name="Scope">Which comparisons apply the entry.</param>
/// <param name="Anchor">The docs/device-behaviour.md section that records the deviation (<c>docs/device-behaviour.md#slug</c>).</param>
/// <param name="Reason">One line: what differs.</param>
/// <param name="Varies">The difference depends on run-time accident (uninitialised memory, thread timing): accepted, not required.</param>
internal sealed record Deviation(
    string Test, IReadOnlyList<int> Programs, IReadOnlyList<string> Fields, DeviationScope Scope, string Anchor, string Reason, bool Varies)
{
    public const string AllFields = "*";
    public const string ImageField = "aws";

    public bool Covers(GoldenDifference difference) =>
        difference.Program is { } program
            ? Programs.Contains(program) && (Fields.Contains(AllFields) || Fields.Contains(difference.Field))
            : Fields.Contains(difference.Field);

    public override string ToString() =>
        $"{Test} programs [{string.Join(',', Programs)}] fields [{string.Join(',', Fields)}] {ScopeName(Scope)} ({Anchor})";

    public static string ScopeName(DeviationScope scope) => scope switch
    {
        DeviationScope.Device => "device",
        DeviationScope.Channel => "channel",
        DeviationScope.Bridge => "bridge",
        DeviationScope.BridgeChannel => "bridge-channel",
        _ => "bridge-timing",
    };
}

/// <summary>tests/golden/deviations.json: every known difference between ChannelTape and Hercules 3.13 in the golden tests.</summary>
internal static class DeviationRegistry
{
    // Before All: static fields initialise in the order written.
    private static readonly Dictionary<string, DeviationScope> s_scopes = Enum.GetValues<DeviationScope>()
        .ToDictionary(Deviation.ScopeName, s => s, StringComparer.Ordinal);

    private static readonly HashSet<string> s_keys = ["test", "programs", "fields", "scope", "anchor", "reason", "varies"];

    public static string FilePath => Path.Combine(GoldenFiles.Root, "deviations.json");

    public static IReadOnlyList<Deviation> All { get; } = Load(FilePath);

    /// <summary>The entries of <paramref name="test"/> that a comparison in <paramref name="scopes"/> applies.</summary>
    public static IReadOnlyList<Deviation> For(string test, params DeviationScope[] scopes) =>
        [.. All.Where(d => d.Test == test && scopes.Contains(d.Scope))];

    /// <summary>Reads the registry; a malformed entry throws with its index, so every test that uses it fails with the cause.</summary>
    public static List<Deviation> Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var entries = new List<Deviation>();
        var index = 0;
        foreach (var entry in document.RootElement.GetProperty("deviations").EnumerateArray())
        {
            var where = $"{path} entry {index++}";
            foreach (var property in entry.EnumerateObject())
            {
                if (!s_keys.Contains(property.Name))
                {
                    throw new InvalidDataException($"{where}: unknown key '{property.Name}'");
                }
            }

            string Text(string key) => entry.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
                ? s
                : throw new InvalidDataException($"{where}: '{key}' must be a non-empty string");
            var scopeName = Text("scope");
            if (!s_scopes.TryGetValue(scopeName, out var scope))
            {
                throw new InvalidDataException($"{where}: unknown scope '{scopeName}' (known: {string.Join(", ", s_scopes.Keys)})");
            }

            var programs = entry.GetProperty("programs").EnumerateArray().Select(p => p.GetInt32()).ToList();
            var fields = entry.GetProperty("fields").EnumerateArray().Select(f => f.GetString() ?? "").ToList();
            var varies = entry.TryGetProperty("varies", out var v) && v.GetBoolean();
            entries.Add(new Deviation(Text("test"), programs, fields, scope, Text("anchor"), Text("reason"), varies));
        }

        return entries;
    }
}
