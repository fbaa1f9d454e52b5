using ChannelTape.Client;
using ChannelTape.Protocol;

namespace ChannelTape.Admin.Lms;

/// <summary>
/// The operator's controls of a drive (Hercules <c>devinit</c>), where a client has them: a mount that the
/// library answers at once, and an unload that also withdraws a request the drive waits for.
/// </summary>
public interface IDriveOperator
{
    /// <summary>Mounts what <paramref name="words"/> ask for (a volume serial, <c>*</c> to unload); null when done, else why not.</summary>
    string? Mount(string words);
}

/// <summary>The protocol's Mount message on a drive attached through <see cref="RemoteDevice"/> (docs/protocol.md).</summary>
public sealed class RemoteDriveOperator(RemoteDevice device) : IDriveOperator
{
    public string? Mount(string words)
    {
        var reply = device.Mount(words);
        return reply.Result == MountResult.Done ? null : reply.Message;
    }
}

/// <summary>The library refused a mount (unknown volume, mounted elsewhere, ...): said at once, nothing is left waiting.</summary>
public sealed class VolumeRefusedException(string volumeSerial, string reason) : IOException($"volume {volumeSerial}: {reason}")
{
    public string VolumeSerial { get; } = volumeSerial;

    public string Reason { get; } = reason;
}
