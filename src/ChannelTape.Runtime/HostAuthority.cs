namespace ChannelTape.Runtime;

/// <summary>What a host may do besides attaching its drives and mounting from its pools (docs/security.md).</summary>
[Flags]
public enum HostPermissions
{
    None = 0,
    /// <summary>Mount a library volume by name with the protocol's Mount or Attach words (an operator mount).</summary>
    OperatorMounts = 1,
    /// <summary>Mount an image by its path, inside the image folders the configuration names.</summary>
    MountByPath = 2,
    /// <summary>Take over a drive another host holds (a host may always take over its own drive again).</summary>
    TakeOver = 4,
    /// <summary>Write command volumes (also subject to <c>admin { hosts; drives; }</c>).</summary>
    CommandVolumes = 8,
    All = OperatorMounts | MountByPath | TakeOver | CommandVolumes,
}

/// <summary>
/// Who asks, and what it may do (docs/security.md, "Authorisation"): the host entry a connection
/// authenticated as (by its secret) or was matched to by its address, with the drives it may attach
/// and the pools it may mount and scratch from. Decided once per connection by the server's security
/// policy; the drive carries its holder's authority to the library, so a Load Display mount is checked
/// as much as an operator's.
/// </summary>
/// <param name="Name">The host entry's name (the secret identity), or <c>default</c>, or the peer address when nothing names it.</param>
/// <param name="Address">The peer's IP address as text; <c>local</c> for an in-process caller.</param>
/// <param name="Authenticated">The host proved a secret (protocol version 2).</param>
/// <param name="Permissions">What it may do besides attaching and mounting from its pools.</param>
/// <param name="Drives">Drives it may attach; null = every drive.</param>
/// <param name="Pools">Pools it may mount and scratch from; null = every pool.</param>
public sealed record HostAuthority(string Name, string Address, bool Authenticated, HostPermissions Permissions,
    IReadOnlySet<ushort>? Drives, IReadOnlySet<string>? Pools)
{
    /// <summary>An in-process caller (an operator tool, a test driving the library directly): everything.</summary>
    public static HostAuthority Local { get; } = new("local", "local", false, HostPermissions.All, null, null);

    /// <summary>True when the host may attach <paramref name="deviceNumber"/>.</summary>
    public bool MayAttach(ushort deviceNumber) => Drives is null || Drives.Contains(deviceNumber);

    /// <summary>True when the host may mount volumes of <paramref name="pool"/> and take scratch volumes from it.</summary>
    public bool MayUsePool(string pool) => Pools is null || Pools.Contains(pool);

    /// <summary>True when the host has every permission of <paramref name="permissions"/>.</summary>
    public bool May(HostPermissions permissions) => (Permissions & permissions) == permissions;

    /// <summary>
    /// True when <paramref name="other"/> is the same host: the same authenticated identity, or (without
    /// authentication) the same entry and address. A host may always take its own drive over again
    /// (Hercules reconnecting after a lost socket).
    /// </summary>
    public bool IsSameHost(HostAuthority other) =>
        other.Name == Name && other.Authenticated == Authenticated && (Authenticated || other.Address == Address);

    /// <summary>For log lines: <c>MVS1 (10.1.2.3, authenticated)</c>.</summary>
    public override string ToString() => Name == Address ? Address : $"{Name} ({Address}{(Authenticated ? ", authenticated" : "")})";
}

/// <summary>
/// Who a peer is, by its secret identity or else its address (docs/security.md, "Authorisation"): the
/// configuration's <c>host</c> entries for a server, every permission for a server without them.
/// </summary>
public interface IHostDirectory
{
    /// <summary>
    /// The authority of a peer at <paramref name="address"/>: the entry named <paramref name="identity"/> when it
    /// proved that entry's secret, else the entry whose addresses hold the address; null when no entry matches
    /// (the peer may attach nothing).
    /// </summary>
    HostAuthority? Find(System.Net.IPAddress? address, string? identity, bool authenticated);
}

/// <summary>Every peer may do everything: drives of tests and tools that serve no configuration.</summary>
public sealed class OpenHostDirectory : IHostDirectory
{
    public static OpenHostDirectory Instance { get; } = new();

    public HostAuthority? Find(System.Net.IPAddress? address, string? identity, bool authenticated)
    {
        var text = address is null ? "unknown" : (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
        return new HostAuthority(identity ?? text, text, authenticated, HostPermissions.All, null, null);
    }
}
