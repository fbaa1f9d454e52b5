using System.CommandLine;
using ChannelTape.Client;
using ChannelTape.Scripts.CcwScript;
using ChannelTape.Scripts.Replay;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape replay SCRIPT.ccw... [--server HOST:PORT] [--workdir DIR] [--verbose]</c>: runs CCW scripts
/// (docs/ccw-scripts.md) in process, or against a drive of a running server, and reports every failed
/// expectation with its line; exit 0 when every expectation held, 1 when one failed, 2 when a script does
/// not parse or cannot start. Against a server, a script for a drive model the server's drive is not, or one
/// that mounts image files where the server mounts none (no image folder holds the work folder), is skipped
/// with a note. <c>ctape replay --json TEST.json [--server HOST:PORT] [--out FILE] [--workdir DIR]
/// [--full-data] [--full-aws-hex]</c>: runs a reference-runner test and prints the runner's result format
/// (one JSON document), so the output diffs directly with a Hercules result. Each run works in a private
/// temporary folder, removed afterwards, unless <c>--workdir</c> names one (then the images stay there).
/// </summary>
public static class ReplayCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("replay", "Run CCW scripts (SCRIPT.ccw: report every failed expectation) or a reference-runner test (--json TEST.json: print the runner's result), in process or against a server's drive");
        var files = new Argument<string[]>("FILE") { Description = "CCW scripts (.ccw), or with --json one reference-runner test (.json)", Arity = ArgumentArity.OneOrMore };
        var json = new Option<bool>("--json") { Description = "FILE is a reference-runner test: print its result as the runner's JSON document" };
        var server = CliOptions.Server("Run on a drive");
        var workdir = new Option<string?>("--workdir") { Description = "Folder for the images a run makes, kept afterwards (default: a private temporary folder, removed)", HelpName = "DIR" };
        var verbose = new Option<bool>("--verbose") { Description = "Scripts: print every step, not only the failed expectations" };
        var output = new Option<string?>("--out") { Description = "--json: write the result to FILE instead of standard output", HelpName = "FILE" };
        var fullData = new Option<bool>("--full-data") { Description = "--json: do not abbreviate data longer than 1024 bytes (run.py --full-data)" };
        var fullAwsHex = new Option<bool>("--full-aws-hex") { Description = "--json: show every block of the final image in hex (run.py --full-aws-hex)" };
        command.Arguments.Add(files);
        command.Options.Add(json);
        command.Options.Add(server);
        command.Options.Add(workdir);
        command.Options.Add(verbose);
        command.Options.Add(output);
        command.Options.Add(fullData);
        command.Options.Add(fullAwsHex);
        command.SetAction(parse =>
        {
            var paths = parse.GetValue(files)!;
            bool test = parse.GetValue(json) || paths.All(p => p.EndsWith(".json", StringComparison.OrdinalIgnoreCase));
            if (test)
            {
                if (paths.Length != 1)
                {
                    throw new UsageException("--json runs one reference-runner test at a time");
                }

                if (parse.GetValue(verbose))
                {
                    throw new UsageException("--verbose is for CCW scripts; a reference-runner test prints its whole result");
                }

                return RunTest(context, paths[0], parse.GetValue(server), parse.GetValue(workdir), parse.GetValue(output),
                    new ReplayRunOptions("", parse.GetValue(fullData), parse.GetValue(fullAwsHex)));
            }

            if (paths.FirstOrDefault(p => !p.EndsWith(".ccw", StringComparison.OrdinalIgnoreCase)) is { } other)
            {
                throw new UsageException($"'{other}' is not a CCW script (.ccw); give --json for a reference-runner test");
            }

            foreach (var option in new Option[] { output, fullData, fullAwsHex })
            {
                if (parse.GetResult(option) is { Implicit: false })
                {
                    throw new UsageException($"{option.Name} goes with --json (a reference-runner test)");
                }
            }

            return RunScripts(context, paths, parse.GetValue(server), parse.GetValue(workdir), parse.GetValue(verbose));
        });
        return command;
    }

    private static int RunTest(CliContext context, string path, ServerAddress? server, string? workdir, string? outPath, ReplayRunOptions options)
    {
        using var work = new WorkFolder(workdir, "");
        string result;
        try
        {
            var test = ReplayTestParser.ParseFile(path);
            IReplayDeviceFactory factory = server is { } address ? new RemoteReplayFactory(address.Host, address.Port) : new TapeDriveReplayFactory();
            result = OracleJson.Pretty(new ReplayRunner(factory).Run(test, options with { WorkDirectory = work.Path })) + "\n";
        }
        catch (ReplayFormatException e)
        {
            context.Error.WriteLine($"ctape replay: {e.Message}");
            return ExitCodes.Usage;
        }

        if (outPath is not null)
        {
            File.WriteAllText(outPath, result);
        }
        else
        {
            context.Output.Write(result);
        }

        return ExitCodes.Success;
    }

    private static int RunScripts(CliContext context, string[] paths, ServerAddress? server, string? workdir, bool verbose)
    {
        int worst = ExitCodes.Success;
        foreach (var path in paths)
        {
            using var work = new WorkFolder(workdir, ScriptVolumes.SafeName(Path.GetFileNameWithoutExtension(path)));
            worst = Math.Max(worst, RunScript(path, work.Path, verbose, context.Output, context.Error, server));
        }

        return worst;
    }

    /// <summary>Runs one script, in process or on <paramref name="server"/>; returns the exit code for it.</summary>
    public static int RunScript(string path, string workDirectory, bool verbose, TextWriter output, TextWriter errors, ServerAddress? server = null)
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
            return ExitCodes.Usage;
        }

        if (!ScriptParser.TryParse(source, out var script, out var parseError))
        {
            errors.WriteLine($"{path}: {parseError}");
            return ExitCodes.Usage;
        }

        if (server is { } address && WhyTheServerCannotRun(address, script, workDirectory) is { } note)
        {
            output.WriteLine($"{path}: skipped: {note}");
            return ExitCodes.Success;
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
            return ExitCodes.Usage;
        }

        using (drive)
        {
            var result = ScriptRunner.Run(script, drive!);
            ScriptReport.Write(output, path, script, result, verbose);
            return result.Passed ? ExitCodes.Success : ExitCodes.Failure;
        }
    }

    /// <summary>
    /// Why the server's drive cannot run <paramref name="script"/>, or null: it is another model, or the script
    /// mounts image files (made in <paramref name="workDirectory"/>) and the server refuses to mount a file from there
    /// (no image folder of its configuration holds it: docs/security.md). The second is asked by mounting an empty
    /// image from the work folder, unloaded again at once.
    /// </summary>
    private static string? WhyTheServerCannotRun(ServerAddress server, Script script, string workDirectory)
    {
        try
        {
            using var probe = RemoteDevice.Connect(server.Host, server.Port, script.Device.DeviceNumber,
                new RemoteDeviceOptions { HostName = "ctape replay", Reconnect = false });
            if (probe.Model != (ushort)script.Device.Model)
            {
                return $"the script is for an IBM {(ushort)script.Device.Model:X4} at {script.Device.DeviceNumber:X4}; the server's drive {script.Device.DeviceNumber:X4} is an IBM {probe.Model:X4} (configure a drive of that model to run it)";
            }

            return MountsImageFiles(script) ? ImageFilesRefused(probe, workDirectory) : null;
        }
        catch (RemoteDeviceException)
        {
            return null; // said by the script's own connection, with the reason
        }
    }

    private static bool MountsImageFiles(Script script) =>
        script.Tape.Kind != VolumeKind.None || script.Steps.OfType<MountStep>().Any(m => m.Volume.Kind != VolumeKind.None);

    private static string? ImageFilesRefused(RemoteDevice probe, string workDirectory)
    {
        Directory.CreateDirectory(workDirectory);
        string image = Path.Combine(Path.GetFullPath(workDirectory), $"probe-{Guid.NewGuid():N}.aws");
        File.WriteAllBytes(image, []);
        try
        {
            var reply = probe.Mount(image);
            if (reply.Result == Protocol.MountResult.Done)
            {
                probe.Mount("*");
                return null;
            }

            return reply.Result == Protocol.MountResult.NotAuthorised
                ? $"the script mounts image files and the server does not mount them from {workDirectory} ({reply.Message}); "
                    + "run it against a server whose configuration has an image-folder holding --workdir DIR"
                : null; // another refusal is the script's own to report
        }
        finally
        {
            File.Delete(image);
        }
    }

    /// <summary>The folder a run works in: <c>--workdir</c>'s (kept), or a private temporary one removed at the end.</summary>
    private sealed class WorkFolder : IDisposable
    {
        private readonly bool _temporary;

        public WorkFolder(string? workdir, string name)
        {
            _temporary = workdir is null;
            Path = workdir is null ? Directory.CreateTempSubdirectory("ctape-replay-").FullName : System.IO.Path.Combine(workdir, name);
        }

        public string Path { get; }

        public void Dispose()
        {
            if (!_temporary)
            {
                return;
            }

            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A file still open by a drive that is being closed: the temporary folder is the system's to clean.
            }
        }
    }
}
