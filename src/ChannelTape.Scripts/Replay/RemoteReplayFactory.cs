using ChannelTape.Channel;
using ChannelTape.Client;
using ChannelTape.Protocol;

namespace ChannelTape.Scripts.Replay;

/// <summary>
/// Replays against a drive of a running ChannelTape server (<c>ctape replay --json TEST.json
/// --server HOST:PORT</c>): the channel runs here, every CCW goes over the wire (docs/protocol.md).
/// Images are prepared in the work directory and mounted on the server by path, so the server must
/// see this machine's files (a server on the same host), as with CCW scripts.
/// <paramref name="features"/>: the streaming features (docs/protocol.md §5) the drive asks for.
/// </summary>
public sealed class RemoteReplayFactory(string host, int port, ProtocolFeatures features) : IReplayDeviceFactory
{
    /// <summary>
    /// Write-behind, read-ahead and read-ahead by reference: a replay gives the same result with them as
    /// without (every golden test, GoldenOverTheWireTests), only with fewer round trips.
    /// </summary>
    public const ProtocolFeatures DefaultFeatures = ProtocolFeatureRules.All;

    public RemoteReplayFactory(string host, int port)
        : this(host, port, DefaultFeatures)
    {
    }

    /// <summary>How long a mount's or unload's device end is waited for (it may arrive after the MountReply).</summary>
    private static readonly TimeSpan s_deviceEnd = TimeSpan.FromSeconds(2);

    /// <summary>The server the test ran on, e.g. <c>ChannelTape server at 127.0.0.1:7490</c>.</summary>
    public string Emulator => $"ChannelTape server at {(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port}";

    public IReplayDrive Create(string deviceType, ushort deviceNumber)
    {
        ushort model = deviceType switch
        {
            "3420" => 0x3420,
            "3480" => 0x3480,
            "3490" => 0x3490,
            _ => throw new ReplayFormatException($"device '{deviceType}' is not a ChannelTape model"),
        };
        if (!RemoteDevice.TryConnect(host, port, deviceNumber, model, "ctape replay", out var device, out var error, features))
        {
            throw new ReplayFormatException(error);
        }

        var drive = new Drive(device);
        if (device.Identity.VolumeLoaded)
        {
            drive.Unload(); // the test starts from its own tape (or none), not from what the server had
        }

        return drive;
    }

    private sealed class Drive(RemoteDevice device) : IReplayDrive
    {
        public IChannelDevice Device => device;

        public string? Mount(string path, IReadOnlyList<string> options) =>
            Request(string.Join(' ', options.Prepend(Path.GetFullPath(path))));

        public void Unload() => Request("*");

        public void Dispose()
        {
            if (device.IsConnected)
            {
                Request("*"); // release the image file
            }

            device.Dispose();
        }

        /// <summary>Mount frame, then the device end the server presents for it, before the next program starts.</summary>
        private string? Request(string arguments)
        {
            using var deviceEnd = new ManualResetEventSlim(false);
            void OnUnsolicited(IChannelDevice _, UnitStatus status)
            {
                if ((status & UnitStatus.DeviceEnd) != 0)
                {
                    deviceEnd.Set();
                }
            }

            device.UnsolicitedStatus += OnUnsolicited;
            try
            {
                if (device.MountOrRefusal(arguments) is { } refusal)
                {
                    return refusal;
                }

                deviceEnd.Wait(s_deviceEnd);
                return null;
            }
            finally
            {
                device.UnsolicitedStatus -= OnUnsolicited;
            }
        }
    }
}
