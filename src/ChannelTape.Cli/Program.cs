using System.CommandLine;

namespace ChannelTape.Cli;

/// <summary>Entry point of <c>ctape</c>: the command tree (one line per command) and <see cref="CtapeCommandLine.Run"/>.</summary>
public static class Program
{
    /// <summary>
    /// Every command. Each lives in its own file and builds its <see cref="Command"/> from the context it
    /// writes to; add one line here per command.
    /// </summary>
    public static RootCommand CreateRootCommand(CliContext context)
    {
        var root = new RootCommand("ctape: ChannelTape, a virtual IBM 3420/3480/3490 tape server and library for Hercules guests")
        {
            ServeCommand.Create(context),
            ConfigCommand.Create(context),
            HerculesConfigCommand.Create(context),
            VolumeCommand.Create(context),
            StatusCommand.Create(context),
            LmsCommand.Create(context),
            MountCommand.CreateMount(context),
            MountCommand.CreateUnload(context),
            ReplayCommand.Create(context),
        };
        return root;
    }

    public static int Main(string[] args) => CtapeCommandLine.Run(args, CliContext.FromConsole());
}
