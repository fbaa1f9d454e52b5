using ChannelTape.Runtime.Events;
using Microsoft.Extensions.Logging;

namespace ChannelTape.Library.Store;

/// <summary>A volume's image was recalled from the store for a mount waiting on <paramref name="DeviceNumber"/> (the library retries it).</summary>
public sealed record VolumeRecalled(ushort DeviceNumber, string Volume, long Bytes, TimeSpan Took) : DriveEvent(DeviceNumber)
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message =>
        $"{DeviceNumber:X4}: recalled {Volume} from the store, {Bytes} bytes in {Took.TotalSeconds:0.0} s";
}

/// <summary>A recall failed; the mount waiting for it is refused.</summary>
public sealed record VolumeRecallFailed(ushort DeviceNumber, string Volume, string Reason) : DriveEvent(DeviceNumber)
{
    public override LogLevel Level => LogLevel.Warning;

    public override string Message => $"{DeviceNumber:X4}: recall of {Volume} failed: {Reason}";
}

/// <summary>A changed image reached the store after a demount; the volume is free for other servers.</summary>
public sealed record VolumeUploaded(ushort DeviceNumber, string Volume, long Bytes, int Attempts) : DriveEvent(DeviceNumber)
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message =>
        $"{DeviceNumber:X4}: uploaded {Volume} to the store, {Bytes} bytes{(Attempts > 1 ? $" after {Attempts} attempts" : "")}";
}

/// <summary>An upload failed: the volume stays mounted-dirty (held, its image only here) and is retried.</summary>
public sealed record VolumeUploadDeferred(ushort DeviceNumber, string Volume, int Attempts, TimeSpan RetryIn, string Reason) : DriveEvent(DeviceNumber)
{
    public override LogLevel Level => LogLevel.Warning;

    public override string Message =>
        $"{DeviceNumber:X4}: upload of {Volume} failed (attempt {Attempts}), kept mounted-dirty, retry in {RetryIn.TotalSeconds:0} s: {Reason}";
}

/// <summary>
/// The mount of <paramref name="Volume"/> was ended by another server while this one was cut off (its lease
/// ran out): what was written under it is not the volume's image; the cached copy is kept aside.
/// </summary>
public sealed record VolumeWritesFenced(ushort DeviceNumber, string Volume, string KeptAt) : DriveEvent(DeviceNumber)
{
    public override LogLevel Level => LogLevel.Error;

    public override string Message =>
        $"{DeviceNumber:X4}: lost the lease on {Volume} before its image reached the store; this server's copy is kept at {KeptAt}";
}
