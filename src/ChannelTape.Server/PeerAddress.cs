using System.Net;

namespace ChannelTape.Server;

/// <summary>What the server decides from a peer's address.</summary>
public static class PeerAddress
{
    /// <summary>
    /// True for a loopback address (127.0.0.0/8, ::1), also written as an IPv4-mapped IPv6 address
    /// (::ffff:127.x.x.x, as a dual-mode listener reports IPv4 peers): such a peer runs on this machine
    /// and can open the server's image files (docs/protocol.md §5.3 Granting).
    /// </summary>
    public static bool IsLoopback(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
    }
}
