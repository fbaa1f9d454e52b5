using System.Globalization;
using ChannelTape.Client;
using ChannelTape.Protocol;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape mount DEVNUM VOLSER|IMAGE [options] --server HOST:PORT</c> and
/// <c>ctape unload DEVNUM --server HOST:PORT</c>: the operator's mount and unload (Hercules'
/// <c>devinit</c>) on a drive of a running server, through the protocol's Mount message. A volser
/// goes through the library (catalog or administrative volume); an image path is opened by the
/// server. The drive presents device end to the host attached to it. A drive attached by a host
/// (a Hercules guest) is that host's: use <c>devinit</c> there.
/// </summary>
public static class MountCommand
{
    public const string MountHelp = "DEVNUM VOLSER|IMAGE [options] --server HOST:PORT: operator mount on a server's drive";
    public const string UnloadHelp = "DEVNUM --server HOST:PORT: operator unload of a server's drive";

    public static int RunMount(string[] args) => Run(args, unload: false, Console.Out, Console.Error);

    public static int RunUnload(string[] args) => Run(args, unload: true, Console.Out, Console.Error);

    public static int Run(string[] args, bool unload, TextWriter output, TextWriter error)
    {
        var arguments = new Arguments(args, ["--server"]);
        var words = arguments.Positional;
        if (unload ? words.Count != 1 : words.Count < 2)
        {
            throw new UsageException(unload ? "usage: ctape unload DEVNUM --server HOST:PORT" : "usage: ctape mount DEVNUM VOLSER|IMAGE [options] --server HOST:PORT");
        }

        if (!ushort.TryParse(words[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort device))
        {
            throw new UsageException($"'{words[0]}' is not a device number (hex, e.g. 0580)");
        }

        var (host, port) = LmsCommand.ParseServer(arguments.Get("--server") ?? throw new UsageException("--server HOST:PORT is required"));
        string request = unload ? "*" : string.Join(' ', words.Skip(1).Select((w, i) => i == 0 && (w.Contains('/') || w.Contains('.')) ? Path.GetFullPath(w) : w));
        try
        {
            using var remote = RemoteDevice.Connect(host, port, device, new RemoteDeviceOptions { HostName = "ctape " + (unload ? "unload" : "mount"), Reconnect = false });
            var reply = remote.Mount(request);
            if (reply.Result != MountResult.Done)
            {
                error.WriteLine($"ctape {(unload ? "unload" : "mount")}: drive {device:X4}: {reply.Message}");
                return 1;
            }

            output.WriteLine($"{device:X4}: {remote.Query() ?? reply.Message}");
            return 0;
        }
        catch (RemoteDeviceException e)
        {
            error.WriteLine($"ctape {(unload ? "unload" : "mount")}: drive {device:X4}: {e.Message}");
            return 1;
        }
    }
}
