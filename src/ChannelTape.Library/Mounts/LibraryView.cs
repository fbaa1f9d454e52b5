using ChannelTape.Device;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Runtime;

namespace ChannelTape.Library.Mounts;

/// <summary>What a drive looks like to the library: its volume or the request it waits for (a snapshot).</summary>
public sealed record DriveLibraryState(
    ushort DeviceNumber,
    TapeModel Model,
    string? VolumeSerial,
    bool ReadOnly,
    string? PendingRequest,
    string? PendingReason,
    DateTimeOffset? MountedAt,
    bool SpecialVolume);

/// <summary>
/// The library as readers see it: its configuration, its catalog and its drives with what each holds or
/// waits for. Built before the library manager and the administrative volumes, so the status reports read
/// it without needing the manager (which needs the administrative volumes to mount them).
/// </summary>
public sealed class LibraryView
{
    private readonly Dictionary<ushort, DriveRuntime> _byNumber;

    public LibraryView(LibraryConfiguration configuration, LibraryCatalog catalog, IEnumerable<DriveRuntime> drives)
    {
        Configuration = configuration;
        Catalog = catalog;
        Drives = [.. drives.OrderBy(d => d.DeviceNumber)];
        _byNumber = Drives.ToDictionary(d => d.DeviceNumber);
    }

    public LibraryConfiguration Configuration { get; }

    public LibraryCatalog Catalog { get; }

    /// <summary>Every drive of the library, by device number.</summary>
    public IReadOnlyList<DriveRuntime> Drives { get; }

    /// <summary>The drive at <paramref name="deviceNumber"/>, or null.</summary>
    public DriveRuntime? Drive(ushort deviceNumber) => _byNumber.GetValueOrDefault(deviceNumber);

    /// <summary>Every drive's state.</summary>
    public IReadOnlyList<DriveLibraryState> States() => [.. Drives.Select(StateOf)];

    /// <summary>The state of the drive at <paramref name="deviceNumber"/>, or null when there is none.</summary>
    public DriveLibraryState? State(ushort deviceNumber) => Drive(deviceNumber) is { } drive ? StateOf(drive) : null;

    /// <summary>The volume serial on the drive at <paramref name="deviceNumber"/>, or null.</summary>
    public string? VolumeOn(ushort deviceNumber) => Drive(deviceNumber)?.Volume.VolumeSerial;

    private static DriveLibraryState StateOf(DriveRuntime drive)
    {
        var volume = drive.Volume;
        return new DriveLibraryState(drive.DeviceNumber, drive.Model, volume.VolumeSerial, drive.Drive.Media?.IsReadOnly ?? false,
            volume.PendingRequest, volume.PendingRefusal?.Message, volume.MountedAt, volume.IsAdministrative);
    }
}
