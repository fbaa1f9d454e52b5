using Microsoft.Extensions.Logging;

namespace ChannelTape.Runtime.Events;

/// <summary>Who asked for a mount or an unload.</summary>
public enum MountSource
{
    /// <summary>The host's Load Display mount or demount message (the library's robot).</summary>
    LoadDisplay,
    /// <summary>An operator: the wire protocol's Mount or Attach words, Hercules' devinit, <c>ctape mount</c>.</summary>
    Operator,
    /// <summary>The host's Rewind Unload.</summary>
    RewindUnload,
    /// <summary>The server shutting down.</summary>
    Shutdown,
    /// <summary>The server lost its lease on a shared catalog and took its volumes off its drives (docs/scale-out.md).</summary>
    Fence,
}

/// <summary>A volume was asked for on a drive: <paramref name="Request"/> is a volume serial, SCRTCH/PRIVAT, or an image path.</summary>
public sealed record MountRequested(ushort DeviceNumber, string Request, MountSource Source) : DriveEvent(DeviceNumber)
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message => $"drive {Drive}: mount of {Request} requested ({Source}{OnHost})";
}

/// <summary>A volume is on the drive and ready: <paramref name="Volume"/> is its serial, or the image path.</summary>
public sealed record VolumeMounted(ushort DeviceNumber, string Volume, bool ReadOnly, MountSource Source) : DriveEvent(DeviceNumber)
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message => $"drive {Drive}: {Volume} mounted {(ReadOnly ? "R/O" : "R/W")} ({Source}{OnHost})";
}

/// <summary>
/// A mount could not be done. <paramref name="Pending"/>: the request stays waiting on the drive (a Load
/// Display request the library retries when the volume is free), as an operator would see it.
/// </summary>
public sealed record MountRefused(ushort DeviceNumber, string Request, MountSource Source, VolumeRefusal Refusal, bool Pending) : DriveEvent(DeviceNumber)
{
    public override LogLevel Level => LogLevel.Warning;

    public override string Message =>
        $"drive {Drive}: mount of {Request} refused ({Source}{OnHost}): {Refusal.Message}{(Pending ? "; the request stays pending" : "")}";
}

/// <summary>The drive's volume was taken out (<paramref name="Volume"/>: its serial or path; null when the drive was already empty).</summary>
public sealed record VolumeUnloaded(ushort DeviceNumber, string? Volume, MountSource Source) : DriveEvent(DeviceNumber)
{
    /// <summary>An unload of an empty drive (the module's attach with <c>*</c>) is chatter; a volume taken out is news.</summary>
    public override LogLevel Level => Volume is null ? LogLevel.Debug : LogLevel.Information;

    public override string Message => $"drive {Drive}: {(Volume is null ? "unloaded" : $"{Volume} unloaded")} ({Source}{OnHost})";
}

/// <summary>Work posted to run after a CCW (a library mount, a release) failed with a bug; the drive goes on.</summary>
public sealed record DriveWorkFailed(ushort DeviceNumber, Exception Failure) : DriveEvent(DeviceNumber)
{
    public override LogLevel Level => LogLevel.Error;

    public override string Message => $"drive {Drive}: library work failed: {Failure}";
}

/// <summary>
/// A non-specific request (SCRTCH, PRIVAT) was given a scratch volume: <paramref name="Volume"/> of
/// <paramref name="Pool"/>, which the host now owns.
/// </summary>
public sealed record ScratchAllocated(ushort DeviceNumber, string Request, string Volume, string? Pool) : DriveEvent(DeviceNumber)
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message => $"drive {Drive}: scratch volume {Volume}{(Pool is null ? "" : $" of pool {Pool}")} allocated for {Request}{OnHost}";
}

/// <summary>
/// A CCW of the guest ended with unit check: the command, the sense the host will read and its error
/// recovery action (byte 3), on <paramref name="Volume"/> (serial or image path; null when the drive is
/// empty). Rewind Unload's own unit check (environmental data present, docs/reference/hercules-tape.md §1.2)
/// is not one of these: every Rewind Unload ends with it.
/// </summary>
public sealed record UnitCheckPresented(ushort DeviceNumber, string? Volume, byte Command, string SenseHex, byte Era) : DriveEvent(DeviceNumber)
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message =>
        $"drive {Drive}: unit check on CCW {Command:X2}{(Volume is null ? "" : $" with {Volume}")}{OnHost}: "
        + $"{Device.SenseBuilder.EraDescription(Era)} (ERA {Era:X2}), sense {SenseHex}";
}

/// <summary>
/// A write-type CCW went past the end-of-tape marker (unit exception, docs/reference/hercules-tape.md §2.1): the
/// host should finish the volume. Said once per mount.
/// </summary>
public sealed record EndOfTapeReached(ushort DeviceNumber, string? Volume, byte Command) : DriveEvent(DeviceNumber)
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message =>
        $"drive {Drive}: {(Volume is null ? "the volume" : Volume)} is past the end-of-tape marker (CCW {Command:X2}){OnHost}; the host should close it";
}
