using System.Net;
using System.Security.Cryptography.X509Certificates;
using ChannelTape.Protocol;
using ChannelTape.Runtime;

namespace ChannelTape.Server.Security;

/// <summary>
/// How a server decides who a peer is and what it may do (docs/security.md): the shared secret and the
/// host entries' own secrets hosts prove in Hello (docs/protocol.md §2.1), the directory that turns a
/// proved identity or an address into a <see cref="HostAuthority"/>, and the certificate of TLS on the
/// same port (§1.1). <see cref="None"/>: no secret, no TLS, every peer may do everything (tests, tools).
/// </summary>
public sealed record ServerSecurity
{
    public static ServerSecurity None { get; } = new();

    /// <summary>The server's shared secret (<c>ctape serve --secret-file</c>, <c>security { secret-file }</c>): a host proves it with an empty identity.</summary>
    public HostSecret? SharedSecret { get; init; }

    /// <summary>Secrets of host entries (<c>host NAME { secret-file }</c>): a host proves one with the entry's name as its identity.</summary>
    public IReadOnlyDictionary<string, HostSecret> IdentitySecrets { get; init; } = new Dictionary<string, HostSecret>();

    /// <summary>Who a peer is and what it may do.</summary>
    public IHostDirectory Hosts { get; init; } = OpenHostDirectory.Instance;

    /// <summary>The server's certificate with its private key: TLS is offered on the listening port; null = plain TCP only.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Refuse plain TCP from peers that are not on a loopback address (needs <see cref="Certificate"/>).</summary>
    public bool RequireTls { get; init; }

    /// <summary>True when every peer must prove a secret before anything else (protocol version 2).</summary>
    public bool RequiresAuthentication => SharedSecret is not null || IdentitySecrets.Count > 0;

    /// <summary>The secret an identity proves: the shared one for the empty identity; null when there is none.</summary>
    public HostSecret? SecretFor(string identity) =>
        identity.Length == 0 ? SharedSecret : IdentitySecrets.GetValueOrDefault(identity);

    /// <summary>The authority of a peer that did not (need to) authenticate.</summary>
    public HostAuthority? Unauthenticated(IPAddress? address) => Hosts.Find(address, null, authenticated: false);
}
