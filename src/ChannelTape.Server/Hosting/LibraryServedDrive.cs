using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Library;
using ChannelTape.Library.Mounts;
using ChannelTape.Media;

namespace ChannelTape.Server.Hosting;

/// <summary>
/// One library drive served over the wire: CCWs go to the <see cref="LibraryDevice"/>; host-side
/// mounts (<c>devinit CUU volser|image [options]|*</c> through the bridge, Mount frames) go to the
/// library for volume serials and open the image directly for paths, as Hercules' devinit does.
/// </summary>
public sealed class LibraryServedDrive : IServedDrive
{
    private readonly LibraryManager _library;
    private readonly byte[] _senseId;

    public LibraryServedDrive(LibraryDevice device, LibraryManager library)
    {
        LibraryDevice = device;
        _library = library;
        _senseId = DeviceIdentity.SenseId(device.Drive.Model).ToArray();
    }

    public LibraryDevice LibraryDevice { get; }

    public IChannelDevice Device => LibraryDevice;

    public ushort Model => (ushort)LibraryDevice.Drive.Model;

    public ReadOnlySpan<byte> SenseId => _senseId;

    public int SenseCount => LibraryDevice.Drive.Model == TapeModel.Ibm3490 ? 32 : 24;

    public bool IsLoaded => LibraryDevice.Drive.IsLoaded;

    /// <summary>Who is attached now (remote address), for command-volume authorisation.</summary>
    public string Host { get; set; } = "local";

    /// <summary>Like Hercules' devlist line for a tape: volume, position and protection, or the pending request.</summary>
    public string DeviceListText => LibraryDevice.Use(() =>
    {
        var drive = LibraryDevice.Drive;
        var state = _library.State(drive.DeviceNumber);
        if (drive.Media is { } media)
        {
            string name = state?.VolumeSerial ?? media.Path;
            var position = media.Position;
            return $"{name} [{position.FileNumber}:{position.BlockNumber:X8}] IBM {(ushort)drive.Model:X4} {(media.IsReadOnly ? "R/O" : "R/W")}";
        }

        return state?.PendingRequest is { } request
            ? $"* (unloaded) mount pending: {request}{(state.PendingReason is { } why ? " - " + why : "")}"
            : "* (unloaded)";
    });

    public bool TryMount(string arguments, out string message)
    {
        string[] words = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        ushort device = LibraryDevice.Drive.DeviceNumber;
        if (words.Length == 0)
        {
            message = "nothing to mount";
            return false;
        }

        (bool ok, string text) = LibraryDevice.Use(() =>
        {
            if (words[0] == "*")
            {
                _library.UnloadNow(device);
                if (LibraryDevice.Drive.IsLoaded)
                {
                    LibraryDevice.Drive.Unload(); // an image mounted by path
                }

                return (true, "unloaded");
            }

            bool looksLikePath = words[0].Contains('/') || words[0].Contains('.');
            if (!looksLikePath && words.Length == 1 && words[0].Length <= VolumeSerial.Length)
            {
                string? refusal = _library.MountNow(device, words[0]);
                return refusal is null ? (true, $"{words[0]} mounted") : (false, refusal);
            }

            if (!TapeImageOptions.TryParse(words.Skip(1), out var options, out string? optionError))
            {
                return (false, optionError ?? "bad options");
            }

            if (!TapeImage.TryOpen(words[0], options, out var media, out string? openError))
            {
                return (false, openError ?? $"cannot open {words[0]}");
            }

            _library.MountImageNow(device, media);
            return (true, $"{words[0]} mounted");
        });
        message = text;
        return ok;
    }

    public void CloseVolume() => LibraryDevice.Use(() =>
    {
        _library.UnloadNow(LibraryDevice.Drive.DeviceNumber);
        LibraryDevice.Drive.Dispose();
        return true;
    });
}
