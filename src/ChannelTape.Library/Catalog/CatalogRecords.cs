using ChannelTape.Device;
using ChannelTape.Labels;

namespace ChannelTape.Library.Catalog;

/// <summary>Where a volume stands in the library.</summary>
public enum VolumeStatus
{
    /// <summary>Free: a non-specific (SCRTCH/PRIVAT) mount may take it.</summary>
    Scratch,
    /// <summary>Owned: mounted by serial only.</summary>
    Private,
    /// <summary>On a drive (or being put on one).</summary>
    Mounted,
}

/// <summary>State of a drive as the catalog records it.</summary>
public enum DriveState
{
    /// <summary>No volume.</summary>
    Empty,
    /// <summary>A volume was assigned; its image is being prepared.</summary>
    Mounting,
    /// <summary>The volume is loaded and ready.</summary>
    Loaded,
}

/// <summary>One volume of the catalog.</summary>
/// <param name="Serial">Volume serial.</param>
/// <param name="Pool">Pool it belongs to.</param>
/// <param name="Status">Scratch, private or mounted.</param>
/// <param name="Media">Media type.</param>
/// <param name="Capacity">Capacity in bytes.</param>
/// <param name="BytesUsed">Bytes of the image in use (written data and structure).</param>
/// <param name="Blocks">Data blocks on the volume.</param>
/// <param name="DataSetName">Data set identifier of the first HDR1 label, or null.</param>
/// <param name="Labels">Label type the volume was initialised with.</param>
/// <param name="CreatedAt">When the volume was added to the catalog.</param>
/// <param name="LastMountedAt">When it was last loaded on a drive, or null.</param>
/// <param name="LastWrittenAt">When it was last written, or null.</param>
/// <param name="MountCount">Completed mounts.</param>
/// <param name="ImagePath">Image file relative to the data directory, derived from the serial (<c>volumes/T00042.aws</c>).</param>
/// <param name="ReadOnly">True when the volume may not be written.</param>
/// <param name="MountedOn">Device number while mounted, else null.</param>
/// <param name="Stored">The image in the store (null without a store, or before the first upload).</param>
/// <param name="Dirty">Mounted-dirty: its image changed on <paramref name="MountedBy"/> and is not yet in the store.</param>
/// <param name="MountedBy">The server holding it in a shared catalog, else null.</param>
public sealed record VolumeRecord(
    VolumeSerial Serial,
    string Pool,
    VolumeStatus Status,
    MediaType Media,
    long Capacity,
    long BytesUsed,
    long Blocks,
    string? DataSetName,
    LabelType Labels,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastMountedAt,
    DateTimeOffset? LastWrittenAt,
    int MountCount,
    string ImagePath,
    bool ReadOnly,
    ushort? MountedOn,
    StoredImage? Stored = null,
    bool Dirty = false,
    string? MountedBy = null);

/// <summary>One drive of the catalog.</summary>
/// <param name="DeviceNumber">Device number.</param>
/// <param name="Model">Drive model.</param>
/// <param name="State">Empty, mounting or loaded.</param>
/// <param name="Volume">Volume assigned to the drive, or null when empty.</param>
/// <param name="UpdatedAt">When the state last changed.</param>
/// <param name="Server">The server the drive belongs to in a shared catalog ("" in the embedded one).</param>
public sealed record DriveRecord(ushort DeviceNumber, TapeModel Model, DriveState State, VolumeSerial? Volume, DateTimeOffset UpdatedAt, string Server = "");

/// <summary>One mount: requested, (perhaps) loaded, and (perhaps) unloaded.</summary>
/// <param name="Id">Mount identifier.</param>
/// <param name="Serial">Volume mounted.</param>
/// <param name="DeviceNumber">Drive.</param>
/// <param name="RequestedAt">When the mount was asked for.</param>
/// <param name="MountedAt">When the volume was ready on the drive; null if it never was.</param>
/// <param name="UnmountedAt">When it was unloaded (or the mount abandoned); null while mounted.</param>
/// <param name="ScratchRequest">True for a non-specific (scratch) request.</param>
/// <param name="Server">The server whose drive it is in a shared catalog ("" in the embedded one).</param>
public sealed record MountRecord(
    long Id,
    VolumeSerial Serial,
    ushort DeviceNumber,
    DateTimeOffset RequestedAt,
    DateTimeOffset? MountedAt,
    DateTimeOffset? UnmountedAt,
    bool ScratchRequest,
    string Server = "");

/// <summary>Attributes of volumes being added.</summary>
/// <param name="Pool">Pool (see <see cref="PoolNames"/>).</param>
/// <param name="Media">Media type.</param>
/// <param name="Capacity">Capacity in bytes, more than 0.</param>
/// <param name="Labels">Label type to initialise them with.</param>
/// <param name="Scratch">True to add them as scratch, false as private.</param>
/// <param name="Format">Image format, which gives the image file's extension.</param>
public sealed record NewVolumes(string Pool, MediaType Media, long Capacity, LabelType Labels, bool Scratch, Configuration.ImageFileKind Format);

/// <summary>Outcome of a change to one volume.</summary>
public enum VolumeChange
{
    /// <summary>Done.</summary>
    Changed,
    /// <summary>No such volume.</summary>
    NotFound,
    /// <summary>Refused: the volume is mounted.</summary>
    Mounted,
}

/// <summary>Why a mount could not start.</summary>
public enum MountRefusal
{
    /// <summary>The mount started.</summary>
    None,
    /// <summary>The drive is not in the catalog.</summary>
    UnknownDrive,
    /// <summary>The drive already has a volume.</summary>
    DriveBusy,
    /// <summary>No volume with that serial.</summary>
    UnknownVolume,
    /// <summary>The volume is on another drive.</summary>
    VolumeMounted,
    /// <summary>The pool has no scratch volume left.</summary>
    NoScratchVolume,
}

/// <summary>Result of <see cref="LibraryCatalog.BeginMount"/> or <see cref="LibraryCatalog.TryAllocateScratch"/>.</summary>
/// <param name="Refusal"><see cref="MountRefusal.None"/> when the mount started.</param>
/// <param name="MountId">Identifier to complete or end the mount with (0 when refused).</param>
/// <param name="Volume">The volume as it now stands (null when refused).</param>
public sealed record MountStart(MountRefusal Refusal, long MountId, VolumeRecord? Volume)
{
    public bool Started => Refusal == MountRefusal.None;
}

/// <summary>Counts of one pool's volumes by status.</summary>
public sealed record PoolCounts(string Pool, long Scratch, long Private, long Mounted)
{
    public long Total => Scratch + Private + Mounted;
}

/// <summary>What a catalog sync from the configuration changed.</summary>
public sealed record CatalogSyncResult(long VolumesAdded, int DrivesAdded, int DrivesUpdated, int DrivesRemoved);
