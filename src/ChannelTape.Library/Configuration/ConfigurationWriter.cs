using System.Globalization;
using System.Text;
using ChannelTape.Device;
using ChannelTape.Labels;

namespace ChannelTape.Library.Configuration;

/// <summary>
/// Prints a <see cref="LibraryConfiguration"/> in the configuration language, with every default
/// spelled out (the effective configuration). Parsing the output gives an equal configuration.
/// </summary>
public static class ConfigurationWriter
{
    private const string Indent = "    ";

    public static string Write(LibraryConfiguration configuration)
    {
        var text = new StringBuilder();
        Write(configuration, new StringWriter(text, CultureInfo.InvariantCulture));
        return text.ToString();
    }

    public static void Write(LibraryConfiguration configuration, TextWriter writer)
    {
        writer.WriteLine($"listen {configuration.Listen};");
        var management = configuration.Management;
        writer.WriteLine($"http {(management.Http is { } http ? http.ToString() : "none")};");
        if (management.SecretFile is { } secret)
        {
            writer.WriteLine($"secret-file {Quote(secret)};");
        }

        if (management.TransferFolder is { } transferFolder)
        {
            writer.WriteLine($"transfer-folder {Quote(transferFolder)};");
        }

        writer.WriteLine();

        writer.WriteLine("storage {");
        writer.WriteLine($"{Indent}root {Quote(configuration.Storage.Root)};");
        writer.WriteLine($"{Indent}format {FormatText(configuration.Storage.Format)};");
        if (configuration.Storage.Shared is { IsShared: true } shared)
        {
            if (shared.Catalog is not null)
            {
                writer.WriteLine($"{Indent}catalog {Quote(shared.Catalog)};");
            }

            if (shared.Store is not null)
            {
                writer.WriteLine($"{Indent}store {Quote(shared.Store)};");
            }

            if (shared.S3Endpoint is not null)
            {
                writer.WriteLine($"{Indent}s3-endpoint {Quote(shared.S3Endpoint)};");
            }

            if (shared.ServerName is not null)
            {
                writer.WriteLine($"{Indent}server {Quote(shared.ServerName)};");
            }

            writer.WriteLine($"{Indent}cache {shared.CacheLimit};");
            writer.WriteLine($"{Indent}lease {(int)shared.Lease.TotalSeconds};");
        }

        writer.WriteLine("}");

        foreach (var group in GroupDrives(configuration.Drives))
        {
            var first = group[0];
            writer.WriteLine();
            writer.WriteLine($"drive {DeviceRanges(group.Select(d => d.DeviceNumber))} {{");
            writer.WriteLine($"{Indent}model {(ushort)first.Model:X};");
            writer.WriteLine($"{Indent}media {MediaTypes.Name(first.Media)};");
            if (first.Pool is not null)
            {
                writer.WriteLine($"{Indent}pool {first.Pool};");
            }

            writer.WriteLine("}");
        }

        foreach (var pool in configuration.Pools)
        {
            writer.WriteLine();
            writer.WriteLine($"pool {pool.Name} {{");
            if (pool.Volumes.Count > 0)
            {
                writer.WriteLine($"{Indent}volumes {string.Join(", ", pool.Volumes.Select(RangeText))};");
            }

            writer.WriteLine($"{Indent}media {MediaTypes.Name(pool.Media)};");
            writer.WriteLine($"{Indent}capacity {ByteSize.Format(pool.Capacity)};");
            writer.WriteLine($"{Indent}labels {LabelTypes.Name(pool.Labels)};");
            writer.WriteLine(pool.Scratch ? $"{Indent}scratch;" : $"{Indent}private;");
            writer.WriteLine($"{Indent}sync {SyncText(pool.Sync)};");
            writer.WriteLine("}");
        }

        foreach (var folder in configuration.ImageFolders)
        {
            writer.WriteLine();
            writer.WriteLine($"image-folder {Quote(folder)};");
        }

        var security = configuration.Security;
        if (security != SecurityConfiguration.Default)
        {
            WriteSecurity(writer, security);
        }

        foreach (var host in configuration.Hosts)
        {
            writer.WriteLine();
            writer.WriteLine($"host {host.Name} {{");
            WritePath(writer, "secret-file", host.SecretFile);
            writer.WriteLine($"{Indent}addresses {(host.Addresses.Count > 0 ? string.Join(", ", host.Addresses) : "none")};");
            if (host.Drives is not null)
            {
                writer.WriteLine($"{Indent}drives {DeviceRanges(host.Drives)};");
            }

            if (host.Pools is not null)
            {
                writer.WriteLine($"{Indent}pools {(host.Pools.Count > 0 ? string.Join(", ", host.Pools) : "none")};");
            }

            writer.WriteLine($"{Indent}permit {PermitText(host.Permissions)};");
            writer.WriteLine("}");
        }

        var admin = configuration.Admin;
        writer.WriteLine();
        writer.WriteLine("admin {");
        writer.WriteLine($"{Indent}prefix {Quote(admin.Prefix)};");
        writer.WriteLine($"{Indent}hosts {(admin.Hosts.Count > 0 ? string.Join(", ", admin.Hosts) : "none")};");
        writer.WriteLine($"{Indent}drives {DeviceRanges(admin.Drives)};");
        writer.WriteLine("}");

        writer.WriteLine();
        writer.WriteLine("limits {");
        writer.WriteLine($"{Indent}connections {configuration.Limits.MaxConnections};");
        writer.WriteLine($"{Indent}connections-per-address {configuration.Limits.MaxConnectionsPerAddress};");
        writer.WriteLine($"{Indent}handshake-timeout {configuration.Limits.HandshakeSeconds};");
        writer.WriteLine($"{Indent}mount-history {configuration.Limits.MountHistory};");
        writer.WriteLine("}");

        writer.WriteLine();
        writer.WriteLine("log {");
        writer.WriteLine($"{Indent}level {LogConfiguration.LevelName(configuration.Log.Level)};");
        writer.WriteLine($"{Indent}format {(configuration.Log.Format == LogFormat.Json ? "json" : "text")};");
        writer.WriteLine("}");
    }

    private static void WriteSecurity(TextWriter writer, SecurityConfiguration security)
    {
        writer.WriteLine();
        writer.WriteLine("security {");
        WritePath(writer, "secret-file", security.SecretFile);
        WritePath(writer, "certificate", security.Certificate);
        WritePath(writer, "key", security.Key);
        WritePath(writer, "audit-log", security.AuditLog);
        if (security.RequireTls)
        {
            writer.WriteLine($"{Indent}require-tls;");
        }

        if (security.Insecure)
        {
            writer.WriteLine($"{Indent}insecure;");
        }

        writer.WriteLine("}");
    }

    private static void WritePath(TextWriter writer, string keyword, string? path)
    {
        if (path is not null)
        {
            writer.WriteLine($"{Indent}{keyword} {Quote(path)};");
        }
    }

    private static string SyncText(SyncPoint sync) => sync switch
    {
        SyncPoint.TapeMark => "tape-mark",
        SyncPoint.Unload => "unload",
        _ => "none",
    };

    private static string PermitText(Runtime.HostPermissions permissions)
    {
        var words = new List<string>();
        if ((permissions & Runtime.HostPermissions.OperatorMounts) != 0)
        {
            words.Add("operator-mounts");
        }

        if ((permissions & Runtime.HostPermissions.MountByPath) != 0)
        {
            words.Add("mount-by-path");
        }

        if ((permissions & Runtime.HostPermissions.TakeOver) != 0)
        {
            words.Add("take-over");
        }

        if ((permissions & Runtime.HostPermissions.CommandVolumes) != 0)
        {
            words.Add("command-volumes");
        }

        return words.Count == 0 ? "none" : string.Join(", ", words);
    }

    private static string FormatText(ImageFormat format) => format switch
    {
        { Kind: ImageFileKind.Aws } => "aws",
        { Compression: HetCompression.None } => "het",
        { Compression: HetCompression.Zlib } => $"het zlib {format.Level}",
        _ => $"het bzip2 {format.Level}",
    };

    /// <summary>Consecutive device numbers with identical settings, so they print as one range.</summary>
    private static List<List<DriveConfiguration>> GroupDrives(IEnumerable<DriveConfiguration> drives)
    {
        var groups = new List<List<DriveConfiguration>>();
        foreach (var drive in drives.OrderBy(d => d.DeviceNumber))
        {
            var last = groups.Count > 0 ? groups[^1][^1] : null;
            if (last is not null && drive with { DeviceNumber = last.DeviceNumber } == last)
            {
                groups[^1].Add(drive);
            }
            else
            {
                groups.Add([drive]);
            }
        }

        return groups;
    }

    /// <summary>Device numbers as ranges: <c>0580-0587, 0590</c> (<c>none</c> when empty).</summary>
    public static string DeviceRanges(IEnumerable<ushort> devices)
    {
        var parts = new List<string>();
        int? start = null;
        var previous = -2;
        foreach (var device in devices.Order())
        {
            if (device != previous + 1 && start is not null)
            {
                parts.Add(DeviceRange(start.Value, previous));
                start = null;
            }

            start ??= device;
            previous = device;
        }

        if (start is not null)
        {
            parts.Add(DeviceRange(start.Value, previous));
        }

        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }

    private static string DeviceRange(int first, int last) => first == last ? $"{first:X4}" : $"{first:X4}-{last:X4}";

    // A serial starting with '#' would read as a comment, so it is quoted.
    private static string SerialText(VolumeSerial serial) => serial.Value.StartsWith('#') ? Quote(serial.Value) : serial.Value;

    private static string RangeText(VolumeRange range) =>
        range.First == range.Last ? SerialText(range.First) : $"{SerialText(range.First)}-{SerialText(range.Last)}";

    private static string Quote(string text) => "\"" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
}
