using System.Globalization;

namespace ChannelTape.Admin.Volumes;

/// <summary>The kinds of administrative volume (docs/admin-volumes.md "Naming").</summary>
public enum AdminVolumeKind
{
    Drives,
    Volumes,
    Scratch,
    Pools,
    Mounts,
    Statistics,
    Configuration,
    Events,
    /// <summary>A command volume: the host writes requests, the server answers on the next mount.</summary>
    Command,
}

/// <summary>
/// A volume serial that follows the administrative naming convention: the configured prefix
/// (default <c>#</c>) and a name that selects one report, optionally narrowed by a selector.
/// Six characters in all, so selectors are short: a device number, a volser or pool-name prefix.
/// </summary>
/// <param name="VolumeSerial">The full serial as the host asked for it.</param>
/// <param name="Kind">Which report (or a command volume).</param>
/// <param name="Selector">Device number (4 hex digits), volser prefix or pool-name prefix; empty = everything.</param>
public sealed record AdminVolumeName(string VolumeSerial, AdminVolumeKind Kind, string Selector)
{
    /// <summary>Default prefix of administrative volume serials.</summary>
    public const string DefaultPrefix = "#";

    // Whole names first: they win over the one-letter selector forms (so #DRIVE is all drives,
    // not drive "RIVE", and #SCRAT is all scratch volumes, not pool "CRAT").
    private static readonly (string Name, AdminVolumeKind Kind)[] s_wholeNames =
    [
        ("DRIVE", AdminVolumeKind.Drives),
        ("VOLS", AdminVolumeKind.Volumes),
        ("SCRAT", AdminVolumeKind.Scratch),
        ("POOLS", AdminVolumeKind.Pools),
        ("MOUNT", AdminVolumeKind.Mounts),
        ("STATS", AdminVolumeKind.Statistics),
        ("CONF", AdminVolumeKind.Configuration),
        ("EVENT", AdminVolumeKind.Events),
    ];

    /// <summary>The name (after the prefix) that asks for all of a report.</summary>
    public static string WholeName(AdminVolumeKind kind) => kind == AdminVolumeKind.Command
        ? "CMD"
        : s_wholeNames.First(n => n.Kind == kind).Name;

    /// <summary>
    /// Recognises an administrative serial. <c>false</c> for an ordinary volume serial
    /// (no prefix), and for a prefixed serial that names nothing (the caller treats that like an
    /// unknown volume: the mount stays pending, as an operator would see it).
    /// </summary>
    public static bool TryParse(string volumeSerial, string prefix, out AdminVolumeName? name)
    {
        name = null;
        string serial = volumeSerial.TrimEnd();
        if (prefix.Length == 0 || !serial.StartsWith(prefix, StringComparison.Ordinal) || serial.Length > 6)
        {
            return false;
        }

        string rest = serial[prefix.Length..];
        foreach (var (whole, kind) in s_wholeNames)
        {
            if (rest == whole)
            {
                name = new AdminVolumeName(serial, kind, string.Empty);
                return true;
            }
        }

        if (rest.StartsWith("CMD", StringComparison.Ordinal))
        {
            name = new AdminVolumeName(serial, AdminVolumeKind.Command, rest[3..]);
            return true;
        }

        if (rest.Length < 2)
        {
            return false;
        }

        string selector = rest[1..];
        AdminVolumeKind? selected = rest[0] switch
        {
            'D' when IsDeviceNumber(selector) => AdminVolumeKind.Drives,
            'M' when IsDeviceNumber(selector) => AdminVolumeKind.Mounts,
            'E' when IsDeviceNumber(selector) => AdminVolumeKind.Events,
            'V' => AdminVolumeKind.Volumes,
            'S' => AdminVolumeKind.Scratch,
            'P' => AdminVolumeKind.Pools,
            _ => null,
        };
        if (selected is not { } k)
        {
            return false;
        }

        name = new AdminVolumeName(serial, k, selector);
        return true;
    }

    /// <summary>The serial that asks for <paramref name="kind"/> narrowed by <paramref name="selector"/>.</summary>
    public static string Format(string prefix, AdminVolumeKind kind, string selector = "")
    {
        if (selector.Length == 0)
        {
            return prefix + WholeName(kind);
        }

        char letter = kind switch
        {
            AdminVolumeKind.Drives => 'D',
            AdminVolumeKind.Mounts => 'M',
            AdminVolumeKind.Events => 'E',
            AdminVolumeKind.Volumes => 'V',
            AdminVolumeKind.Scratch => 'S',
            AdminVolumeKind.Pools => 'P',
            AdminVolumeKind.Command => throw new ArgumentException("command volumes take a suffix after CMD", nameof(kind)),
            _ => throw new ArgumentException($"{kind} takes no selector", nameof(kind)),
        };
        string serial = prefix + letter + selector;
        if (serial.Length > 6)
        {
            throw new ArgumentException($"'{serial}' is longer than six characters", nameof(selector));
        }

        return serial;
    }

    /// <summary>The selector as a device number, for the per-drive forms.</summary>
    public int? DeviceNumber => Kind is AdminVolumeKind.Drives or AdminVolumeKind.Mounts or AdminVolumeKind.Events && Selector.Length == 4
        ? int.Parse(Selector, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
        : null;

    private static bool IsDeviceNumber(string text) =>
        text.Length == 4 && int.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out _);
}
