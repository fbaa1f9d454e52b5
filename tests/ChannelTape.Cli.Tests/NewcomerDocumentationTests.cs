using System.Text.RegularExpressions;

namespace ChannelTape.Cli.Tests;

/// <summary>
/// What a newcomer reads only points at what a clone of the repository has (issue 11, item 5): the tutorial runs
/// nothing outside it and shows no path of the machine it was written on, and the sources cite only documents
/// inside the repository.
/// </summary>
public sealed partial class NewcomerDocumentationTests
{
    [Fact]
    public void The_tutorial_uses_only_what_the_repository_has()
    {
        string tutorial = File.ReadAllText(RepositoryFiles.Path("docs/tutorial.md"));

        Assert.DoesNotContain("../shared", tutorial, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(^|[\s'""(=])/work/", tutorial);
        // Every script or program it runs from the repository's root is there.
        var run = RunFromRoot().Matches(tutorial).Select(m => m.Groups["path"].Value).Distinct().ToList();
        Assert.Contains("tools/guest/run.py", run);
        Assert.All(run, path => Assert.True(File.Exists(RepositoryFiles.Path(path)), $"docs/tutorial.md runs {path}, which is not in the repository"));
        // Every command is shown with its output: no "$ command" line is the last of its block unless it prints nothing by design.
        var silent = new[] { "./scripts/install-prereqs.sh", "export PATH=", "dotnet pack " };
        foreach (Match block in CodeBlock().Matches(tutorial))
        {
            var lines = block.Groups["body"].Value.TrimEnd('\n').Split('\n');
            if (lines[^1].StartsWith("$ ", StringComparison.Ordinal))
            {
                Assert.Contains(silent, s => lines[^1][2..].StartsWith(s, StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public void Sources_cite_only_documents_inside_the_repository()
    {
        string root = RepositoryFiles.Path("src");
        foreach (var file in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
        {
            string text = File.ReadAllText(file);
            Assert.False(text.Contains("../shared", StringComparison.Ordinal), $"{file} cites ../shared, which is not in the repository");
            foreach (Match cited in CitedDocument().Matches(text))
            {
                Assert.True(File.Exists(RepositoryFiles.Path(cited.Value)), $"{file} cites {cited.Value}, which is not in the repository");
            }
        }
    }

    [GeneratedRegex(@"^\$ (?:python3 |bash )?(?<path>(?:\./)?(?:tools|scripts|tests|docs)/[\w./-]+\.(?:py|sh))", RegexOptions.Multiline)]
    private static partial Regex RunFromRoot();

    [GeneratedRegex(@"^```\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    [GeneratedRegex(@"(?:docs|tools|hercules)/[\w/.-]+\.md")]
    private static partial Regex CitedDocument();
}
