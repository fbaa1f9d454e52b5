using ChannelTape.Scripts.CcwScript;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape replay SCRIPT.ccw... [--server HOST:PORT] [--workdir DIR] [--verbose]</c>: runs CCW scripts
/// (docs/ccw-scripts.md) and reports every failed expectation with its line. Exit code 0 when every
/// expectation held, 1 when one failed, 2 when a script does not parse or cannot start.
/// </summary>
public static class ReplayScriptCommand
{
    public const string Usage = "usage: ctape replay SCRIPT.ccw... [--workdir DIR] [--verbose]";

    /// <summary>True when the arguments name CCW scripts (<c>.ccw</c> files) rather than a reference-runner test.</summary>
    public static bool Handles(IReadOnlyList<string> args) =>
        args.Any(a => a.EndsWith(".ccw", StringComparison.OrdinalIgnoreCase)) && !args.Contains("--json");

    public static int Run(string[] args)
    {
        var arguments = new Arguments(args, ["--workdir"], ["--verbose"]);
        if (arguments.Positional.Count == 0)
        {
            throw new UsageException(Usage);
        }

        var worst = 0;
        foreach (var path in arguments.Positional)
        {
            var workDirectory = Path.Combine(
                arguments.Get("--workdir") ?? Path.Combine(Path.GetTempPath(), "ctape-replay"),
                $"{Path.GetFileNameWithoutExtension(path)}-{Environment.ProcessId}");
            worst = Math.Max(worst, RunOne(path, workDirectory, arguments.Has("--verbose"), Console.Out, Console.Error));
        }

        return worst;
    }

    /// <summary>Runs one script in-process; returns the exit code for it.</summary>
    public static int RunOne(string path, string workDirectory, bool verbose, TextWriter output, TextWriter errors)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(errors);
        string source;
        try
        {
            source = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            errors.WriteLine($"ctape replay: {path}: {e.Message}");
            return 2;
        }

        if (!ScriptParser.TryParse(source, out var script, out var parseError))
        {
            errors.WriteLine($"{path}: {parseError}");
            return 2;
        }

        var scriptDirectory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        if (!ChannelScriptDrive.TryCreateInProcess(script, scriptDirectory, workDirectory, out var drive, out var error))
        {
            errors.WriteLine($"{path}: {error}");
            return 2;
        }

        using (drive)
        {
            var result = ScriptRunner.Run(script, drive!);
            ScriptReport.Write(output, path, script, result, verbose);
            return result.Passed ? 0 : 1;
        }
    }
}
