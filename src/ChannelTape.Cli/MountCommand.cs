using System.CommandLine;
using ChannelTape.Client;
using ChannelTape.Protocol;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape mount DEVNUM VOLSER|IMAGE [OPTIONS...] --server HOST:PORT</c> and <c>ctape unload DEVNUM --server
/// HOST:PORT</c>: the operator's mount and unload (Hercules' <c>devinit</c>) on a drive of a running server,
/// through the protocol's Mount message. A volser goes through the library (catalog or administrative
/// volume) with the options after it (<c>T00007 ro</c>); an image path is opened by the server. The library
/// answers at once: a refused mount leaves nothing pending. The drive presents device end to the host
/// attached to it. A drive attached by a host (a Hercules guest) is that host's: use <c>devinit</c> there.
/// </summary>
public static class MountCommand
{
    public static Command CreateMount(CliContext context)
    {
        var command = new Command("mount", "Mount a library volume or an image file on a server's drive, as Hercules' devinit does");
        var device = CliOptions.Device();
        var what = new Argument<string>("VOLSER|IMAGE") { Description = "A volume serial of the library, or the path of an image file as the server sees it" };
        var options = new Argument<string[]>("OPTIONS")
        {
            Description = "Hercules tape options for the mount, e.g. ro, maxsize=, eotmargin= (docs/device-behaviour.md)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var server = CliOptions.Server("The drive");
        server.Required = true;
        command.Arguments.Add(device);
        command.Arguments.Add(what);
        command.Arguments.Add(options);
        command.Options.Add(server);
        command.SetAction(parse =>
        {
            string first = parse.GetValue(what)!;
            // A path is the server's to open: make a relative one absolute (a server on this machine).
            if (first.Contains('/', StringComparison.Ordinal) || first.Contains('.', StringComparison.Ordinal))
            {
                first = Path.GetFullPath(first);
            }

            string words = string.Join(' ', [first, .. parse.GetValue(options)!]);
            return Run(context, "mount", parse.GetValue(server)!, parse.GetValue(device), words);
        });
        return command;
    }

    public static Command CreateUnload(CliContext context)
    {
        var command = new Command("unload", "Unload a server's drive (the library gets its volume back), as Hercules' devinit * does");
        var device = CliOptions.Device();
        var server = CliOptions.Server("The drive");
        server.Required = true;
        command.Arguments.Add(device);
        command.Options.Add(server);
        command.SetAction(parse => Run(context, "unload", parse.GetValue(server)!, parse.GetValue(device), "*"));
        return command;
    }

    private static int Run(CliContext context, string verb, ServerAddress server, ushort device, string words)
    {
        try
        {
            using var remote = RemoteDevice.Connect(server.Host, server.Port, device, new RemoteDeviceOptions { HostName = "ctape " + verb, Reconnect = false });
            var reply = remote.Mount(words);
            if (reply.Result != MountResult.Done)
            {
                throw new CommandFailedException($"drive {device:X4}: {reply.Message}");
            }

            context.Output.WriteLine($"{device:X4}: {remote.Query() ?? reply.Message}");
            return ExitCodes.Success;
        }
        catch (RemoteDeviceException e)
        {
            throw new CommandFailedException($"drive {device:X4}: {e.Message}");
        }
    }
}
