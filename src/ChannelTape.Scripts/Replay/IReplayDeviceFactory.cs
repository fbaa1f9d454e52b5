using ChannelTape.Channel;

namespace ChannelTape.Scripts.Replay;

/// <summary>A tape drive the replay runs a test against, with the operator's mount and unload.</summary>
public interface IReplayDrive : IDisposable
{
    /// <summary>The drive as the channel sees it.</summary>
    IChannelDevice Device { get; }

    /// <summary>
    /// Mounts the image at <paramref name="path"/> with the device-statement option words
    /// (<c>ro</c>, <c>maxsizeK=</c>, ...), replacing any mounted volume. Returns null on success,
    /// else why not (the drive is then left unloaded, as Hercules leaves a device whose init failed).
    /// </summary>
    string? Mount(string path, IReadOnlyList<string> options);

    /// <summary>Unloads the drive (operator <c>devinit CUU *</c>), closing the image.</summary>
    void Unload();
}

/// <summary>Creates the drive of a test (device type "3420", "3480" or "3490").</summary>
public interface IReplayDeviceFactory
{
    IReplayDrive Create(string deviceType, ushort deviceNumber);

    /// <summary>What ran the test, for the result's <c>emulator</c> field.</summary>
    string Emulator => "ChannelTape in-process replay";
}
