using ChannelTape.Scripts.Replay;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape replay SCRIPT.ccw...</c> runs CCW scripts (<see cref="ReplayScriptCommand"/>);
/// <c>ctape replay --json TEST.json [--out FILE] [--workdir DIR] [--full-data] [--full-aws-hex]</c>:
/// runs a reference-runner test (../shared/oracle/README.md) against an in-process drive and prints
/// the runner's result format, so the output diffs directly with a Hercules result; with
/// <c>--server HOST:PORT</c> the same channel runs here and every CCW goes to a drive of a running server.
/// </summary>
public static class ReplayCommand
{
    public const string Help = "run CCW scripts (SCRIPT.ccw, reports failed expectations) or a reference-runner test (--json TEST.json)";

    public static int Run(string[] args)
    {
        if (ReplayScriptCommand.Handles(args))
        {
            return ReplayScriptCommand.Run(args);
        }

        var arguments = new Arguments(args, ["--json", "--out", "--workdir", "--server"], ["--full-data", "--full-aws-hex"]);
        var testPath = arguments.Get("--json") ?? (arguments.Positional.Count == 1 ? arguments.Positional[0] : null);
        if (testPath is null || (arguments.Has("--json") && arguments.Positional.Count > 0) || arguments.Positional.Count > 1)
        {
            throw new UsageException("usage: ctape replay --json TEST.json [--server HOST:PORT] [--out FILE] [--workdir DIR] [--full-data] [--full-aws-hex]\n   or: " + ReplayScriptCommand.Usage["usage: ".Length..]);
        }

        var workDirectory = arguments.Get("--workdir")
            ?? Path.Combine(Path.GetTempPath(), "ctape-replay", Path.GetFileNameWithoutExtension(testPath));
        string output;
        try
        {
            var test = ReplayTestParser.ParseFile(testPath);
            IReplayDeviceFactory factory = arguments.Get("--server") is { } server
                && LmsCommand.ParseServer(server) is var (host, port)
                ? new RemoteReplayFactory(host, port)
                : new TapeDriveReplayFactory();
            var result = new ReplayRunner(factory)
                .Run(test, new ReplayRunOptions(workDirectory, arguments.Has("--full-data"), arguments.Has("--full-aws-hex")));
            output = OracleJson.Pretty(result) + "\n";
        }
        catch (ReplayFormatException e)
        {
            Console.Error.WriteLine($"ctape replay: {e.Message}");
            return 2;
        }

        if (arguments.Get("--out") is { } outPath)
        {
            File.WriteAllText(outPath, output);
        }
        else
        {
            Console.Out.Write(output);
        }

        return 0;
    }
}
