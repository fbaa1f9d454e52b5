using System.Net;
using ChannelTape.Protocol;

namespace ChannelTape.Server;

/// <summary>Settings of a <see cref="TapeServer"/>; the defaults are the ones docs/protocol.md states.</summary>
public sealed record TapeServerOptions
{
    /// <summary>Default listening port of <c>ctape serve</c>.</summary>
    public const int DefaultPort = 7490;

    /// <summary>Address and port to listen on (port 0 = any free port).</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, DefaultPort);

    /// <summary>A connection that sends nothing for this long is closed with Close reason 3 (§2: 300 s).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>A send that makes no progress for this long means the peer stopped reading: the connection is closed.</summary>
    public TimeSpan SendTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Frames waiting to be sent on one connection before it counts as not reading.</summary>
    public int SendQueueLimit { get; init; } = 64;

    /// <summary>Largest frame length the server accepts and sends (at most the protocol's 2 097 408).</summary>
    public int MaxFrameLength { get; init; } = Frame.DefaultMaxLength;

    /// <summary>Connections served at once; one more is closed as soon as it is accepted, with a logged reason.</summary>
    public int MaxConnections { get; init; } = int.MaxValue;

    /// <summary>Connections from one peer address at once (loopback counts as one address too).</summary>
    public int MaxConnectionsPerAddress { get; init; } = int.MaxValue;

    /// <summary>
    /// A connection that has not authenticated (when a secret is set) and attached a drive within this time
    /// after it was accepted is closed, however much it pings (docs/security.md, "Bounded resources").
    /// </summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Secrets, TLS and who may do what (docs/security.md); <see cref="Security.ServerSecurity.None"/> by default.</summary>
    public Security.ServerSecurity Security { get; init; } = ChannelTape.Server.Security.ServerSecurity.None;

    /// <summary>Socket send buffer size for accepted connections; null = the system default.</summary>
    public int? SocketSendBufferSize { get; init; }

    /// <summary>
    /// Features granted to a host that asks for them (docs/protocol.md §5); <c>ctape serve</c> grants all
    /// three. Read-ahead by reference (§5.3) only ever goes with read-ahead and to a host on a loopback address.
    /// </summary>
    public ProtocolFeatures Features { get; init; } = ProtocolFeatureRules.All;

    /// <summary>Largest write credit given at a time (§5.1: 8 MiB, one round trip per 8 MiB written).</summary>
    public long WriteCreditLimit { get; init; } = 8 * 1024 * 1024;

    /// <summary>Server name and version sent in HelloReply.</summary>
    public string ServerName { get; init; } =
        $"ChannelTape {typeof(TapeServerOptions).Assembly.GetName().Version?.ToString(3) ?? "0.0.0"}";
}
