using System.CommandLine;
using ChannelTape.Cli;

namespace ChannelTape.Cli.Tests;

/// <summary>The command line as .NET users expect it: help everywhere, a version, usage errors with exit 2 and no stack trace, completion.</summary>
public sealed class CommandLineTests
{
    public static TheoryData<string> Commands()
    {
        var data = new TheoryData<string>();
        foreach (var command in Walk(Program.CreateRootCommand(CliContext.Of(TextWriter.Null, TextWriter.Null))))
        {
            data.Add(command);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_has_help_and_every_option_and_argument_says_what_it_is(string path)
    {
        var (code, output, error) = Ctape.Run([.. path.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]);

        Assert.Equal((0, ""), (code, error));
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        var command = Find(path);
        Assert.False(string.IsNullOrWhiteSpace(command.Description), $"{path} has no description");
        Assert.All(command.Options, o => Assert.False(string.IsNullOrWhiteSpace(o.Description), $"{path} {o.Name} has no description"));
        Assert.All(command.Arguments, a => Assert.False(string.IsNullOrWhiteSpace(a.Description), $"{path} {a.Name} has no description"));
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_option_is_documented_in_docs_cli(string path)
    {
        string docs = File.ReadAllText(RepositoryFiles.Path("docs/cli.md")).ReplaceLineEndings("\n");
        string heading = $"## ctape{(path.Length > 0 ? " " + path : "")}\n";
        int start = docs.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/cli.md has no section '{heading.Trim()}' (run scripts/cli-doc.sh)");
        int end = docs.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        string section = end < 0 ? docs[start..] : docs[start..end];
        var command = Find(path);
        Assert.All(command.Options, o => Assert.Contains(o.Name, section, StringComparison.Ordinal));
        Assert.All(command.Arguments, a => Assert.Contains($"<{a.Name}>", section, StringComparison.Ordinal));
    }

    [Fact]
    public void Option_help_says_what_a_value_is_for_in_each_command()
    {
        static string Help(string path) => Ctape.Run([.. path.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--help"]).Output;
        static string Line(string help, string option) =>
            help.Split('\n').Single(l => l.TrimStart().StartsWith(option + " ", StringComparison.Ordinal));

        // --format is a different file's format in each volume command.
        Assert.Contains("Format of the new volumes' image files (default aws)", Line(Help("volume add"), "--format"), StringComparison.Ordinal);
        Assert.Contains("Format the library keeps the volume's image in", Line(Help("volume import"), "--format"), StringComparison.Ordinal);
        Assert.Contains("Format of FILE", Line(Help("volume export"), "--format"), StringComparison.Ordinal);
        // Options that only mean something with --server say so where a command also runs offline, not where --server is required.
        foreach (var option in new[] { "--drives", "--prefix", "--timeout", "--secret-file", "--api" })
        {
            Assert.StartsWith("With --server: ", Line(Help("volume list"), option).Split("  ", StringSplitOptions.RemoveEmptyEntries)[1].Trim(), StringComparison.Ordinal);
            Assert.StartsWith("With --server: ", Line(Help("status"), option).Split("  ", StringSplitOptions.RemoveEmptyEntries)[1].Trim(), StringComparison.Ordinal);
        }

        Assert.DoesNotContain("With --server", Help("lms drives"), StringComparison.Ordinal);
        // Seconds are shown as seconds, not as a TimeSpan.
        Assert.Contains("(default 30)", Line(Help("lms drives"), "--timeout"), StringComparison.Ordinal);
        foreach (var path in Walk(Program.CreateRootCommand(CliContext.Of(TextWriter.Null, TextWriter.Null))))
        {
            Assert.DoesNotContain("00:00:", Help(path), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Version_is_printed_and_exits_0()
    {
        var (code, output, _) = Ctape.Run("--version");
        Assert.Equal(0, code);
        Assert.Matches(@"^\d+\.\d+\.\d+", output);
    }

    [Fact]
    public void Ctape_alone_shows_the_commands_on_stderr_and_exits_2()
    {
        var (code, output, error) = Ctape.Run();
        Assert.Equal((2, ""), (code, output));
        Assert.Contains("serve", error, StringComparison.Ordinal);
        Assert.Contains("volume", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ctape lms drives: --timeout wants seconds, a number above 0 (e.g. 30 or 2.5), got 'abc'", "lms", "drives", "--timeout", "abc", "--server", "127.0.0.1:1")]
    [InlineData("ctape lms drives: --server wants HOST:PORT (e.g. 127.0.0.1:7490), got 'nowhere'", "lms", "drives", "--server", "nowhere")]
    [InlineData("ctape lms drives: --drives wants FIRST-LAST in hex (e.g. 0580-0587), got '0587-0580'", "lms", "drives", "--drives", "0587-0580", "--server", "127.0.0.1:1")]
    [InlineData("ctape mount: 'XYZ' is not a device number (1-4 hex digits, e.g. 0580)", "mount", "XYZ", "T00001", "--server", "127.0.0.1:1")]
    [InlineData("ctape volume list: --status wants scratch, private or mounted, got 'lost'", "volume", "list", "--status", "lost")]
    [InlineData("ctape volume add: --media wants REEL, 3480 (CST) or 3490E (ECCST), got 'DAT'", "volume", "add", "T00000", "--pool", "A", "--media", "DAT")]
    [InlineData("ctape: Unrecognized command or argument 'frobnicate'.", "frobnicate")]
    [InlineData("ctape serve: Unrecognized command or argument '--help-me'.", "serve", "--help-me")]
    [InlineData("ctape volume list: --drives, --prefix, --timeout, --secret-file and --api go with --server", "volume", "list", "--timeout", "5")]
    public void Usage_errors_say_what_is_wrong_exit_2_and_show_no_stack_trace(string message, params string[] args)
    {
        var (code, output, error) = Ctape.Run(args);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains(message + "\n", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_server_that_is_not_there_is_a_failure_in_one_line()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var (code, _, error) = Ctape.Run("lms", "drives", "--server", $"127.0.0.1:{port}");

        Assert.Equal(1, code);
        Assert.StartsWith($"ctape lms drives: no free drive at 127.0.0.1:{port} (0580: ", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Tab_completion_answers_the_suggest_directive_of_dotnet_suggest()
    {
        Assert.Equal("volume\n", Ctape.Run("[suggest:9]", "ctape vol").Output);
        Assert.Equal(["mounted", "private", "scratch"], Ctape.Run("[suggest:27]", "ctape volume list --status ").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["3480", "3490E", "REEL"], Ctape.Run("[suggest:40]", "ctape volume add T1 --pool P --media ").Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static IEnumerable<string> Walk(Command command, string path = "")
    {
        yield return path;
        foreach (var sub in command.Subcommands)
        {
            foreach (var inner in Walk(sub, (path + " " + sub.Name).Trim()))
            {
                yield return inner;
            }
        }
    }

    private static Command Find(string path)
    {
        Command command = Program.CreateRootCommand(CliContext.Of(TextWriter.Null, TextWriter.Null));
        foreach (var name in path.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            command = command.Subcommands.Single(c => c.Name == name);
        }

        return command;
    }
}
