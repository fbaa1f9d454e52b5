using ChannelTape.Protocol;

namespace ChannelTape.Client;

/// <summary>How a <see cref="RemoteDevice"/> connects and attaches (docs/protocol.md §2, Hello and Attach).</summary>
public sealed record RemoteDeviceOptions
{
    /// <summary>Requested model (<c>0x3490</c> ...); 0 = whatever the server has configured.</summary>
    public ushort Model { get; init; }

    /// <summary>
    /// Image or volser and options, as in a Hercules device statement, sent with the first Attach
    /// (the server mounts them); empty = keep the drive's volume. Reconnects always send empty words.
    /// </summary>
    public string DeviceArguments { get; init; } = "";

    /// <summary>Attach even if another connection has the drive (that one is closed).</summary>
    public bool TakeOver { get; init; }

    /// <summary>Free text the server logs.</summary>
    public string HostName { get; init; } = "ChannelTape.Client";

    /// <summary>Largest frame this host accepts; at least 65 792.</summary>
    public int MaxFrameLength { get; init; } = Frame.DefaultMaxLength;

    /// <summary>How long to wait for a connection or a reply before treating the server as gone.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Ping the server when nothing was sent for this long (§2: at least every 30 s).</summary>
    public TimeSpan KeepAlive { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>After a lost connection, reconnect with take-over before the next CCW (§4).</summary>
    public bool Reconnect { get; init; } = true;

    /// <summary>
    /// Streaming features asked for in Hello (docs/protocol.md §5): write-behind (Writes within the
    /// server's credit answered at once, failures reported as a deferred unit check), read-ahead (Reads
    /// answered from the blocks the server sent ahead) and read-ahead by reference (those blocks read
    /// from the volume image, for a server on this machine; only with read-ahead). None = §1-§4 only.
    /// </summary>
    public ProtocolFeatures Features { get; init; } = ProtocolFeatures.None;

    /// <summary>Environment variable naming the secret file when <see cref="SecretFile"/> is not given.</summary>
    public const string SecretFileVariable = "CTAPE_SECRET_FILE";

    /// <summary>Environment variable naming the host entry to authenticate as (<see cref="Identity"/>).</summary>
    public const string IdentityVariable = "CTAPE_IDENTITY";

    /// <summary>Environment variable naming a PEM certificate to trust for TLS (<see cref="TlsTrustFile"/>); set, it turns TLS on.</summary>
    public const string TlsTrustVariable = "CTAPE_TLS_CA";

    /// <summary>
    /// The file holding this host's shared secret (docs/protocol.md §2.1; every <c>--server</c> command's
    /// <c>--secret-file</c>); <c>$CTAPE_SECRET_FILE</c> by default. With a secret the host speaks protocol
    /// version 2, proves the secret, and goes on only with a server that proves it back.
    /// </summary>
    public string? SecretFile { get; init; } = Environment.GetEnvironmentVariable(SecretFileVariable) is { Length: > 0 } file ? file : null;

    /// <summary>The host entry whose secret <see cref="SecretFile"/> holds; empty = the server's shared secret. <c>$CTAPE_IDENTITY</c> by default.</summary>
    public string Identity { get; init; } = Environment.GetEnvironmentVariable(IdentityVariable) ?? "";

    /// <summary>Talk to the server inside TLS (docs/protocol.md §1.1).</summary>
    public bool Tls { get; init; } = Environment.GetEnvironmentVariable(TlsTrustVariable) is { Length: > 0 };

    /// <summary>
    /// A PEM certificate (the server's own, or the authority that signed it) the server's certificate must
    /// chain to; null = the system's trusted authorities. <c>$CTAPE_TLS_CA</c> by default.
    /// </summary>
    public string? TlsTrustFile { get; init; } = Environment.GetEnvironmentVariable(TlsTrustVariable) is { Length: > 0 } trust ? trust : null;

    /// <summary>The name the server's certificate must carry; null = the host name connected to.</summary>
    public string? TlsServerName { get; init; }
}
