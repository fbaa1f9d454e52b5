using System.Text.Json.Nodes;
using ChannelTape.Scripts.Replay;

namespace ChannelTape.Replay.Tests;

/// <summary>One field in which a replay's result differs from Hercules' result.</summary>
/// <param name="Program">Program index; null for the test's final image.</param>
internal sealed record GoldenDifference(int? Program, string Name, string Field, string Hercules, string ChannelTape)
{
    public override string ToString() =>
        $"{(Program is { } p ? $"program {p}" : "test")} '{Name}' {Field}: Hercules {Shorten(Hercules)}, ChannelTape {Shorten(ChannelTape)}";

    private static string Shorten(string text) => text.Length > 300 ? text[..300] + "..." : text;
}

/// <summary>
/// Compares a replay's result document with Hercules 3.13's result for the same golden test, field by field,
/// and judges the differences against the deviation registry.
/// </summary>
internal static class GoldenComparison
{
    /// <summary>
    /// Per program: completion, iterations, interrupt count (PCI), unit and channel status, residual, the CCW
    /// it ended on, the data read, the sense bytes after a unit check and the unsolicited status found before it.
    /// </summary>
    public static IReadOnlyList<string> ProgramFields { get; } =
        ["completion", "iterations", "interrupt_count", "unit_status", "channel_status", "residual", "ended_at_ccw", "data", "sense_hex", "pending_before"];

    public static List<GoldenDifference> Compare(JsonObject hercules, JsonObject channelTape)
    {
        var differences = new List<GoldenDifference>();
        var expectedPrograms = hercules["programs"]!.AsArray();
        var actualPrograms = channelTape["programs"]!.AsArray();
        Assert.Equal(expectedPrograms.Count, actualPrograms.Count);
        for (var i = 0; i < expectedPrograms.Count; i++)
        {
            var e = expectedPrograms[i]!.AsObject();
            var a = actualPrograms[i]!.AsObject();
            foreach (var field in ProgramFields)
            {
                var left = Canonical(field, e[field]);
                var right = Canonical(field, a[field]);
                if (left != right)
                {
                    differences.Add(new GoldenDifference(i, e["name"]!.GetValue<string>(), field, left, right));
                }
            }
        }

        // The final image: size and sha256 (the block list is the same image described).
        var expectedImage = Canonical(Deviation.ImageField, hercules[Deviation.ImageField]);
        var actualImage = Canonical(Deviation.ImageField, channelTape[Deviation.ImageField]);
        if (expectedImage != actualImage)
        {
            differences.Add(new GoldenDifference(null, "final image", Deviation.ImageField, expectedImage, actualImage));
        }

        return differences;
    }

    /// <summary>
    /// Differences no entry explains, and entries that explain no difference (stale; an entry marked
    /// as varying is never stale). Empty both ways when the replay differs from Hercules exactly as registered.
    /// </summary>
    public static (List<GoldenDifference> Unexplained, List<Deviation> Stale) Judge(
        IReadOnlyList<GoldenDifference> differences, IReadOnlyList<Deviation> deviations) =>
        ([.. differences.Where(d => !deviations.Any(x => x.Covers(d)))],
         [.. deviations.Where(x => !x.Varies && !differences.Any(x.Covers))]);

    /// <summary>One message for a failed comparison; null when nothing is wrong.</summary>
    public static string? Failure(string comparison, (List<GoldenDifference> Unexplained, List<Deviation> Stale) verdict) =>
        verdict.Unexplained.Count == 0 && verdict.Stale.Count == 0
            ? null
            : string.Join('\n', verdict.Unexplained.Select(d => $"{comparison} differs from Hercules: {d}")
                .Concat(verdict.Stale.Select(x => $"{comparison}: registered deviation no longer differs (stale, tests/golden/deviations.json): {x}")));

    /// <summary>The compared part of a field, as one line of JSON.</summary>
    private static string Canonical(string field, JsonNode? value) => field switch
    {
        // The unsolicited statuses themselves (SCSW addresses are the runner's layout).
        "pending_before" => value is null ? "null"
            : OracleJson.Compact(new JsonObject
            {
                ["count"] = value["count"]!.DeepClone(),
                ["unit_status"] = new JsonArray([.. value["statuses"]!.AsArray().Select(s => (JsonNode)s!["unit_status"]!.GetValue<string>())]),
            }),
        Deviation.ImageField => value is null ? "null"
            : OracleJson.Compact(new JsonObject
            {
                ["size"] = value["size"]!.DeepClone(),
                ["sha256"] = value["sha256"]!.GetValue<string>(),
            }),
        _ => OracleJson.Compact(value),
    };
}
