using ChannelTape.Admin.Reports;

namespace ChannelTape.Admin.Tests;

/// <summary>docs/admin-volumes.md is the interface host programs are written against: it must match the code.</summary>
public sealed class AdminDocumentationTests
{
    [Fact]
    public void Documentation_holds_every_layout_exactly_as_the_code_writes_it()
    {
        string docs = File.ReadAllText(Path.Combine(RepositoryFiles.Root, "docs", "admin-volumes.md")).ReplaceLineEndings("\n");
        foreach (var layout in StatusReports.All)
        {
            Assert.Contains($"### {layout.ReportName} (`{layout.DataSetName}`)\n\n" + layout.ToMarkdownTable().ReplaceLineEndings("\n"), docs, StringComparison.Ordinal);
        }
    }
}
