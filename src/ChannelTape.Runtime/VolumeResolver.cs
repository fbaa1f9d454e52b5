using System.Diagnostics.CodeAnalysis;
using ChannelTape.Labels;
using ChannelTape.Media;

namespace ChannelTape.Runtime;

/// <summary>
/// Turns a volume serial into a volume ready to mount, or a typed refusal: the library's catalog, with
/// administrative volumes as a resolver placed in front of it (docs/admin-volumes.md).
/// </summary>
public interface IVolumeResolver
{
    /// <summary>
    /// The volume <paramref name="request"/> asks for, held for the drive until the lease is released; or
    /// why not. Never throws for anything a host can ask.
    /// </summary>
    VolumeResolution Resolve(in VolumeRequest request);
}

/// <summary>What a drive asks the library for.</summary>
/// <param name="Serial">The volume serial, or for a <paramref name="Scratch"/> request the word the host used (SCRTCH, PRIVAT).</param>
/// <param name="Scratch">Any scratch volume of <paramref name="ScratchPool"/> will do.</param>
/// <param name="ScratchPool">The drive's scratch pool (scratch requests only); null when it has none.</param>
/// <param name="DeviceNumber">The drive.</param>
/// <param name="Host">Who holds the drive (the peer address; command-volume authorisation).</param>
/// <param name="Options">Image options the mount asked for (<c>ro</c> ...); the library's own settings for the volume win where they say more.</param>
/// <param name="Requester">What the host that holds the drive may do (pools, command volumes); null = an in-process caller (<see cref="HostAuthority.Local"/>).</param>
/// <param name="Labels">The labels the host expects of a scratch volume (its mount message's label type); null: the pool's.</param>
public readonly record struct VolumeRequest(string Serial, bool Scratch, string? ScratchPool, ushort DeviceNumber, string Host, TapeImageOptions Options,
    HostAuthority? Requester = null, LabelType? Labels = null)
{
    /// <summary><see cref="Requester"/>, an in-process caller when none is given.</summary>
    public HostAuthority Authority => Requester ?? HostAuthority.Local;
}

/// <summary>Why a volume could not be mounted.</summary>
public enum VolumeRefusalReason
{
    /// <summary>The words name no volume (not six volume serial characters, or no such image file).</summary>
    NotAVolumeSerial,
    /// <summary>The library has no such volume.</summary>
    UnknownVolume,
    /// <summary>The volume is mounted on another drive.</summary>
    VolumeMounted,
    /// <summary>The drive's pool has no scratch volume left.</summary>
    NoScratchVolume,
    /// <summary>The drive has no scratch pool.</summary>
    NoScratchPool,
    /// <summary>The drive has a mount in progress in the catalog.</summary>
    DriveBusy,
    /// <summary>The drive is not in the catalog.</summary>
    UnknownDrive,
    /// <summary>The image could not be opened or created.</summary>
    CannotOpen,
    /// <summary>An administrative volume could not be built.</summary>
    AdministrativeVolumeFailed,
    /// <summary>The drive serves image paths only: there is no library to ask for a volume serial.</summary>
    NoLibrary,
    /// <summary>The mount words are not understood (bad options).</summary>
    BadRequest,
    /// <summary>The volume's image is being recalled from the store: the mount is in progress and completes when it is here.</summary>
    Recalling,
    /// <summary>The server lost its lease on the shared catalog and mounts nothing until it holds one again.</summary>
    Fenced,
    /// <summary>The volume's media is not one the drive's model takes (a 3490E cartridge on a 3480).</summary>
    MediaNotSupported,
    /// <summary>The host may not mount this (another host's pool, a path outside the image folders, no permission; docs/security.md).</summary>
    NotAuthorised,
    /// <summary>The volume's catalog row was quarantined at start (it could not be read); an operator must repair it.</summary>
    Quarantined,
    /// <summary>The file system holding the library is full: the image could not be created or the catalog not written.</summary>
    DiskFull,
}

/// <summary>A refusal the drive reports to whoever asked, with the operator's wording.</summary>
public sealed record VolumeRefusal(VolumeRefusalReason Reason, string Message);

/// <summary>The answer of <see cref="IVolumeResolver.Resolve"/>: a lease, or a refusal.</summary>
public readonly struct VolumeResolution
{
    private VolumeResolution(VolumeLease? lease, VolumeRefusal? refusal)
    {
        Lease = lease;
        Refusal = refusal;
    }

    public VolumeLease? Lease { get; }

    public VolumeRefusal? Refusal { get; }

    [MemberNotNullWhen(true, nameof(Lease))]
    [MemberNotNullWhen(false, nameof(Refusal))]
    public bool Resolved => Lease is not null;

    public static VolumeResolution Of(VolumeLease lease) => new(lease ?? throw new ArgumentNullException(nameof(lease)), null);

    public static VolumeResolution Refused(VolumeRefusalReason reason, string message) => new(null, new VolumeRefusal(reason, message));

    public static implicit operator VolumeResolution(VolumeRefusal refusal) => new(null, refusal);
}

/// <summary>
/// A volume held for a drive: the media to mount and how to give the volume back. The catalog's lease
/// records what was written and ends the mount; an administrative volume's lease processes the commands
/// a host wrote to it.
/// </summary>
public abstract class VolumeLease
{
    protected VolumeLease(string serial, ITapeMedia media)
    {
        Serial = serial;
        Media = media;
    }

    /// <summary>The volume serial.</summary>
    public string Serial { get; }

    /// <summary>The opened volume, to be mounted on the drive (the drive owns it from then on).</summary>
    public ITapeMedia Media { get; }

    /// <summary>An administrative or command volume, built on request rather than kept in the catalog.</summary>
    public virtual bool IsAdministrative => false;

    /// <summary>
    /// Gives the volume back after the drive let go of it (unloaded, or never mounted): records what
    /// <paramref name="release"/> says was written. After a Rewind Unload it runs once the drive is free again
    /// (the host's next CCW does not wait for it), before the drive's later library work; a mount of the same
    /// volume waits for it. Failures are reported, not thrown.
    /// </summary>
    public abstract void Release(in VolumeRelease release);
}

/// <summary>What the drive did with a leased volume.</summary>
/// <param name="DeviceNumber">The drive.</param>
/// <param name="Host">Who held the drive.</param>
/// <param name="BlocksWritten">Blocks and tape marks written while the volume was mounted (0: read only, nothing to record).</param>
/// <param name="Holder">What the host that held the drive at the unload may do; null = an in-process caller.</param>
public readonly record struct VolumeRelease(ushort DeviceNumber, string Host, long BlocksWritten, HostAuthority? Holder = null);
