using System.Globalization;
using ChannelTape.Admin.Volumes;
using ChannelTape.Client.Management;
using ChannelTape.Labels;
using ChannelTape.Library;
using ChannelTape.Library.Catalog;
using ChannelTape.Runtime;

namespace ChannelTape.Management;

/// <summary>
/// The API's view of drives and volumes, read without stopping a drive: as the #DRIVE report reads them
/// (<see cref="LibraryAdminDataSource.DriveRow"/>), a snapshot taken beside the drive's own thread.
/// </summary>
public sealed class Snapshots(ManagedLibrary library, OperationsMonitor monitor, ThroughputSampler throughput)
{
    private readonly LibraryAdminDataSource _rows = new(library.View, library.Statistics, library.Time);

    public static string Hex(ushort device) => device.ToString("X4", CultureInfo.InvariantCulture);

    public IReadOnlyList<DriveStatus> Drives() => [.. library.View.Drives.Select(Drive)];

    public DriveStatus Drive(DriveRuntime drive)
    {
        var row = _rows.DriveRow(drive.Drive);
        var media = drive.Drive.Media;
        var state = drive.Volume;
        var lease = state.Lease;
        DriveVolume? volume = media is null ? null
            : new DriveVolume(lease?.Serial, lease is null ? media.Path : null, media.IsReadOnly, state.IsAdministrative, state.MountedAt);
        var pending = state.PendingRequest is { } request ? new PendingMount(request, state.PendingScratch, state.PendingRefusal?.Message) : null;
        var holder = drive.Holder is { } h ? new DriveHolder(drive.AttachedHost, h.Name, monitor.HelloName(h.Name)) : null;
        var counters = drive.Drive.Counters;
        var streaming = library.Server.StreamingTotals(drive.DeviceNumber);
        var (read, written) = throughput.Of(drive.DeviceNumber);
        return new DriveStatus(
            Hex(drive.DeviceNumber),
            drive.ModelNumber.ToString("X4", CultureInfo.InvariantCulture),
            row.State switch
            {
                "READY" => "loaded",
                "NOTREADY" => "waiting",
                "FENCED" => "fenced",
                _ => "empty",
            },
            row.Display,
            volume,
            pending,
            holder,
            media is null ? null : new DrivePosition(row.File, row.Block),
            new DriveCounters(counters.Ccws, counters.BlocksRead, counters.BytesRead, counters.BlocksWritten, counters.BytesWritten,
                counters.TapeMarksWritten, counters.UnitChecks, counters.Mounts, streaming.BufferedWrites, streaming.ReadAheadSent,
                streaming.ReadAheadReferred, streaming.ReadAheadReturned),
            new DriveThroughput(Math.Round(read), Math.Round(written)));
    }

    public static VolumeInfo Volume(VolumeRecord v) => new(
        v.Serial.Value,
        v.Pool,
        StatusName(v.Status),
        MediaTypes.Name(v.Media),
        v.Capacity,
        v.BytesUsed,
        v.Blocks,
        v.DataSetName,
        LabelTypes.Name(v.Labels),
        v.CreatedAt,
        v.LastMountedAt,
        v.LastWrittenAt,
        v.MountCount,
        v.ImagePath,
        v.ReadOnly,
        v.MountedOn is { } device ? Hex(device) : null,
        v.Status == VolumeStatus.Mounted && !string.IsNullOrEmpty(v.MountedBy) ? v.MountedBy : null);

    public static string StatusName(VolumeStatus status) => status switch
    {
        VolumeStatus.Scratch => "scratch",
        VolumeStatus.Private => "private",
        _ => "mounted",
    };
}
