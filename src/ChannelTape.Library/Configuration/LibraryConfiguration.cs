using System.Net;
using ChannelTape.Device;
using ChannelTape.Labels;
using Microsoft.Extensions.Logging;

namespace ChannelTape.Library.Configuration;

/// <summary>
/// The effective configuration of a ChannelTape library, as read from the configuration language
/// (docs/config.md). Records compare by value; <see cref="ConfigurationWriter"/> prints one back.
/// </summary>
/// <param name="Listen">Address the server accepts bridge connections on.</param>
/// <param name="Storage">Where volume images and the catalog live, and the image format of new volumes.</param>
/// <param name="Drives">One entry per device number, in ascending order.</param>
/// <param name="Pools">Volume pools in the order they were declared.</param>
/// <param name="Admin">Administrative volume naming and who may issue commands.</param>
/// <param name="Limits">Resource limits.</param>
public sealed record LibraryConfiguration(
    IPEndPoint Listen,
    StorageConfiguration Storage,
    ValueList<DriveConfiguration> Drives,
    ValueList<PoolConfiguration> Pools,
    AdminConfiguration Admin,
    LimitsConfiguration Limits)
{
    /// <summary>Default listen address: loopback, port 7490.</summary>
    public static IPEndPoint DefaultListen => new(IPAddress.Loopback, 7490);

    /// <summary>The management API and status page (docs/operations.md): where it listens, the secret, the transfer folder.</summary>
    public ManagementConfiguration Management { get; init; } = ManagementConfiguration.Default;

    /// <summary>What the server logs and how.</summary>
    public LogConfiguration Log { get; init; } = LogConfiguration.Default;

    /// <summary>The pool called <paramref name="name"/> (case-sensitive), or null.</summary>
    public PoolConfiguration? FindPool(string name) => Pools.FirstOrDefault(p => p.Name == name);

    /// <summary>The drive at <paramref name="deviceNumber"/>, or null.</summary>
    public DriveConfiguration? FindDrive(ushort deviceNumber) => Drives.FirstOrDefault(d => d.DeviceNumber == deviceNumber);
}

/// <summary>Image file format of new volumes.</summary>
public enum ImageFileKind
{
    /// <summary>AWSTAPE (<c>.aws</c>).</summary>
    Aws,
    /// <summary>Hercules Emulated Tape (<c>.het</c>), optionally compressed.</summary>
    Het,
}

/// <summary>Block compression of HET images.</summary>
public enum HetCompression
{
    None,
    Zlib,
    Bzip2,
}

/// <summary>Image format of new volumes: AWS, or HET with a compression method and level 1-9.</summary>
/// <param name="Kind">AWS or HET.</param>
/// <param name="Compression">HET compression; <see cref="HetCompression.None"/> for AWS.</param>
/// <param name="Level">Compression level 1-9, 0 when uncompressed.</param>
public sealed record ImageFormat(ImageFileKind Kind, HetCompression Compression, int Level)
{
    /// <summary>Hercules' default HET compression level (docs/reference/hercules-tape.md, HET options: level 4).</summary>
    public const int DefaultLevel = 4;

    public static ImageFormat Aws { get; } = new(ImageFileKind.Aws, HetCompression.None, 0);

    /// <summary>File name extension without the dot: <c>aws</c> or <c>het</c>.</summary>
    public string Extension => Kind == ImageFileKind.Aws ? "aws" : "het";
}

/// <summary>Storage of the library.</summary>
/// <param name="Root">Absolute directory holding <c>catalog.db</c> and <c>volumes/</c>.</param>
/// <param name="Format">Image format of new volumes.</param>
/// <param name="Shared">Catalog and store of a shared library (docs/scale-out.md); the default: the folder's own.</param>
public sealed record StorageConfiguration(string Root, ImageFormat Format, SharedStorage? Shared = null)
{
    /// <summary>The shared library's settings, or the embedded default.</summary>
    public SharedStorage SharedOrDefault => Shared ?? SharedStorage.Default;
}

/// <summary>Where a shared library is (docs/scale-out.md): without a catalog and a store the data folder is the library.</summary>
/// <param name="Catalog">Npgsql connection string of a shared PostgreSQL catalog, or null for the folder's SQLite catalog.</param>
/// <param name="Store">S3 location of the images (<c>s3://BUCKET[/PREFIX]</c>), or null to keep them in the folder.</param>
/// <param name="S3Endpoint">S3 endpoint (Ceph RGW, MinIO), or null for AWS.</param>
/// <param name="CacheLimit">Bytes of images the data folder keeps as the store's cache.</param>
/// <param name="Lease">How long a server's lease on the shared catalog lasts unless renewed.</param>
/// <param name="ServerName">This server's name in the shared catalog, or null for host name and data folder.</param>
public sealed record SharedStorage(string? Catalog, string? Store, string? S3Endpoint, long CacheLimit, TimeSpan Lease, string? ServerName)
{
    public static SharedStorage Default { get; } = new(null, null, null, 20L << 30, TimeSpan.FromSeconds(30), null);

    /// <summary>True when anything is shared (a catalog or a store).</summary>
    public bool IsShared => Catalog is not null || Store is not null;
}

/// <summary>One tape drive.</summary>
/// <param name="DeviceNumber">Device number (CUU) the host addresses it by, 0000-FFFF.</param>
/// <param name="Model">Drive model emulated.</param>
/// <param name="Media">Media the drive takes for scratch mounts.</param>
/// <param name="Pool">Pool scratch (non-specific) mounts take volumes from, or null when the drive takes none.</param>
public sealed record DriveConfiguration(ushort DeviceNumber, TapeModel Model, MediaType Media, string? Pool);

/// <summary>A pool of volumes.</summary>
/// <param name="Name">Pool name (1-16 of A-Z a-z 0-9 _ -), case-sensitive.</param>
/// <param name="Volumes">Volume serial ranges that belong to the pool.</param>
/// <param name="Media">Media type of its volumes.</param>
/// <param name="Capacity">Capacity of each volume in bytes.</param>
/// <param name="Labels">Label type new volumes are initialised with.</param>
/// <param name="Scratch">True when new volumes start as scratch (available to non-specific mounts), false for private.</param>
public sealed record PoolConfiguration(
    string Name,
    ValueList<VolumeRange> Volumes,
    MediaType Media,
    long Capacity,
    LabelType Labels,
    bool Scratch)
{
    /// <summary>Number of volume serials the pool's ranges name.</summary>
    public long VolumeCount => Volumes.Sum(r => r.Count);
}

/// <summary>Administrative volumes (docs/admin-volumes.md): naming and who may issue commands.</summary>
/// <param name="Prefix">Volume serials starting with this are administrative (1-5 volser characters, default <c>#</c>).</param>
/// <param name="Hosts">Peer networks whose connections may write command volumes.</param>
/// <param name="Drives">Device numbers on which command volumes are accepted, ascending.</param>
public sealed record AdminConfiguration(string Prefix, ValueList<IPNetwork> Hosts, ValueList<ushort> Drives)
{
    /// <summary>Default administrative prefix.</summary>
    public const string DefaultPrefix = "#";

    /// <summary>Loopback only: 127.0.0.0/8 and ::1.</summary>
    public static ValueList<IPNetwork> DefaultHosts { get; } =
        new([new IPNetwork(IPAddress.Parse("127.0.0.0"), 8), new IPNetwork(IPAddress.IPv6Loopback, 128)]);

    /// <summary>True when <paramref name="serial"/> names an administrative volume.</summary>
    public bool IsAdministrative(VolumeSerial serial) => serial.Value.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>True when a connection from <paramref name="address"/> may issue commands (IPv4-mapped IPv6 counts as IPv4).</summary>
    public bool AllowsHost(IPAddress address)
    {
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return Hosts.Any(network => network.Contains(plain));
    }

    /// <summary>True when commands written on <paramref name="deviceNumber"/> are accepted.</summary>
    public bool AllowsDrive(ushort deviceNumber) => Drives.Contains(deviceNumber);
}

/// <summary>Resource limits.</summary>
/// <param name="MaxConnections">Bridge connections served at once.</param>
/// <param name="MountHistory">Mount history rows kept in the catalog (older ones are pruned); 0 keeps none.</param>
public sealed record LimitsConfiguration(int MaxConnections, int MountHistory)
{
    public static LimitsConfiguration Default { get; } = new(64, 10_000);
}

/// <summary>The management API (HTTP: JSON, metrics, health, the status page; docs/operations.md).</summary>
/// <param name="Http">Where it listens; null when it is turned off (<c>http none;</c>).</param>
/// <param name="SecretFile">
/// Absolute path of the file holding the secret: with one, writes need it as a bearer token, and so do reads
/// from outside the loopback addresses; null when none is configured.
/// </param>
/// <param name="TransferFolder">
/// Absolute path of the only folder an HTTP import reads images from and an HTTP export writes them to;
/// null when none is configured (HTTP import and export are refused).
/// </param>
public sealed record ManagementConfiguration(IPEndPoint? Http, string? SecretFile, string? TransferFolder)
{
    /// <summary>Default management address: loopback, port 7491.</summary>
    public static IPEndPoint DefaultHttp => new(IPAddress.Loopback, 7491);

    public static ManagementConfiguration Default { get; } = new(DefaultHttp, null, null);
}

/// <summary>How log lines are written on standard error.</summary>
public enum LogFormat
{
    /// <summary>One line per entry: <c>2026-11-27T15:00:00.000Z info: message</c>.</summary>
    Text,
    /// <summary>One JSON object per line, with the event's fields (drive, volser, host, outcome).</summary>
    Json,
}

/// <summary>The log: the least level written and the format.</summary>
public sealed record LogConfiguration(LogLevel Level, LogFormat Format)
{
    public static LogConfiguration Default { get; } = new(LogLevel.Information, LogFormat.Text);

    /// <summary>Level names as the configuration and <c>--log-level</c> write them.</summary>
    public static IReadOnlyList<(string Name, LogLevel Level)> LevelNames { get; } =
    [
        ("trace", LogLevel.Trace),
        ("debug", LogLevel.Debug),
        ("info", LogLevel.Information),
        ("warning", LogLevel.Warning),
        ("error", LogLevel.Error),
    ];

    /// <summary>The level called <paramref name="name"/> (trace, debug, info, warning, error); false for anything else.</summary>
    public static bool TryParseLevel(string name, out LogLevel level)
    {
        foreach (var (known, value) in LevelNames)
        {
            if (known == name)
            {
                level = value;
                return true;
            }
        }

        level = LogLevel.None;
        return false;
    }

    /// <summary>The name of <paramref name="level"/> as <see cref="TryParseLevel"/> reads it.</summary>
    public static string LevelName(LogLevel level) =>
        LevelNames.FirstOrDefault(n => n.Level == level).Name ?? throw new ArgumentOutOfRangeException(nameof(level), level, "no configuration name");
}
