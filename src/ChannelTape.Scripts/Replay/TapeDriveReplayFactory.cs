using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;

namespace ChannelTape.Scripts.Replay;

/// <summary>Replays against ChannelTape's own drive (<see cref="TapeDrive"/>) over an image file (<see cref="TapeImage"/>).</summary>
public sealed class TapeDriveReplayFactory : IReplayDeviceFactory
{
    public IReplayDrive Create(string deviceType, ushort deviceNumber)
    {
        var model = deviceType switch
        {
            "3420" => TapeModel.Ibm3420,
            "3480" => TapeModel.Ibm3480,
            "3490" => TapeModel.Ibm3490,
            _ => throw new ReplayFormatException($"device '{deviceType}' is not a ChannelTape model"),
        };
        return new Drive(new TapeDrive(model, deviceNumber));
    }

    private sealed class Drive(TapeDrive drive) : IReplayDrive
    {
        public IChannelDevice Device => drive;

        public string? Mount(string path, IReadOnlyList<string> options)
        {
            if (!TapeImageOptions.TryParse(options, out var parsed, out var error))
            {
                return error ?? "bad device options";
            }

            if (!TapeImage.TryOpen(path, parsed, out var media, out error))
            {
                // Hercules' devinit with a file it cannot open leaves the drive empty.
                if (drive.IsLoaded)
                {
                    drive.Unload();
                }

                return error ?? $"{path}: cannot open";
            }

            drive.Mount(media!);
            return null;
        }

        public void Unload() => drive.Unload();

        public void Dispose() => drive.Dispose();
    }
}
