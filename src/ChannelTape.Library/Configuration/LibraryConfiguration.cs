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

    /// <summary>Folders in which images may be mounted by path (<c>image-folder "DIR";</c>, absolute); empty = no mounts by path (docs/security.md).</summary>
    public ValueList<string> ImageFolders { get; init; } = ValueList<string>.Empty;

    /// <summary>Secrets, TLS, the audit log (<c>security { }</c>).</summary>
    public SecurityConfiguration Security { get; init; } = SecurityConfiguration.Default;

    /// <summary>Host entries (<c>host NAME { }</c>), in the order they were declared; empty = every host may do everything on loopback (docs/security.md).</summary>
    public ValueList<HostConfiguration> Hosts { get; init; } = ValueList<HostConfiguration>.Empty;

    // Pools by name, per pool list (a field would take part in the record's equality and outlive a 'with').
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ValueList<PoolConfiguration>, Dictionary<string, PoolConfiguration>> PoolIndex = new();

    /// <summary>The pool called <paramref name="name"/> (case-sensitive), or null; one lookup, not a walk of every pool.</summary>
    public PoolConfiguration? FindPool(string name) =>
        PoolIndex.GetValue(Pools, pools => pools.GroupBy(p => p.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal))
            .GetValueOrDefault(name);

    /// <summary>True when a secret is configured: every host then proves one (docs/protocol.md §2.1).</summary>
    public bool HasSecrets => Security.SecretFile is not null || Hosts.Any(h => h.SecretFile is not null);

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
    /// <summary>When written data goes to stable storage (<c>sync</c>); <see cref="SyncPoint.TapeMark"/> by default.</summary>
    public SyncPoint Sync { get; init; } = SyncPoint.TapeMark;

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
    public const int DefaultConnectionsPerAddress = 16;
    public const int DefaultHandshakeSeconds = 10;

    public static LimitsConfiguration Default { get; } = new(64, 10_000);

    /// <summary>Connections from one peer address at once.</summary>
    public int MaxConnectionsPerAddress { get; init; } = DefaultConnectionsPerAddress;

    /// <summary>Seconds a connection has to authenticate and attach a drive.</summary>
    public int HandshakeSeconds { get; init; } = DefaultHandshakeSeconds;
}

/// <summary>When written data is forced to stable storage (docs/config.md <c>sync</c>, docs/performance.md).</summary>
public enum SyncPoint
{
    /// <summary>At every Write Tape Mark and at the unload (a 3490 in buffered mode synchronises there): the default.</summary>
    TapeMark,
    /// <summary>Only when the volume is unloaded (Rewind Unload, demount, operator unload).</summary>
    Unload,
    /// <summary>Never by itself: the host's Synchronize and write-immediate only; the operating system writes the rest when it likes.</summary>
    None,
}

/// <summary>Secrets, TLS and the audit log (docs/security.md).</summary>
/// <param name="SecretFile">The server's shared secret (absolute); null = none.</param>
/// <param name="Certificate">TLS certificate (PEM, or PKCS#12 without <paramref name="Key"/>); null = no TLS.</param>
/// <param name="Key">The certificate's PEM private key; null when the certificate file holds it.</param>
/// <param name="RequireTls">Plain TCP only from loopback peers.</param>
/// <param name="Insecure">Listening beyond loopback without a secret is wanted (a warning is logged).</param>
/// <param name="AuditLog">File the audit lines are appended to; null = the log only.</param>
public sealed record SecurityConfiguration(string? SecretFile, string? Certificate, string? Key, bool RequireTls, bool Insecure, string? AuditLog)
{
    public static SecurityConfiguration Default { get; } = new(null, null, null, false, false, null);
}

/// <summary>A host entry (docs/security.md, "Authorisation"): who it is and what it may do.</summary>
/// <param name="Name">1-32 of <c>A-Z a-z 0-9 _ - .</c>; the identity a host authenticates as.</param>
/// <param name="SecretFile">This host's own secret (absolute); null = it is known by its addresses.</param>
/// <param name="Addresses">Peer networks that are this host when they do not authenticate as another.</param>
/// <param name="Drives">Drives it may attach; null = every drive.</param>
/// <param name="Pools">Pools it may mount and scratch from; null = the pools no other host lists.</param>
/// <param name="Permissions">What else it may do (<c>permit</c>).</param>
public sealed record HostConfiguration(string Name, string? SecretFile, ValueList<IPNetwork> Addresses, ValueList<ushort>? Drives,
    ValueList<string>? Pools, Runtime.HostPermissions Permissions)
{
    /// <summary>What a host entry may do when it says nothing: mount library volumes by name.</summary>
    public const Runtime.HostPermissions DefaultPermissions = Runtime.HostPermissions.OperatorMounts;
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
