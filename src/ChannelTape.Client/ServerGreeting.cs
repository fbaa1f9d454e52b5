using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;

namespace ChannelTape.Client;

/// <summary>
/// Hello and nothing more (docs/protocol.md §2): what a tape server says about itself — its name, version,
/// and the address of its management API (HelloReply, §3) — without attaching a drive, so it works while
/// Hercules holds every drive. The connection proves the secret of <see cref="RemoteDeviceOptions.SecretFile"/>
/// when the server wants it, and is closed normally.
/// </summary>
public static class ServerGreeting
{
    /// <summary>The server's HelloReply; throws <see cref="RemoteDeviceException"/> when it cannot be reached or refuses.</summary>
    public static HelloReplyMessage Greet(string host, int port, RemoteDeviceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using (var link = ServerLink.Connect(host, port, options.Timeout, options))
        {
            var reply = ClientHandshake.Run(link, options, $"{host}:{port}");
            link.TrySend(new CloseMessage(CloseReason.Normal, "greeting only"));
            return reply;
        }
    }
}
