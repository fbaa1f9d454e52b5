using ChannelTape.Scripts.CcwScript;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape replay SCRIPT.ccw... [--server HOST:PORT] [--workdir DIR] [--verbose]</c>: runs CCW scripts
/// (docs/ccw-scripts.md) in-process, or against the drive of a ChannelTape server through
/// <c>RemoteDevice</c>, and reports every failed expectation with its line. Exit code 0 when every
/// expectation held, 1 when one failed, 2 when a script does not parse or cannot start.
/// </summary>
public static class ReplayScriptCommand
{
    public const string Usage = "usage: ctape replay SCRIPT.ccw... [--server HOST:PORT] [--workdir DIR] [--verbose]";

    /// <summary>True when the arguments name CCW scripts (<c>.ccw</c> files) rather than a reference-runner test.</summary>
    public static bool Handles(IReadOnlyList<string> args) =>
        args.Any(a => a.EndsWith(".ccw", StringComparison.OrdinalIgnoreCase)) && !args.Contains("--json");

    public static int Run(string[] args)
    {
        var arguments = new Arguments(args, ["--workdir", "--server"], ["--verbose"]);
        if (arguments.Positional.Count == 0)
        {
            throw new UsageException(Usage);
        }

        (string Host, int Port)? server = null;
        if (arguments.Get("--server") is { } serverText)
        {
            server = ParseServer(serverText) ?? throw new UsageException($"--server {serverText}: expected HOST:PORT, e.g. 127.0.0.1:7490");
        }

        // With --workdir the images stay there for inspection; a temporary work directory is removed.
        var keep = arguments.Get("--workdir") is not null;
        var worst = 0;
        foreach (var path in arguments.Positional)
        {
            var workDirectory = Path.Combine(
                arguments.Get("--workdir") ?? Path.Combine(Path.GetTempPath(), "ctape-replay"),
                $"{ScriptVolumes.SafeName(Path.GetFileNameWithoutExtension(path))}-{Environment.ProcessId}");
            try
            {
                worst = Math.Max(worst, RunOne(path, workDirectory, arguments.Has("--verbose"), Console.Out, Console.Error, server));
            }
            finally
            {
                if (!keep)
                {
                    RemoveQuietly(workDirectory);
                }
            }
        }

        return worst;
    }

    private static void RemoveQuietly(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"ctape replay: could not remove {directory}: {e.Message}");
        }
    }

    /// <summary><c>HOST:PORT</c> (an IPv6 host in brackets), or null.</summary>
    public static (string Host, int Port)? ParseServer(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            return null;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return host.Length == 0 ? null : (host, port);
    }

    /// <summary>Runs one script, in-process or on <paramref name="server"/>; returns the exit code for it.</summary>
    public static int RunOne(string path, string workDirectory, bool verbose, TextWriter output, TextWriter errors, (string Host, int Port)? server = null)
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
        ChannelScriptDrive? drive;
        string? error;
        var ready = server is { } remote
            ? RemoteScriptDrive.TryConnect(script, remote.Host, remote.Port, scriptDirectory, workDirectory, out drive, out error)
            : ChannelScriptDrive.TryCreateInProcess(script, scriptDirectory, workDirectory, out drive, out error);
        if (!ready)
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
