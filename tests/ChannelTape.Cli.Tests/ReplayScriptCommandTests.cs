using ChannelTape.Cli;
using ChannelTape.Library.Configuration;

namespace ChannelTape.Cli.Tests;

/// <summary><c>ctape replay SCRIPT.ccw</c>: report and exit codes.</summary>
public sealed class ReplayScriptCommandTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ctape-replay-tests", Guid.NewGuid().ToString("N"));

    public ReplayScriptCommandTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private (int ExitCode, string Output, string Errors) Replay(string source)
    {
        var path = Path.Combine(_directory, "t.ccw");
        File.WriteAllText(path, source);
        var output = new StringWriter();
        var errors = new StringWriter();
        var code = ReplayCommand.RunScript(path, Path.Combine(_directory, "work"), verbose: false, output, errors);
        return (code, output.ToString(), errors.ToString());
    }

    [Fact]
    public void AScriptWhoseExpectationsHoldExitsZero()
    {
        var (code, output, _) = Replay("""
            device 3490 at 0580
            tape empty
            program { WRITE E'HELLO' WTM }
            expect status CE DE
            REWIND
            READ 80 SLI
            expect data E'HELLO'
            expect residual 75
            """);
        Assert.Equal(0, code);
        Assert.Contains("3 programs, 3 expectations, 0 failed", output);
    }

    [Fact]
    public void AFailedExpectationIsReportedWithItsLineAndExitsOne()
    {
        var (code, output, _) = Replay("""
            tape none
            NOP SLI
            expect status CE DE
            """);
        Assert.Equal(1, code);
        Assert.Contains("line 3: expect status CE DE: got UC (02)", output);
        Assert.Contains("1 failed (FAIL)", output);
    }

    [Fact]
    public void AScriptThatDoesNotParseExitsTwoNamingLineAndColumn()
    {
        var (code, _, errors) = Replay("NOP\nREAD 80 SLII\n");
        Assert.Equal(2, code);
        Assert.Contains("line 2, column 9: 'SLII' is not a statement or command", errors);
    }

    [Fact]
    public void AMissingImageIsReportedBeforeAnythingRuns()
    {
        var (code, _, errors) = Replay("tape \"nowhere.aws\"\nNOP\n");
        Assert.Equal(2, code);
        Assert.Contains("line 1: ", errors);
        Assert.Contains("nowhere.aws", errors);
    }

    [Fact]
    public void AnEndlessChannelProgramIsStoppedAndReported()
    {
        var (code, output, _) = Replay("""
            program "endless" {
              again: NOP SLI
              TIC again
            }
            """);
        Assert.Equal(1, code);
        Assert.Contains("line 1: the channel program ends: got it did not end", output);
    }

    [Fact]
    public void UnsolicitedDeviceEndAfterAnOperatorMountIsWaitedFor()
    {
        var (code, output, _) = Replay("""
            tape none
            mount empty
            wait device-end timeout 2s
            WTM
            expect status CE DE
            unload
            wait device-end timeout 2s
            wait device-end timeout 50ms
            """);
        Assert.Equal(1, code);
        Assert.Contains("line 8: unsolicited device end: got nothing within 50 ms", output);
        Assert.DoesNotContain("line 3:", output);
        Assert.DoesNotContain("line 7:", output);
    }

    [Theory]
    [InlineData("127.0.0.1:7490", "127.0.0.1", 7490)]
    [InlineData("tapes.example:1", "tapes.example", 1)]
    [InlineData("[::1]:7490", "::1", 7490)]
    public void ServerAddressesAreHostColonPort(string text, string host, int port) =>
        Assert.Equal(new ServerAddress(host, port), ServerAddress.TryParse(text));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData(":7490")]
    [InlineData("host:0")]
    [InlineData("host:65536")]
    [InlineData("host:x")]
    public void BadServerAddressesAreRefused(string text)
    {
        Assert.Null(ServerAddress.TryParse(text));
        var (code, _, error) = Ctape.Run("replay", "a.ccw", "--server", text);
        Assert.Equal(2, code);
        Assert.Contains($"--server wants HOST:PORT (e.g. 127.0.0.1:7490), got '{text}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnreachableServerIsReportedNotThrown()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var path = Path.Combine(_directory, "t.ccw");
        File.WriteAllText(path, "NOP\n");
        var errors = new StringWriter();
        var code = ReplayCommand.RunScript(path, Path.Combine(_directory, "work"), false, new StringWriter(), errors, new ServerAddress("127.0.0.1", port));
        Assert.Equal(2, code);
        Assert.Contains($"127.0.0.1:{port}", errors.ToString());
    }

    [Fact]
    public void TheCommandDecidesScriptsByTheirExtension()
    {
        var script = Path.Combine(_directory, "ok.ccw");
        File.WriteAllText(script, "tape none\nNOP SLI\nexpect status UC\n");
        Assert.Equal(0, Ctape.Run("replay", script).ExitCode);
        Assert.Equal(2, Ctape.Run("replay", script, "--full-data").ExitCode); // a reference-runner option
        Assert.Equal(2, Ctape.Run("replay", "--json", script, script).ExitCode); // one test at a time
        Assert.Equal(2, Ctape.Run("replay", Path.Combine(_directory, "x.txt")).ExitCode);
    }

    [Fact]
    public async Task The_conformance_suite_against_the_default_server_skips_what_it_cannot_run_with_a_note()
    {
        // ctape serve without --config: 3490 drives and no image folder, so a script for a 3420 or 3480, or one that
        // mounts image files, cannot run there. Each says why; none makes the run a usage error (exit 2).
        var defaults = ConfigurationParser.LoadDefault();
        await using var served = LibraryServer.Start(
            defaults with { Storage = defaults.Storage with { Root = Path.Combine(_directory, "data") } }, tempImageFolder: false);
        string[] scripts = [.. Directory.GetFiles(RepositoryFiles.Path("ccw-scripts"), "*.ccw").Order(StringComparer.Ordinal)];

        var (code, output, errors) = Ctape.Run(["replay", .. scripts, "--server", served.EndPoint.ToString()]);

        Assert.True(code is 0 or 1, $"exit {code}: {errors}");
        Assert.DoesNotContain("the server refused", output + errors, StringComparison.Ordinal);
        Assert.Contains("09_3420.ccw: skipped: the script is for an IBM 3420 at 0580; the server's drive 0580 is an IBM 3490", output, StringComparison.Ordinal);
        Assert.Matches(@"00_tour\.ccw: skipped: the script mounts image files and the server does not mount them from \S+ \(mounting an image by path is not allowed here", output);
        Assert.Contains("an image-folder holding --workdir DIR", output, StringComparison.Ordinal);
    }

    [Fact]
    public void EachRunWorksInAPrivateFolderThatIsRemovedAfterwards()
    {
        var script = Path.Combine(_directory, "w.ccw");
        File.WriteAllText(script, "tape empty\nWRITE E'X'\nexpect status CE DE\n");
        var before = Directory.GetDirectories(Path.GetTempPath(), "ctape-replay-*").ToHashSet();
        Assert.Equal(0, Ctape.Run("replay", script).ExitCode);
        Assert.DoesNotContain(Directory.GetDirectories(Path.GetTempPath(), "ctape-replay-*"), d => !before.Contains(d));

        var kept = Path.Combine(_directory, "kept");
        Assert.Equal(0, Ctape.Run("replay", script, "--workdir", kept).ExitCode);
        Assert.NotEmpty(Directory.GetFiles(kept, "*", SearchOption.AllDirectories));
    }
}
