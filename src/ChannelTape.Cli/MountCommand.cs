using System.CommandLine;
using ChannelTape.Admin.Volumes;
using ChannelTape.Client;
using ChannelTape.Labels;
using ChannelTape.Protocol;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape mount DEVNUM VOLSER|IMAGE [OPTIONS...] --server HOST:PORT</c> and <c>ctape unload DEVNUM --server
/// HOST:PORT</c>: the operator's mount and unload (Hercules' <c>devinit</c>) on a drive of a running server,
/// through the protocol's Mount message. A volser goes through the library (catalog or administrative
/// volume) with the options after it (<c>T00007 ro</c>); an image path is opened by the server. The library
/// answers at once: a refused mount leaves nothing pending. The drive presents device end to the host
/// attached to it. A library volume (read-only or not) and an unload go through the server's management API
/// (<see cref="ServerApi"/>), which works while a host (a Hercules guest) holds the drive; without the API the
/// command attaches the drive itself, which a held drive refuses: use <c>devinit</c> there.
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
        var secretFile = CliOptions.SecretFile();
        var api = CliOptions.Api();
        command.Arguments.Add(device);
        command.Arguments.Add(what);
        command.Arguments.Add(options);
        command.Options.Add(server);
        command.Options.Add(secretFile);
        command.Options.Add(api);
        command.SetAction(parse =>
        {
            string first = parse.GetValue(what)!;
            // A path is the server's to open: make a relative one absolute (a server on this machine).
            if (first.Contains('/', StringComparison.Ordinal) || first.Contains('.', StringComparison.Ordinal))
            {
                first = Path.GetFullPath(first);
            }

            string[] rest = parse.GetValue(options)!;
            var target = Target(parse, server, secretFile, api);
            // A library volume, read-only or not, is the management API's (it answers while Hercules holds the
            // drive); an image path or other options go in-band, as Hercules' devinit.
            if (VolumeSerial.TryParse(first, out var serial) && rest.All(o => o is "ro" or "readonly")
                && ServerApi.TryOpen(target) is { } client)
            {
                using (client)
                {
                    ushort drive = parse.GetValue(device);
                    var mounted = ServerApi.Call(client, a => a.MountAsync(drive, serial.Value, readOnly: rest.Length > 0));
                    context.Output.WriteLine($"{drive:X4}: {mounted.Display}");
                    return ExitCodes.Success;
                }
            }

            string words = string.Join(' ', [first, .. rest]);
            return Run(context, "mount", target, parse.GetValue(device), words);
        });
        return command;
    }

    public static Command CreateUnload(CliContext context)
    {
        var command = new Command("unload", "Unload a server's drive (the library gets its volume back), as Hercules' devinit * does");
        var device = CliOptions.Device();
        var server = CliOptions.Server("The drive");
        server.Required = true;
        var secretFile = CliOptions.SecretFile();
        var api = CliOptions.Api();
        command.Arguments.Add(device);
        command.Options.Add(server);
        command.Options.Add(secretFile);
        command.Options.Add(api);
        command.SetAction(parse =>
        {
            var target = Target(parse, server, secretFile, api);
            if (ServerApi.TryOpen(target) is { } client)
            {
                using (client)
                {
                    ushort drive = parse.GetValue(device);
                    var unloaded = ServerApi.Call(client, a => a.UnloadAsync(drive));
                    // An empty drive shows nothing on its display: say its state instead.
                    context.Output.WriteLine($"{drive:X4}: {(unloaded.Display.Trim().Length > 0 ? unloaded.Display : unloaded.State)}");
                    return ExitCodes.Success;
                }
            }

            return Run(context, "unload", target, parse.GetValue(device), "*");
        });
        return command;
    }

    private static ServerTarget Target(ParseResult parse, Option<ServerAddress?> server, Option<string?> secretFile, Option<Uri?> api) =>
        new(parse.GetValue(server)!, DriveRange.Default, AdminVolumeName.DefaultPrefix, TimeSpan.FromSeconds(30))
        {
            SecretFile = parse.GetValue(secretFile),
            Api = parse.GetValue(api),
        };

    /// <summary>The mount words through the wire protocol's Mount on the drive (a server without the API, an image path, other options).</summary>
    private static int Run(CliContext context, string verb, ServerTarget target, ushort device, string words)
    {
        var server = target.Address;
        try
        {
            using var remote = RemoteDevice.Connect(server.Host, server.Port, device,
                target.DeviceOptions(new RemoteDeviceOptions { HostName = "ctape " + verb, Reconnect = false }));
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
