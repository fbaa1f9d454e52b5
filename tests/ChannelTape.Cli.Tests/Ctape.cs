using ChannelTape.Cli;

namespace ChannelTape.Cli.Tests;

/// <summary>Runs a <c>ctape</c> command line as the console would, with the output, errors and clock of a test.</summary>
internal static class Ctape
{
    public static (int ExitCode, string Output, string Error) Run(params string[] args) => Run(null, args);

    public static (int ExitCode, string Output, string Error) Run(TimeProvider? time, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = CtapeCommandLine.Run(args, CliContext.Of(output, error, time));
        return (exit, output.ToString(), error.ToString());
    }
}
