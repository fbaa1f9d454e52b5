using System.Net;
using ChannelTape.Runtime;

namespace ChannelTape.Library.Configuration;

/// <summary>Image folders, the security statement and host entries (docs/security.md).</summary>
internal sealed partial class ConfigurationBinder
{
    public const int MaxHostNameLength = 32;

    private readonly List<string> _imageFolders = [];
    private (SourceFile File, int Offset)? _securityAt;
    private SecurityConfiguration? _security;
    private readonly List<(HostConfiguration Host, SourceFile File, int Offset, List<(string Pool, int Offset)> PoolOffsets, List<(ushort Device, int Offset)> DriveOffsets)> _hosts = [];
    private readonly Dictionary<string, (SourceFile File, int Offset)> _hostNames = new(StringComparer.Ordinal);

    private static readonly Dictionary<string, HostPermissions> PermissionWords = new(StringComparer.Ordinal)
    {
        ["operator-mounts"] = HostPermissions.OperatorMounts,
        ["mount-by-path"] = HostPermissions.MountByPath,
        ["take-over"] = HostPermissions.TakeOver,
        ["command-volumes"] = HostPermissions.CommandVolumes,
    };

    private void BindImageFolder(SourceFile file, ImageFolderStatement statement)
    {
        if (ResolvePath(file, statement.Path, "image folder") is { } folder)
        {
            _imageFolders.Add(folder);
        }
    }

    private SecurityConfiguration BindSecurity(SourceFile file, SecurityStatement statement)
    {
        var security = SecurityConfiguration.Default;
        var seen = new Dictionary<string, int>();
        foreach (var property in statement.Properties)
        {
            if (!FirstProperty(seen, file, property, "security"))
            {
                continue;
            }

            switch (property)
            {
                case PathProperty { Name: "secret-file" } p:
                    security = security with { SecretFile = ResolvePath(file, p.Path, "secret file") };
                    break;
                case PathProperty { Name: "certificate" } p:
                    security = security with { Certificate = ResolvePath(file, p.Path, "certificate") };
                    break;
                case PathProperty { Name: "key" } p:
                    security = security with { Key = ResolvePath(file, p.Path, "key") };
                    break;
                case PathProperty { Name: "audit-log" } p:
                    security = security with { AuditLog = ResolvePath(file, p.Path, "audit log") };
                    break;
                case FlagProperty { Name: "require-tls" }:
                    security = security with { RequireTls = true };
                    break;
                case FlagProperty { Name: "insecure" }:
                    security = security with { Insecure = true };
                    break;
            }
        }

        if (security.Key is not null && security.Certificate is null)
        {
            Error(file, statement.Offset, "security: key without certificate");
        }

        if (security.RequireTls && security.Certificate is null)
        {
            Error(file, statement.Offset, "security: require-tls needs a certificate");
        }

        return security;
    }

    private void BindHost(SourceFile file, HostStatement statement)
    {
        var name = statement.Name.Value;
        if (name.Length > MaxHostNameLength)
        {
            Error(file, statement.Name.Offset, $"host name '{name}' is longer than {MaxHostNameLength} characters");
        }

        if (_hostNames.TryGetValue(name, out var first))
        {
            Error(file, statement.Name.Offset, $"host {name} is already defined at {first.File.Describe(first.Offset)}");
            return;
        }

        _hostNames.Add(name, (file, statement.Name.Offset));
        string? secret = null;
        var addresses = new List<IPNetwork>();
        List<(ushort, int)>? drives = null;
        List<(string, int)>? pools = null;
        var permissions = HostConfiguration.DefaultPermissions;
        var seen = new Dictionary<string, int>();
        foreach (var property in statement.Properties)
        {
            if (!FirstProperty(seen, file, property, $"host {name}"))
            {
                continue;
            }

            switch (property)
            {
                case PathProperty { Name: "secret-file" } p:
                    secret = ResolvePath(file, p.Path, "secret file");
                    break;
                case WordsProperty { Name: "addresses" } a:
                    foreach (var address in a.Words)
                    {
                        if (TryBindNetwork(address.Value, out var network))
                        {
                            addresses.Add(network);
                        }
                        else
                        {
                            Error(file, address.Offset, $"invalid address '{address.Value}': expected an IP address or a network such as 10.0.0.0/8");
                        }
                    }

                    break;
                case DrivesProperty d:
                    drives = [];
                    foreach (var range in d.Devices)
                    {
                        if (TryBindDeviceRange(file, range, out var low, out var high))
                        {
                            for (var device = low; device <= high; device++)
                            {
                                drives.Add(((ushort)device, range.First.Offset));
                            }
                        }
                    }

                    break;
                case WordsProperty { Name: "pools" } p:
                    pools = [.. p.Words.Select(w => (w.Value, w.Offset))];
                    break;
                case WordsProperty { Name: "permit" } p:
                    permissions = HostPermissions.None;
                    foreach (var word in p.Words)
                    {
                        if (PermissionWords.TryGetValue(word.Value, out var permission))
                        {
                            permissions |= permission;
                        }
                        else
                        {
                            Error(file, word.Offset, $"unknown permission '{word.Value}': expected {string.Join(", ", PermissionWords.Keys)} or none");
                        }
                    }

                    break;
            }
        }

        _hosts.Add((new HostConfiguration(name, secret, new ValueList<IPNetwork>(addresses),
                drives is null ? null : new ValueList<ushort>(drives.Select(d => d.Item1).Distinct().Order()),
                pools is null ? null : new ValueList<string>(pools.Select(p => p.Item1).Distinct(StringComparer.Ordinal)),
                permissions),
            file, statement.Name.Offset, pools ?? [], drives ?? []));
    }

    /// <summary>Host entries' pools and drives must exist (checked with the other references).</summary>
    private void CheckHostReferences()
    {
        foreach (var (host, file, _, pools, drives) in _hosts)
        {
            foreach (var (pool, offset) in pools)
            {
                if (!_poolsByName.ContainsKey(pool))
                {
                    Error(file, offset, $"host {host.Name}: unknown pool '{pool}'");
                }
            }

            foreach (var (device, offset) in drives)
            {
                if (!_drives.ContainsKey(device))
                {
                    Error(file, offset, $"host {host.Name}: drive {device:X4} is not defined by a drive statement");
                    break;
                }
            }
        }
    }
}
