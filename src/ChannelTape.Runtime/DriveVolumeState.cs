using ChannelTape.Labels;
using ChannelTape.Media;
using ChannelTape.Runtime.Events;

namespace ChannelTape.Runtime;

/// <summary>
/// The library's part of a drive: the library volume it has mounted (the lease), since when, and the
/// request it waits for when the library could not satisfy one yet (a pending mount, visible to an
/// operator with its reason). Changed only by the library, under the drive's executor; read by anyone
/// (reports take a snapshot, as an operator's panel would).
/// </summary>
public sealed class DriveVolumeState
{
    /// <summary>The library volume on the drive; null when the drive is empty or holds an image mounted by path.</summary>
    public VolumeLease? Lease { get; private set; }

    /// <summary>The serial of <see cref="Lease"/>.</summary>
    public string? VolumeSerial => Lease?.Serial;

    /// <summary>The volume on the drive is an administrative or command volume.</summary>
    public bool IsAdministrative => Lease?.IsAdministrative ?? false;

    /// <summary>When <see cref="Lease"/> was mounted.</summary>
    public DateTimeOffset? MountedAt { get; private set; }

    /// <summary>The drive's blocks and tape marks written when <see cref="Lease"/> was mounted.</summary>
    public long WrittenAtMount { get; private set; }

    /// <summary>The request the drive waits for (a volume serial, SCRTCH or PRIVAT); null when none.</summary>
    public string? PendingRequest { get; private set; }

    /// <summary><see cref="PendingRequest"/> asks for any scratch volume.</summary>
    public bool PendingScratch { get; private set; }

    /// <summary>The labels <see cref="PendingRequest"/> expects of a scratch volume; null: the pool's.</summary>
    public LabelType? PendingLabels { get; private set; }

    /// <summary>Why <see cref="PendingRequest"/> could not be mounted yet; null before the first try.</summary>
    public VolumeRefusal? PendingRefusal { get; private set; }

    /// <summary>The library mounted <paramref name="lease"/>; the request it satisfied is no longer pending.</summary>
    public void Mounted(VolumeLease lease, DateTimeOffset at, long writtenAtMount)
    {
        Lease = lease;
        MountedAt = at;
        WrittenAtMount = writtenAtMount;
        PendingRequest = null;
        PendingScratch = false;
        PendingLabels = null;
        PendingRefusal = null;
    }

    /// <summary>The library gave the volume back; returns the lease it held.</summary>
    public VolumeLease? Released()
    {
        var lease = Lease;
        Lease = null;
        MountedAt = null;
        return lease;
    }

    /// <summary>The drive waits for <paramref name="request"/>; a scratch volume with <paramref name="labels"/> (null: the pool's).</summary>
    public void Wait(string request, bool scratch, LabelType? labels = null)
    {
        PendingRequest = request;
        PendingScratch = scratch;
        PendingLabels = scratch ? labels : null;
        PendingRefusal = null;
    }

    /// <summary>The pending request could not be mounted, for <paramref name="refusal"/>.</summary>
    public void Refused(VolumeRefusal refusal) => PendingRefusal = refusal;

    /// <summary>The drive no longer waits for anything.</summary>
    public void StopWaiting()
    {
        PendingRequest = null;
        PendingScratch = false;
        PendingLabels = null;
        PendingRefusal = null;
    }
}

/// <summary>
/// The library a drive belongs to, as the drive runtime sees it: the operator's mount of a volume serial
/// and the operator's unload go through it, so the catalog knows. Implemented by the library manager.
/// </summary>
public interface IDriveLibrary
{
    /// <summary>Mounts the library volume <paramref name="serial"/> now (under the drive's executor); null when done, else why not.</summary>
    VolumeRefusal? MountNow(DriveRuntime drive, VolumeSerialRequest serial);

    /// <summary>
    /// Gives the drive's library volume back and unloads it, and forgets a pending request (under the
    /// drive's executor); returns the serial given back, or null when the drive held no library volume.
    /// </summary>
    string? UnloadNow(DriveRuntime drive, MountSource source);
}

/// <summary>
/// An operator's mount of a library volume: its serial, the image options asked for, who asks (null = an in-process caller),
/// and the labels the host expects of a scratch volume (null: the pool's).
/// </summary>
public readonly record struct VolumeSerialRequest(string Serial, TapeImageOptions Options, HostAuthority? Requester = null, LabelType? Labels = null);
