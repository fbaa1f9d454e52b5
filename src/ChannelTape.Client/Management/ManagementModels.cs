using System.Text.Json;

namespace ChannelTape.Client.Management;

// What the management API (docs/operations.md) sends and takes, as the server writes it and ManagementClient
// reads it: JSON with camelCase names, device numbers as four hex digits ("0580"), times in ISO 8601 UTC,
// numbers as JSON numbers.

/// <summary>One drive: what it holds or waits for, who holds it, where the tape is, what it did.</summary>
/// <param name="Device">Device number, four hex digits.</param>
/// <param name="Model">Drive model, e.g. <c>3490</c>.</param>
/// <param name="State"><c>loaded</c>, <c>waiting</c> (a mount request pending), <c>empty</c> or <c>fenced</c>.</param>
/// <param name="Display">The eight characters of the drive's message display, trimmed.</param>
/// <param name="Volume">The volume on the drive; null when empty.</param>
/// <param name="Pending">The mount request the drive waits for; null when none.</param>
/// <param name="Host">The host connection holding the drive; null when no host has it attached.</param>
/// <param name="Position">Where the tape is; null when empty.</param>
/// <param name="Counters">What the drive did since the server started.</param>
/// <param name="Throughput">Bytes per second read and written over the last few seconds.</param>
public sealed record DriveStatus(
    string Device,
    string Model,
    string State,
    string Display,
    DriveVolume? Volume,
    PendingMount? Pending,
    DriveHolder? Host,
    DrivePosition? Position,
    DriveCounters Counters,
    DriveThroughput Throughput);

/// <summary>The volume on a drive.</summary>
/// <param name="Volser">Its serial; null for an image mounted by path.</param>
/// <param name="Image">The image path when mounted by path (not a library volume); null for a library volume.</param>
/// <param name="ReadOnly">Mounted read-only.</param>
/// <param name="Administrative">An administrative or command volume (docs/admin-volumes.md).</param>
/// <param name="MountedAt">When the library mounted it; null for an image mounted by path.</param>
public sealed record DriveVolume(string? Volser, string? Image, bool ReadOnly, bool Administrative, DateTimeOffset? MountedAt);

/// <summary>A mount request the drive waits for.</summary>
/// <param name="Request">A volume serial, or SCRTCH/PRIVAT.</param>
/// <param name="Scratch">Any scratch volume of the drive's pool will do.</param>
/// <param name="Reason">Why it could not be mounted yet; null before the first try.</param>
public sealed record PendingMount(string Request, bool Scratch, string? Reason);

/// <summary>The host connection holding a drive.</summary>
/// <param name="Address">The host's IP address.</param>
/// <param name="Connection">The connection as the log names it (<c>#7 127.0.0.1:40112</c>).</param>
/// <param name="Name">The name the host gave in its Hello; null when not known.</param>
public sealed record DriveHolder(string Address, string Connection, string? Name);

/// <summary>Where the tape is.</summary>
/// <param name="File">Files (tape marks) passed since the load point.</param>
/// <param name="Block">Block number, as Read Block ID counts it.</param>
public sealed record DrivePosition(long File, long Block);

/// <summary>A drive's activity since the server started.</summary>
public sealed record DriveCounters(
    long Ccws,
    long BlocksRead,
    long BytesRead,
    long BlocksWritten,
    long BytesWritten,
    long TapeMarksWritten,
    long UnitChecks,
    long Mounts,
    long WriteBehindBlocks,
    long ReadAheadBlocks,
    long ReadAheadByReference,
    long ReadAheadReturned);

/// <summary>Bytes per second over the last few seconds.</summary>
public sealed record DriveThroughput(double ReadBytesPerSecond, double WriteBytesPerSecond);

/// <summary>A library volume on a drive now.</summary>
public sealed record MountInfo(string Device, string Volser, bool ReadOnly, DateTimeOffset? MountedAt, string? Host);

/// <summary>A request a drive waits for.</summary>
public sealed record PendingMountInfo(string Device, string Request, bool Scratch, string? Reason);

/// <summary>What is mounted and what is waited for.</summary>
public sealed record MountsInfo(IReadOnlyList<MountInfo> Mounts, IReadOnlyList<PendingMountInfo> Pending);

/// <summary>One mount of the catalog's history, newest first; <c>Server</c>: on a shared library the server whose drive it is, else null.</summary>
public sealed record MountHistoryEntry(
    long Id, string Volser, string Device, DateTimeOffset RequestedAt, DateTimeOffset? MountedAt, DateTimeOffset? UnmountedAt, bool Scratch,
    string? Server = null);

/// <summary>
/// One volume of the catalog (the same fields as <c>ctape volume list --json</c>); <c>MountedBy</c>: on a shared
/// library the server holding it while it is mounted, else null.
/// </summary>
public sealed record VolumeInfo(
    string Volser,
    string Pool,
    string Status,
    string Media,
    long Capacity,
    long BytesUsed,
    long Blocks,
    string? DataSetName,
    string Labels,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastMountedAt,
    DateTimeOffset? LastWrittenAt,
    int MountCount,
    string ImagePath,
    bool ReadOnly,
    string? MountedOn,
    string? MountedBy = null);

/// <summary>A page of volumes: <paramref name="Total"/> match the filter, <paramref name="Volumes"/> from <paramref name="Offset"/> on.</summary>
public sealed record VolumePage(long Total, int Offset, int Limit, IReadOnlyList<VolumeInfo> Volumes);

/// <summary>One pool: its configuration (when configured) and what the catalog holds.</summary>
/// <param name="Name">Pool name.</param>
/// <param name="Configured">Declared in the configuration (a pool may exist only in the catalog, after a move).</param>
/// <param name="Media">Media of its volumes.</param>
/// <param name="Labels">Label type of its volumes.</param>
/// <param name="VolumeCapacity">Capacity of a new volume, bytes (the configured one, else the largest in the catalog).</param>
/// <param name="Volumes">Volumes in the catalog.</param>
/// <param name="Scratch">Scratch volumes (free for SCRTCH/PRIVAT mounts).</param>
/// <param name="Private">Private volumes.</param>
/// <param name="Mounted">Volumes on a drive now.</param>
/// <param name="CapacityBytes">Capacity of all its volumes, bytes.</param>
/// <param name="BytesUsed">Bytes used on all its volumes.</param>
/// <param name="Drives">Drives whose scratch requests take from it.</param>
public sealed record PoolInfo(
    string Name,
    bool Configured,
    string Media,
    string Labels,
    long VolumeCapacity,
    long Volumes,
    long Scratch,
    long Private,
    long Mounted,
    long CapacityBytes,
    long BytesUsed,
    IReadOnlyList<string> Drives);

/// <summary>One thing the server did (a typed event), as the log said it.</summary>
/// <param name="Id">Increases by one per event since the server started.</param>
/// <param name="Time">When it was published.</param>
/// <param name="Type">The event's type, e.g. <c>VolumeMounted</c>.</param>
/// <param name="Level"><c>debug</c>, <c>info</c>, <c>warning</c> or <c>error</c>.</param>
/// <param name="Message">The log line.</param>
/// <param name="Device">The drive it concerns, four hex digits; null when none.</param>
/// <param name="Fields">The event's fields (volser, host, reason ...).</param>
public sealed record EventInfo(
    long Id, DateTimeOffset Time, string Type, string Level, string Message, string? Device, IReadOnlyDictionary<string, JsonElement> Fields);

/// <summary>The server's totals since it started.</summary>
public sealed record StatisticsInfo(
    DateTimeOffset StartedAt,
    double UptimeSeconds,
    long Ccws,
    long UnitChecks,
    long UnitExceptions,
    long BlocksRead,
    long BytesRead,
    long BlocksWritten,
    long BytesWritten,
    long Mounts,
    long MountRefusals,
    int ConnectionsOpen,
    long ConnectionsAccepted,
    long ConnectionsRefused,
    long ProtocolErrors);

/// <summary>Who the server is and where it listens.</summary>
/// <param name="Name">Server name and version, as HelloReply says it.</param>
/// <param name="Listen">The tape server's address (docs/protocol.md).</param>
/// <param name="Http">The management API's address.</param>
/// <param name="Drives">Drives served.</param>
/// <param name="WritesNeedToken">A secret is configured: writes need it as a bearer token.</param>
/// <param name="TransferFolder">HTTP import and export are possible (a transfer folder is configured).</param>
public sealed record ServerInfo(string Name, string Listen, string Http, int Drives, bool WritesNeedToken, bool TransferFolder);

/// <summary>An operator's mount on a drive: a library volume by its serial.</summary>
public sealed record MountRequestBody(string Volser, bool ReadOnly = false);

/// <summary>Volumes to add to the catalog.</summary>
/// <param name="Volumes">Serials or ranges (<c>T00100-T00199</c>).</param>
/// <param name="Pool">Their pool.</param>
/// <param name="Media">REEL, 3480 or 3490E; default: the pool's, else 3490E.</param>
/// <param name="Capacity">Bytes per volume; default: the pool's, else the media's.</param>
/// <param name="Labels">SL, AL or NL; default: the pool's, else SL.</param>
/// <param name="Scratch">Add them as scratch (true) or private; default: the pool's, else scratch.</param>
/// <param name="Format">aws or het; default: the storage format.</param>
public sealed record AddVolumesBody(
    IReadOnlyList<string> Volumes, string Pool, string? Media = null, long? Capacity = null, string? Labels = null, bool? Scratch = null, string? Format = null);

/// <summary>What adding volumes did.</summary>
public sealed record AddVolumesResult(string Pool, long Added, long Existing);

/// <summary>A volume's new pool.</summary>
public sealed record MoveBody(string Pool);

/// <summary>
/// An image to import as a volume: <paramref name="File"/> is a name inside the server's transfer folder.
/// A volume not yet in the catalog is added to <paramref name="Pool"/> (with <paramref name="Media"/> and
/// <paramref name="Capacity"/>); one that has an image already needs <paramref name="Replace"/>.
/// </summary>
public sealed record ImportBody(string File, string? Pool = null, string? Media = null, long? Capacity = null, string? Format = null, bool Replace = false);

/// <summary>A volume to export: <paramref name="File"/> is a new name inside the server's transfer folder.</summary>
public sealed record ExportBody(string File, string? Format = null);

/// <summary>What an import or export copied.</summary>
/// <param name="Volser">The volume.</param>
/// <param name="File">The file in the transfer folder.</param>
/// <param name="Outcome"><c>added</c> or <c>replaced</c> for an import, <c>exported</c> for an export.</param>
/// <param name="SourceFormat">AWS, HET or FakeTape.</param>
/// <param name="DestinationFormat">AWS or HET.</param>
/// <param name="Blocks">Data blocks copied.</param>
/// <param name="TapeMarks">Tape marks copied.</param>
/// <param name="Bytes">Size of the image written.</param>
public sealed record TransferResult(string Volser, string File, string Outcome, string SourceFormat, string DestinationFormat, long Blocks, long TapeMarks, long Bytes);
