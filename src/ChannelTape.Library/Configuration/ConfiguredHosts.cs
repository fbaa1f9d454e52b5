using System.Net;
using ChannelTape.Runtime;

namespace ChannelTape.Library.Configuration;

/// <summary>
/// The configuration's host entries as the server's <see cref="IHostDirectory"/> (docs/security.md,
/// "Authorisation"). A host that proved the secret of an entry is that entry; otherwise the first entry
/// without a secret of its own whose addresses hold the peer's address. Without any entry every peer is
/// the host <c>default</c>: on a loopback address it may do everything, from elsewhere (only possible
/// with a secret or <c>insecure</c>) it may attach any drive and mount library volumes of every pool by
/// name, but not mount images by path, take over another host's drive or write command volumes.
/// </summary>
public sealed class ConfiguredHosts : IHostDirectory
{
    /// <summary>What a peer on another machine may do when the configuration has no host entries.</summary>
    public const HostPermissions RemoteDefault = HostPermissions.OperatorMounts;

    private readonly LibraryConfiguration _configuration;
    private readonly Dictionary<string, HostAuthority> _byName = new(StringComparer.Ordinal);

    public ConfiguredHosts(LibraryConfiguration configuration)
    {
        _configuration = configuration;
        // A pool listed by an entry belongs to the hosts that list it; an entry without 'pools' uses the pools nobody lists.
        var owned = configuration.Hosts.Where(h => h.Pools is not null).SelectMany(h => h.Pools!).ToHashSet(StringComparer.Ordinal);
        var unowned = configuration.Pools.Select(p => p.Name).Where(p => !owned.Contains(p)).ToHashSet(StringComparer.Ordinal);
        foreach (var host in configuration.Hosts)
        {
            _byName[host.Name] = new HostAuthority(host.Name, "", false, host.Permissions,
                host.Drives?.ToHashSet(),
                host.Pools is null ? unowned : host.Pools.ToHashSet(StringComparer.Ordinal));
        }
    }

    public HostAuthority? Find(IPAddress? address, string? identity, bool authenticated)
    {
        var plain = address is null ? null : address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        var text = plain?.ToString() ?? "unknown";
        if (_configuration.Hosts.Count == 0)
        {
            var local = plain is not null && IPAddress.IsLoopback(plain);
            return new HostAuthority("default", text, authenticated, local ? HostPermissions.All : RemoteDefault, null, null);
        }

        if (identity is not null)
        {
            return authenticated && _byName.TryGetValue(identity, out var named) ? named with { Address = text, Authenticated = true } : null;
        }

        if (plain is null)
        {
            return null;
        }

        foreach (var host in _configuration.Hosts)
        {
            if (host.SecretFile is null && host.Addresses.Any(network => network.Contains(plain)))
            {
                return _byName[host.Name] with { Address = text, Authenticated = authenticated };
            }
        }

        return null;
    }
}
