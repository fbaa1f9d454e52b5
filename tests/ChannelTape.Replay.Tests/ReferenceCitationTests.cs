using System.Text.RegularExpressions;

namespace ChannelTape.Replay.Tests;

/// <summary>
/// Comments and documents cite docs/reference/hercules-tape.md, labels-and-libraries.md and
/// hercules-module.md by section (<c>hercules-tape.md §1.2</c>); every cited section must exist there.
/// </summary>
public sealed partial class ReferenceCitationTests
{
    private static readonly string s_repository = Path.GetFullPath(Path.Combine(GoldenFiles.Root, "..", ".."));

    private static readonly string[] s_sourceExtensions = [".cs", ".md", ".ccw", ".sh", ".py", ".c", ".h", ".conf"];

    private static readonly HashSet<string> s_skippedDirectories = ["bin", "obj", ".git", ".herc-src", "reference"];

    [Fact]
    public void Every_cited_reference_section_exists()
    {
        var sections = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var document in new[] { "hercules-tape", "labels-and-libraries", "hercules-module" })
        {
            sections[document] = Sections(File.ReadAllText(Path.Combine(s_repository, "docs", "reference", document + ".md")));
        }

        var missing = new List<string>();
        var cited = 0;
        foreach (var file in SourceFiles(s_repository))
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                foreach (Match citation in Citation().Matches(lines[i]))
                {
                    var document = citation.Groups["doc"].Value;
                    foreach (Capture number in citation.Groups["section"].Captures)
                    {
                        cited++;
                        if (!sections[document].Contains(number.Value))
                        {
                            missing.Add($"{Path.GetRelativePath(s_repository, file)}:{i + 1}: {document}.md §{number.Value}");
                        }
                    }
                }
            }
        }

        Assert.True(missing.Count == 0, "cited sections that docs/reference does not have:\n" + string.Join('\n', missing));
        Assert.True(cited > 50, $"only {cited} citations found: is the pattern still right?");
    }

    [Theory]
    [InlineData("see hercules-tape.md §1.1 step 4", "hercules-tape", "1.1")]
    [InlineData("(docs/reference/hercules-tape.md §6.1 and §6.5)", "hercules-tape", "6.1,6.5")]
    [InlineData("labels-and-libraries.md §1 \"VOL1\"", "labels-and-libraries", "1")]
    [InlineData("`hercules-tape.md` §8.", "hercules-tape", "8")]
    public void Citations_are_found_with_every_section_they_name(string text, string document, string numbers)
    {
        var match = Assert.Single(Citation().Matches(text));
        Assert.Equal(document, match.Groups["doc"].Value);
        Assert.Equal(numbers, string.Join(',', match.Groups["section"].Captures.Select(c => c.Value)));
    }

    /// <summary>Section numbers of a reference document: its headings (<c>## 6.</c>, <c>### 6.5</c>) and the numbered items of a section without subsections (§8.9).</summary>
    private static HashSet<string> Sections(string markdown)
    {
        var sections = new HashSet<string>(StringComparer.Ordinal);
        string? top = null;
        var topHasSubsections = false;
        var items = new List<string>();
        void EndTop()
        {
            if (top is not null && !topHasSubsections)
            {
                sections.UnionWith(items);
            }

            items.Clear();
        }

        foreach (var line in markdown.Split('\n'))
        {
            if (Heading().Match(line) is { Success: true } heading)
            {
                var number = heading.Groups[2].Value;
                sections.Add(number);
                if (heading.Groups[1].Value == "##")
                {
                    EndTop();
                    top = number;
                    topHasSubsections = false;
                }
                else
                {
                    topHasSubsections = true;
                }
            }
            else if (top is not null && NumberedItem().Match(line) is { Success: true } item)
            {
                items.Add($"{top}.{item.Groups[1].Value}");
            }
        }

        EndTop();
        return sections;
    }

    private static IEnumerable<string> SourceFiles(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory))
        {
            if (s_sourceExtensions.Contains(Path.GetExtension(file)) || Path.GetFileName(file) == "run")
            {
                yield return file;
            }
        }

        foreach (var child in Directory.EnumerateDirectories(directory))
        {
            if (!s_skippedDirectories.Contains(Path.GetFileName(child)))
            {
                foreach (var file in SourceFiles(child))
                {
                    yield return file;
                }
            }
        }
    }

    /// <summary><c>hercules-tape.md §6.1</c>, <c>`hercules-tape.md` §5 and §7</c>, <c>hercules-tape.md §6.1-§6.3</c>, ...</summary>
    [GeneratedRegex(@"(?<doc>hercules-tape|labels-and-libraries|hercules-module)\.md`?,?\s*(?:§(?<section>\d+(?:\.\d+)?)(?:(?:\s*(?:and|,)\s*§|\s*[-–]\s*§?)(?<section>\d+(?:\.\d+)?))*)?")]
    private static partial Regex Citation();

    [GeneratedRegex(@"^(##|###) (\d+(?:\.\d+)?)\.? ")]
    private static partial Regex Heading();

    [GeneratedRegex(@"^(\d+)\. ")]
    private static partial Regex NumberedItem();
}
