using ChannelTape.Media;

namespace ChannelTape.Library.Mounts;

/// <summary>
/// Runs library work on a drive after the CCW in progress has ended, serialised with the
/// drive's channel programs. Load Display and Rewind Unload raise their events inside the CCW;
/// the mount they ask for must wait until that CCW has returned its status (a real library's
/// robot also starts after the command ends), and must never run beside another CCW.
/// </summary>
public interface IDriveScheduler
{
    void Post(Action work);
}

/// <summary>
/// Volumes the library does not keep in its catalog but builds on request: the administrative
/// volumes (issue 5). Implemented outside the library (ChannelTape.Admin).
/// </summary>
public interface ISpecialVolumeProvider
{
    /// <summary>True if <paramref name="volumeSerial"/> is one of these volumes; then <paramref name="media"/> is ready to mount.</summary>
    bool TryOpen(string volumeSerial, ushort deviceNumber, string host, out ITapeMedia? media, out string? error);

    /// <summary>The volume was unloaded (command volumes process what the host wrote).</summary>
    void OnUnloaded(string volumeSerial, ushort deviceNumber, string host);
}
