namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape status</c> and <c>ctape volume</c> against a running server (<c>--server HOST:PORT</c>):
/// the server's status and catalog are reached the way a mainframe host reaches them, through
/// administrative and command volumes on a free drive (<see cref="LmsCommand"/>), so nothing but
/// the wire protocol is needed. Adding volumes and import/export work on the catalog itself: on the
/// server's machine they run beside the server (the catalog is shared SQLite in WAL mode, and a
/// mounted volume is refused).
/// </summary>
internal static class ServerLibraryCommands
{
    /// <summary>True when <paramref name="args"/> ask for a server; then <paramref name="exit"/> is the command's exit code.</summary>
    public static bool TryRunStatus(IReadOnlyList<string> args, TextWriter output, TextWriter error, out int exit)
    {
        exit = 0;
        if (!args.Contains("--server"))
        {
            return false;
        }

        var rest = args.ToArray();
        foreach (string report in new[] { "drives", "mounts", "pools" })
        {
            int code = LmsCommand.Run([report, .. rest], output, error);
            exit = Math.Max(exit, code);
            if (code != 0)
            {
                break;
            }

            output.WriteLine();
        }

        return true;
    }

    public static bool TryRunVolume(IReadOnlyList<string> args, TextWriter output, TextWriter error, out int exit)
    {
        exit = 0;
        int serverIndex = args.ToList().IndexOf("--server");
        if (serverIndex < 0)
        {
            return false;
        }

        var options = new List<string>();
        var words = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] is "--server" or "--drives" or "--prefix" or "--timeout" && i + 1 < args.Count)
            {
                options.Add(args[i]);
                options.Add(args[++i]);
            }
            else if (args[i] == "--json")
            {
                options.Add(args[i]);
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"{args[i]} is not available with --server");
            }
            else
            {
                words.Add(args[i].ToUpperInvariant());
            }
        }

        if (words.Count == 0)
        {
            throw new UsageException("expected a subcommand");
        }

        string[] requests = words[0] switch
        {
            "LIST" when words.Count <= 2 => [],
            "SHOW" when words.Count == 2 => [$"QUERY {words[1]}"],
            "SCRATCH" or "UNSCRATCH" when words.Count >= 2 => words.Skip(1).Select(v => $"{words[0]} {v}").ToArray(),
            "MOVE" when words.Count == 3 => [$"MOVE {words[1]} {words[2]}"],
            "ADD" or "IMPORT" or "EXPORT" => throw new UsageException(
                $"'{words[0].ToLowerInvariant()}' works on the catalog (--data DIR); on the server's machine it runs beside the server"),
            _ => throw new UsageException($"'{string.Join(' ', words).ToLowerInvariant()}' is not a volume command for --server"),
        };

        exit = requests.Length == 0
            ? LmsCommand.Run(["volumes", .. words.Skip(1), .. options], output, error)  // optional volser prefix
            : LmsCommand.Run(["command", .. requests, .. options], output, error);
        return true;
    }
}
