using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;
using ChannelTape.Server;

namespace ChannelTape.Tests.Shared;

/// <summary>
/// A TapeDrive served by a <see cref="TapeServer"/> in tests, mounting images as Hercules' devinit and the
/// in-process replay (TapeDriveReplayFactory) do: <c>PATH [options]</c> or <c>*</c>. Like <c>ctape serve</c>'s
/// drives it exposes its <see cref="Tape"/>, so write-behind and read-ahead work on it (docs/protocol.md §5).
/// Linked into the test projects that serve drives this way.
/// </summary>
internal sealed class ServedTapeDrive(TapeDrive drive) : IServedDrive
{
    public IChannelDevice Device => drive;

    public TapeDrive? Tape => drive;

    public SemaphoreSlim Gate { get; } = new(1, 1);

    public void SetAttachedHost(string host)
    {
    }

    public ushort Model => (ushort)drive.Model;

    public ReadOnlySpan<byte> SenseId => DeviceIdentity.SenseId(drive.Model);

    public int SenseCount => SenseBuilder.SenseCount(drive.Model);

    public bool IsLoaded => drive.IsLoaded;

    public string DeviceListText => drive.IsLoaded ? drive.Media!.Path : "*";

    public bool TryMount(string arguments, out string message)
    {
        var words = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words is ["*"])
        {
            drive.Unload();
            message = "unloaded";
            return true;
        }

        if (words.Length == 0)
        {
            message = "nothing to mount";
            return false;
        }

        if (!TapeImageOptions.TryParse(words[1..], out var options, out var error))
        {
            message = error ?? "bad device options";
            return false;
        }

        if (!TapeImage.TryOpen(words[0], options, out var media, out error))
        {
            // As TapeDriveReplayFactory: Hercules' devinit with a file it cannot open leaves the drive empty.
            if (drive.IsLoaded)
            {
                drive.Unload();
            }

            message = error ?? "cannot open " + words[0];
            return false;
        }

        drive.Mount(media!);
        message = "mounted";
        return true;
    }

    public void CloseVolume() => drive.Unload();
}
