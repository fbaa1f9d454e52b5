using System.Diagnostics.CodeAnalysis;
using ChannelTape.Channel;
using ChannelTape.Device;

namespace ChannelTape.Server;

/// <summary>
/// The drives a <see cref="TapeServer"/> serves. The server owns their state across connections; the
/// host only says which drives exist and what they are (configuration, the library issue).
/// </summary>
public interface IDriveHost
{
    /// <summary>Every configured drive.</summary>
    IReadOnlyCollection<IServedDrive> Drives { get; }

    /// <summary>The drive with device number <paramref name="deviceNumber"/>, if configured.</summary>
    bool TryGetDrive(ushort deviceNumber, [NotNullWhen(true)] out IServedDrive? drive);
}

/// <summary>
/// One configured drive: the channel device plus the operations that need tape meaning (mount, identity,
/// devlist text). The server calls every member with the drive's gate held, one call at a time, except
/// <see cref="IChannelDevice.Halt"/>, which it calls while a CCW runs.
/// </summary>
public interface IServedDrive
{
    /// <summary>The device that executes CCWs.</summary>
    IChannelDevice Device { get; }

    /// <summary>
    /// Held by whoever uses the drive: the server for each CCW, mount and query, and the drive's own
    /// posted library work (a mount asked for by Load Display runs after the CCW that asked).
    /// </summary>
    SemaphoreSlim Gate { get; }

    /// <summary>Model as BCD-like hex, e.g. <c>0x3490</c> (AttachReply).</summary>
    ushort Model { get; }

    /// <summary>Sense ID bytes the guest sees (<c>FF 3490 50 3490 50</c>); empty for a 3420.</summary>
    ReadOnlySpan<byte> SenseId { get; }

    /// <summary>Number of sense bytes the drive reports (24 or 32).</summary>
    int SenseCount { get; }

    /// <summary>True when a volume is loaded.</summary>
    bool IsLoaded { get; }

    /// <summary>The text Hercules shows for the device in <c>devlist</c>.</summary>
    string DeviceListText { get; }

    /// <summary>
    /// Mounts <c>image [options]</c> (or a volser known to the library), or unloads for <c>*</c>, as Hercules'
    /// <c>devinit</c> does; a successful mount or unload presents device end through
    /// <see cref="IChannelDevice.UnsolicitedStatus"/>. False with the reason when refused.
    /// </summary>
    bool TryMount(string arguments, out string message);

    /// <summary>The address of the host that attached the drive (command-volume authorisation).</summary>
    void SetAttachedHost(string host);

    /// <summary>Flushes and closes the volume (server shutdown).</summary>
    void CloseVolume();

    /// <summary>
    /// The tape drive behind <see cref="Device"/>, for write-behind and read-ahead (docs/protocol.md §5:
    /// write credit, read-ahead batches, deferred unit check); null for a drive without tape meaning,
    /// which then gets no credit and sends no read-ahead.
    /// </summary>
    TapeDrive? Tape => null;
}
