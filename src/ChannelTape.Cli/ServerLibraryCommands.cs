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

    /// <summary>
    /// <c>ctape volume export VOLSER FILE [--format aws|het] --server H:P</c> and
    /// <c>ctape volume import VOLSER FILE --server H:P</c>: the volume is read or written block by
    /// block on a free drive (<see cref="ChannelTape.Admin.Lms.ChannelVolumeCopy"/>); the file is local.
    /// </summary>
    private static int CopyThroughDrive(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var arguments = new Arguments(args, ["--server", "--drives", "--timeout", "--format"]);
        var words = arguments.Positional;
        if (words.Count != 3)
        {
            throw new UsageException($"usage: ctape volume {words[0]} VOLSER FILE --server HOST:PORT");
        }

        var (host, port) = LmsCommand.ParseServer(arguments.Get("--server")!);
        var (first, last) = LmsCommand.ParseDrives(arguments.Get("--drives") ?? "0580-0587");
        var timeout = TimeSpan.FromSeconds(double.Parse(arguments.Get("--timeout") ?? "30", System.Globalization.CultureInfo.InvariantCulture));
        string serial = words[1].ToUpperInvariant();
        var format = arguments.Get("--format") switch
        {
            null or "aws" => ChannelTape.Media.TapeImageFormat.Aws,
            "het" => ChannelTape.Media.TapeImageFormat.Het,
            var other => throw new UsageException($"--format wants aws or het, got '{other}'"),
        };
        using var drive = LmsCommand.AttachFreeDrive(host, port, first, last, error);
        if (drive is null)
        {
            return 1;
        }

        try
        {
            var result = words[0] == "export"
                ? ChannelTape.Admin.Lms.ChannelVolumeCopy.Export(drive, serial, words[2], format, timeout)
                : ChannelTape.Admin.Lms.ChannelVolumeCopy.Import(drive, serial, words[2], timeout);
            output.WriteLine($"{words[0]}ed {serial} {(words[0] == "export" ? "to" : "from")} {words[2]} through drive {drive.DeviceNumber:X4}: {result.Blocks} blocks, {result.TapeMarks} tape marks, {result.Bytes} bytes");
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or TimeoutException)
        {
            error.WriteLine($"ctape volume {words[0]}: {e.Message}");
            return 1;
        }
    }

    public static bool TryRunVolume(IReadOnlyList<string> args, TextWriter output, TextWriter error, out int exit)
    {
        exit = 0;
        int serverIndex = args.ToList().IndexOf("--server");
        if (serverIndex < 0)
        {
            return false;
        }

        if (args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) is "import" or "export")
        {
            exit = CopyThroughDrive(args, output, error);
            return true;
        }

        var options = new List<string>();
        var words = new List<string>();
        string? pool = null;
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == "--pool" && i + 1 < args.Count)
            {
                pool = args[++i].ToUpperInvariant();
                continue;
            }

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
            "ADD" when words.Count >= 2 && pool is not null => words.Skip(1).Select(range => $"ADD {range} {pool}").ToArray(),
            "ADD" => throw new UsageException("usage: ctape volume add RANGE... --pool POOL --server HOST:PORT (the pool's media, capacity and labels apply)"),
            _ => throw new UsageException($"'{string.Join(' ', words).ToLowerInvariant()}' is not a volume command for --server"),
        };

        exit = requests.Length == 0
            ? LmsCommand.Run(["volumes", .. words.Skip(1), .. options], output, error)  // optional volser prefix
            : LmsCommand.Run(["command", .. requests, .. options], output, error);
        return true;
    }
}
