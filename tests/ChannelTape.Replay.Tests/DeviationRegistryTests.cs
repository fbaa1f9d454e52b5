using System.Text.RegularExpressions;
using ChannelTape.Scripts.Replay;

namespace ChannelTape.Replay.Tests;

/// <summary>
/// tests/golden/deviations.json is well formed: every entry names a golden test, programs that test has,
/// fields the readers compare, and a section of docs/device-behaviour.md that exists.
/// </summary>
public sealed partial class DeviationRegistryTests
{
    private const string Document = "docs/device-behaviour.md";

    [Fact]
    public void Every_anchor_is_a_section_of_device_behaviour()
    {
        var anchors = SectionAnchors(File.ReadAllText(Path.Combine(GoldenFiles.Root, "..", "..", Document)));
        var missing = DeviationRegistry.All
            .Where(d => !d.Anchor.StartsWith(Document + "#", StringComparison.Ordinal) || !anchors.Contains(d.Anchor[(Document.Length + 1)..]))
            .Select(d => $"{d}: no section '{d.Anchor}'").ToList();

        Assert.True(missing.Count == 0, string.Join('\n', missing) + $"\nsections: {string.Join(", ", anchors)}");
    }

    [Fact]
    public void Every_entry_names_a_golden_test_its_programs_and_compared_fields()
    {
        var known = GoldenComparison.ProgramFields.Append(Deviation.AllFields).ToHashSet(StringComparer.Ordinal);
        var programCounts = GoldenFiles.TestFiles().ToDictionary(
            f => Path.GetFileNameWithoutExtension(f), f => ReplayTestParser.ParseFile(f).Programs.Count, StringComparer.Ordinal);
        var wrong = new List<string>();
        foreach (var d in DeviationRegistry.All)
        {
            if (!programCounts.TryGetValue(d.Test, out var count))
            {
                wrong.Add($"{d}: no golden test '{d.Test}'");
                continue;
            }

            if (d.Programs.Count == 0)
            {
                // The final image is a field of the whole test.
                if (d.Fields.Count != 1 || d.Fields[0] != Deviation.ImageField)
                {
                    wrong.Add($"{d}: an entry without programs is for the final image (fields [\"aws\"])");
                }

                continue;
            }

            wrong.AddRange(d.Programs.Where(p => p < 0 || p >= count).Select(p => $"{d}: program {p} not in 0..{count - 1}"));
            wrong.AddRange(d.Fields.Where(f => !known.Contains(f)).Select(f => $"{d}: field '{f}' is not compared"));
            if (d.Fields.Count == 0 || d.Programs.Distinct().Count() != d.Programs.Count)
            {
                wrong.Add($"{d}: needs fields and distinct programs");
            }
        }

        Assert.True(wrong.Count == 0, string.Join('\n', wrong));
    }

    [Fact]
    public void Only_what_Hercules_channel_or_timing_decides_varies()
    {
        // ChannelTape's answers are deterministic, in process, over the wire and behind the bridge, so
        // every device, channel and bridge entry must show in every run; only what Hercules' channel
        // (an uninitialised value) or the timing through the bridge decides may come and go.
        var wrong = DeviationRegistry.All
            .Where(d => d.Varies != (d.Scope is DeviationScope.BridgeChannel or DeviationScope.BridgeTiming))
            .Select(d => d.ToString()).ToList();

        Assert.True(wrong.Count == 0, "entries whose 'varies' does not fit their scope:\n" + string.Join('\n', wrong));
    }

    [Fact]
    public void A_registry_entry_with_an_unknown_scope_or_key_is_refused()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ctape-deviations-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, """{"deviations": [{"test": "dse", "programs": [2], "fields": ["*"], "scope": "wire", "anchor": "a", "reason": "r"}]}""");
            Assert.Contains("unknown scope 'wire'", Assert.Throws<InvalidDataException>(() => DeviationRegistry.Load(path)).Message);
            File.WriteAllText(path, """{"deviations": [{"test": "dse", "program": [2], "fields": ["*"], "scope": "device", "anchor": "a", "reason": "r"}]}""");
            Assert.Contains("unknown key 'program'", Assert.Throws<InvalidDataException>(() => DeviationRegistry.Load(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("#### Read Buffer (12)", "read-buffer-12")]
    [InlineData("### Residual after a program check before the first CCW reaches the device", "residual-after-a-program-check-before-the-first-ccw-reaches-the-device")]
    [InlineData("## Media: corrupt images and HET, as the golden tests show them", "media-corrupt-images-and-het-as-the-golden-tests-show-them")]
    [InlineData("### Corrupt image: a tape-mark header with data", "corrupt-image-a-tape-mark-header-with-data")]
    public void Anchors_are_the_heading_slugs_a_Markdown_renderer_makes(string heading, string anchor) =>
        Assert.Contains(anchor, SectionAnchors(heading));

    /// <summary>Heading anchors as GitHub renders them: lower case, punctuation dropped, blanks to '-'.</summary>
    private static HashSet<string> SectionAnchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var inCode = false;
        foreach (var line in markdown.Split('\n'))
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode;
            }
            else if (!inCode && Heading().Match(line) is { Success: true } m)
            {
                var slug = Punctuation().Replace(m.Groups[1].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-');
                var unique = slug;
                for (var n = 1; !anchors.Add(unique); n++)
                {
                    unique = $"{slug}-{n}";
                }
            }
        }

        return anchors;
    }

    [GeneratedRegex(@"^#{1,6}\s+(.*)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{N}\s_-]")]
    private static partial Regex Punctuation();
}
