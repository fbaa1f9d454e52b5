using System.CommandLine;
using System.Data.Common;
using ChannelTape.Admin.Lms;
using ChannelTape.Client;

namespace ChannelTape.Cli;

/// <summary>
/// Where a command writes and what it reads the time from: the console, or a test's writers and clock.
/// <paramref name="ProgressBar"/>: draw progress bars on <paramref name="Error"/> (a terminal).
/// </summary>
public sealed record CliContext(TextWriter Output, TextWriter Error, TimeProvider Time, bool ProgressBar = false)
{
    public static CliContext FromConsole() => new(Console.Out, Console.Error, TimeProvider.System, !Console.IsErrorRedirected);

    /// <summary>Writers and a clock for a test (no progress bar).</summary>
    public static CliContext Of(TextWriter output, TextWriter error, TimeProvider? time = null) => new(output, error, time ?? TimeProvider.System);
}

/// <summary>Exit codes of every <c>ctape</c> command.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The command ran and failed (a volume missing, a server unreachable, a check that found errors).</summary>
    public const int Failure = 1;

    /// <summary>The command line is wrong: unknown option, missing or malformed value; nothing was done.</summary>
    public const int Usage = 2;
}

/// <summary>Bad command-line arguments found by a command itself: reported as "ctape CMD: message", exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>A command that ran and failed: reported as "ctape CMD: message", exit code 1.</summary>
public sealed class CommandFailedException(string message) : Exception(message);

/// <summary>
/// Parses and runs a <c>ctape</c> command line (System.CommandLine, as dotnet-trace does): help on every
/// command and option (<c>-h</c>, <c>--help</c>), <c>--version</c>, tab completion through dotnet-suggest
/// (the <c>[suggest]</c> directive). Exit code 2 for a usage error with the parser's message, 1 for a
/// failure with one line saying why; never a stack trace.
/// </summary>
public static class CtapeCommandLine
{
    public static int Run(IReadOnlyList<string> args, CliContext context)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(context);
        var root = Program.CreateRootCommand(context);
        if (args.Count == 0)
        {
            // `ctape` alone: what there is to run.
            root.Parse(["--help"]).Invoke(new InvocationConfiguration { Output = context.Error, Error = context.Error });
            return ExitCodes.Usage;
        }

        var parse = root.Parse(args);
        string name = CommandPath(parse.CommandResult.Command, root);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors)
            {
                context.Error.WriteLine($"{name}: {error.Message}");
            }

            context.Error.WriteLine($"Run '{name} --help' for usage.");
            return ExitCodes.Usage;
        }

        try
        {
            return parse.Invoke(new InvocationConfiguration
            {
                Output = context.Output,
                Error = context.Error,
                EnableDefaultExceptionHandler = false,
                // SIGINT/SIGTERM cancel an asynchronous command (an import stops and takes its half copy back);
                // give it time to do so before the process ends.
                ProcessTerminationTimeout = TimeSpan.FromSeconds(60),
            });
        }
        catch (UsageException e)
        {
            context.Error.WriteLine($"{name}: {e.Message}");
            context.Error.WriteLine($"Run '{name} --help' for usage.");
            return ExitCodes.Usage;
        }
        catch (OperationCanceledException)
        {
            // SIGINT or SIGTERM: the command took back what it had asked of a server (a pending mount, a half copy).
            context.Error.WriteLine($"{name}: stopped (SIGINT or SIGTERM)");
            return ExitCodes.Failure;
        }
        catch (Exception e) when (IsFailure(e))
        {
            context.Error.WriteLine($"{name}: {e.Message}");
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            // A bug: said in one line (with its type, for the report), never as a stack trace.
            context.Error.WriteLine($"{name}: internal error ({e.GetType().Name}): {e.Message}");
            return ExitCodes.Failure;
        }
    }

    /// <summary>Failures a command reports in one line: what it asked of a server, a catalog or a file did not work.</summary>
    private static bool IsFailure(Exception e) => e is CommandFailedException or IOException or DbException or UnauthorizedAccessException
        or InvalidDataException or TimeoutException or RemoteDeviceException or DriveOperationException or OperationCanceledException;

    /// <summary><c>ctape volume import</c>: the words that name <paramref name="command"/>.</summary>
    private static string CommandPath(Command command, RootCommand root)
    {
        var names = new List<string>();
        for (Command? current = command; current is not null && current != root; current = current.Parents.OfType<Command>().FirstOrDefault())
        {
            names.Add(current.Name);
        }

        names.Add("ctape");
        names.Reverse();
        return string.Join(' ', names);
    }
}
