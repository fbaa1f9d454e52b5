using System.Globalization;
using System.Net;
using ChannelTape.Device;
using ChannelTape.Labels;

namespace ChannelTape.Library.Configuration;

/// <summary>The admin statement: prefix, hosts allowed to issue commands, drives.</summary>
internal sealed partial class ConfigurationBinder
{
    private sealed record AdminDraft(string Prefix, ValueList<IPNetwork> Hosts, List<(ushort Device, SourceFile File, int Offset)>? Drives);

    private AdminDraft BindAdmin(SourceFile file, AdminStatement statement)
    {
        var prefix = AdminConfiguration.DefaultPrefix;
        var hosts = new List<IPNetwork>();
        var hostsGiven = false;
        List<(ushort, SourceFile, int)>? drives = null;
        var seen = new Dictionary<string, int>();
        foreach (var property in statement.Properties)
        {
            switch (property)
            {
                case HostsProperty h:
                    hostsGiven = true;
                    foreach (var host in h.Hosts)
                    {
                        if (TryBindNetwork(host.Value, out var network))
                        {
                            hosts.Add(network);
                        }
                        else
                        {
                            Error(file, host.Offset, $"invalid host '{host.Value}': expected an IP address or a network such as 10.0.0.0/8");
                        }
                    }

                    continue;
                case DrivesProperty d:
                    drives ??= [];
                    foreach (var range in d.Devices)
                    {
                        if (TryBindDeviceRange(file, range, out var first, out var last))
                        {
                            for (var device = first; device <= last; device++)
                            {
                                drives.Add(((ushort)device, file, range.First.Offset));
                            }
                        }
                    }

                    continue;
            }

            if (FirstProperty(seen, file, property, "admin") && property is PrefixProperty p)
            {
                prefix = BindPrefix(file, p.Prefix) ?? prefix;
            }
        }

        return new AdminDraft(prefix, new ValueList<IPNetwork>(hostsGiven ? hosts : AdminConfiguration.DefaultHosts), drives);
    }

    private string? BindPrefix(SourceFile file, Located<string> prefix)
    {
        var text = prefix.Value;
        if (text.Length is 0 or > MaxPrefixLength)
        {
            Error(file, prefix.Offset, $"administrative prefix '{text}' must have 1 to {MaxPrefixLength} characters");
            return null;
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (!VolumeSerial.IsValidCharacter(text[i]))
            {
                Error(file, prefix.Offset + i, $"invalid character '{text[i]}' in administrative prefix '{text}': allowed are A-Z, 0-9, #, @ and $");
                return null;
            }
        }

        return text;
    }

    private static bool TryBindNetwork(string text, out IPNetwork network)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            // A network's address must have no bits set past its prefix length (10.0.0.0/8, not 10.0.0.1/8).
            return IPNetwork.TryParse(text, out network)
                && IsStrictAddress(text[..slash])
                && IPAddress.TryParse(text.AsSpan(0, slash), out var given)
                && network.BaseAddress.Equals(given);
        }

        if (IsStrictAddress(text) && IPAddress.TryParse(text, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        network = default;
        return false;
    }

    /// <summary>
    /// IPv6, or IPv4 as four decimal octets: IPAddress.TryParse also takes inet_aton shorthands
    /// such as "1.2.3" (= 1.2.0.3), which in a configuration are far more likely typing errors.
    /// </summary>
    private static bool IsStrictAddress(string text)
    {
        if (text.Contains(':', StringComparison.Ordinal))
        {
            return true;
        }

        var parts = text.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is >= 1 and <= 3 && p.All(char.IsAsciiDigit) && int.Parse(p, CultureInfo.InvariantCulture) <= 255);
    }

    private AdminConfiguration FinishAdmin()
    {
        var draft = _admin ?? new AdminDraft(AdminConfiguration.DefaultPrefix, AdminConfiguration.DefaultHosts, null);
        foreach (var (range, pool, file, offset) in _ranges)
        {
            if (range.ContainsSerialStartingWith(draft.Prefix))
            {
                Error(file, offset, $"volumes {range} of pool {pool.Configuration.Name} include administrative serials (prefix \"{draft.Prefix}\")");
            }
        }

        var drives = draft.Drives is null
            ? _drives.Keys.ToList()
            : draft.Drives.Select(d => d.Device).Distinct().Order().ToList();
        return new AdminConfiguration(draft.Prefix, draft.Hosts, new ValueList<ushort>(drives));
    }
}
