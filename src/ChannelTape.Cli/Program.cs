namespace ChannelTape.Cli;

/// <summary>Entry point of <c>ctape</c>: dispatches the first word to a command.</summary>
public static class Program
{
    /// <summary>
    /// Every command: name, one-line help, handler (remaining arguments -> exit code).
    /// Each command lives in its own file; add one line here per command.
    /// </summary>
    private static readonly (string Name, string Help, Func<string[], int> Run)[] s_commands =
    [
        ("config", ConfigCommand.Help, ConfigCommand.Run),
        ("volume", VolumeCommand.Help, VolumeCommand.Run),
        ("status", StatusCommand.Help, StatusCommand.Run),
        ("replay", ReplayCommand.Help, ReplayCommand.Run),
        ("serve", ServeCommand.Help, ServeCommand.Run),
        ("lms", LmsCommand.Help, LmsCommand.Run),
        ("mount", MountCommand.MountHelp, MountCommand.RunMount),
        ("unload", MountCommand.UnloadHelp, MountCommand.RunUnload),
    ];

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            PrintUsage(Console.Out);
            return args.Length == 0 ? 2 : 0;
        }

        foreach (var command in s_commands)
        {
            if (command.Name == args[0])
            {
                try
                {
                    return command.Run(args[1..]);
                }
                catch (UsageException e)
                {
                    Console.Error.WriteLine($"ctape {command.Name}: {e.Message}");
                    return 2;
                }
            }
        }

        Console.Error.WriteLine($"ctape: unknown command '{args[0]}'");
        PrintUsage(Console.Error);
        return 2;
    }

    private static void PrintUsage(TextWriter writer)
    {
        writer.WriteLine("usage: ctape COMMAND [arguments]");
        foreach (var command in s_commands)
        {
            writer.WriteLine($"  {command.Name,-10} {command.Help}");
        }
    }
}

/// <summary>Bad command-line arguments: reported as "ctape CMD: message", exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
