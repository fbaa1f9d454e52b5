using System.Diagnostics;
using System.Text;
using ChannelTape.Library.Configuration;

namespace ChannelTape.Library.Tests.Configuration;

/// <summary>
/// Issue 13, item 7: hostile configuration input gives errors, not a crash, a hang or unbounded memory:
/// deep nesting, an include of a device, of a FIFO or of a huge file, and many pools.
/// </summary>
public sealed class ConfigurationLimitTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ctape-conf-limits-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData(7_000)]
    [InlineData(200_000)]
    public void Braces_nested_thousands_deep_are_an_error_not_a_stack_overflow(int depth)
    {
        var text = "drive 0580;\npool A " + new string('{', depth) + new string('}', depth);

        var result = ConfigurationParser.ParseText(text, "deep.conf", _root);

        Assert.Null(result.Configuration);
        var error = Assert.Single(result.Errors);
        Assert.Contains($"nested deeper than {ConfigurationParser.MaxNestingDepth}", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Braces_inside_strings_and_comments_do_not_count_as_nesting()
    {
        var text = "drive 0580; # " + new string('{', 100) + "\nstorage { root \"" + new string('{', 100) + "\"; }\n";

        var result = ConfigurationParser.ParseText(text, "ok.conf", _root);

        Assert.Empty(result.Errors);
    }

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/urandom")]
    public void An_include_of_a_device_is_refused(string device)
    {
        var result = ConfigurationParser.ParseText($"drive 0580;\ninclude \"{device}\";", "dev.conf", _root);

        var error = Assert.Single(result.Errors);
        Assert.Contains("not a regular file", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_include_of_a_FIFO_is_refused_without_waiting_for_a_writer()
    {
        var fifo = Path.Combine(_root, "pipe.conf");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var parse = Task.Run(() => ConfigurationParser.ParseText("drive 0580;\ninclude \"pipe.conf\";", "fifo.conf", _root));
        var result = await parse.WaitAsync(TimeSpan.FromSeconds(30));

        var error = Assert.Single(result.Errors);
        Assert.Contains("not a regular file", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_configuration_file_that_is_a_FIFO_is_refused()
    {
        var fifo = Path.Combine(_root, "main.conf");
        using (var mkfifo = Process.Start("mkfifo", [fifo]))
        {
            mkfifo.WaitForExit();
        }

        var result = await Task.Run(() => ConfigurationParser.ParseFile(fifo)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("not a regular file", Assert.Single(result.Errors).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_include_larger_than_the_limit_is_refused()
    {
        var big = Path.Combine(_root, "big.conf");
        using (var file = File.Create(big))
        {
            file.SetLength(ConfigurationParser.MaxFileBytes + 1);
        }

        var result = ConfigurationParser.ParseText("drive 0580;\ninclude \"big.conf\";", "main.conf", _root);

        Assert.Contains($"larger than {ConfigurationParser.MaxFileBytes} bytes", Assert.Single(result.Errors).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Includes_that_add_up_past_the_total_limit_are_refused()
    {
        var part = Path.Combine(_root, "part.conf");
        File.WriteAllText(part, "# " + new string('x', ConfigurationParser.MaxFileBytes - 10) + "\n");
        var main = new StringBuilder("drive 0580;\n");
        for (var i = 0; i < 3; i++)
        {
            File.Copy(part, Path.Combine(_root, $"part{i}.conf"));
            main.Append($"include \"part{i}.conf\";\n");
        }

        var result = ConfigurationParser.ParseText(main.ToString(), "main.conf", _root);

        Assert.Contains(result.Errors, e => e.ToString().Contains("larger than", StringComparison.Ordinal));
    }

    [Fact]
    public void Sixty_four_thousand_pools_are_checked_and_an_overlap_among_them_is_found()
    {
        var text = new StringBuilder("drive 0580;\n");
        for (var i = 0; i < 64_000; i++)
        {
            text.Append($"pool P{i} {{ volumes {(char)('A' + i / 10_000)}{i % 10_000:D5}; }}\n");
        }

        text.Append("pool LAST { volumes A00010-A00019; }\n");

        var result = ConfigurationParser.ParseText(text.ToString(), "many.conf", _root);

        var error = Assert.Single(result.Errors);
        Assert.Contains("overlap A00010 of pool P10", error.ToString(), StringComparison.Ordinal);
    }
}
