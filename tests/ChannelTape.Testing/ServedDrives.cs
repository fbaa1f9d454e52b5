using System.Net;
using ChannelTape.Channel;
using ChannelTape.Client;
using ChannelTape.Device;
using ChannelTape.Runtime;
using ChannelTape.Runtime.Events;
using ChannelTape.Server;

namespace ChannelTape.Testing;

/// <summary>
/// Drives without a library served by the real server on 127.0.0.1, port 0: each a <see cref="DriveRuntime"/>
/// with a gated executor, as <c>ctape serve</c> runs its drives, that mounts image paths (<c>PATH [options]</c>)
/// and <c>*</c> as Hercules' devinit does. Every event is recorded.
/// </summary>
public sealed class ServedDrives : IAsyncDisposable
{
    private readonly Dictionary<ushort, DriveRuntime> _drives = [];

    /// <param name="drives">Model and device number of each drive.</param>
    /// <param name="options">Server options; the listening address is always 127.0.0.1 port 0.</param>
    /// <param name="decorate">A device put in front of every drive (a probe), or null.</param>
    public ServedDrives(IEnumerable<(TapeModel Model, ushort DeviceNumber)> drives, TapeServerOptions? options = null,
        Func<IChannelDevice, IChannelDevice>? decorate = null)
    {
        Recorder = new EventRecorder(Events);
        foreach (var (model, number) in drives)
        {
            _drives.Add(number, new DriveRuntime(new TapeDrive(model, number),
                new GatedDriveExecutor(e => Events.Publish(new DriveWorkFailed(number, e))), Events, decorate));
        }

        Server = new TapeServer(_drives.Values, (options ?? new TapeServerOptions()) with { Listen = new IPEndPoint(IPAddress.Loopback, 0) }, Events);
        Server.Start();
    }

    /// <summary>One drive of <paramref name="model"/> at <paramref name="deviceNumber"/>.</summary>
    public ServedDrives(TapeModel model, ushort deviceNumber, TapeServerOptions? options = null)
        : this([(model, deviceNumber)], options)
    {
    }

    public TapeEventHub Events { get; } = new();

    public EventRecorder Recorder { get; }

    public TapeServer Server { get; }

    public IPEndPoint EndPoint => Server.LocalEndPoint;

    /// <summary>The drive at <paramref name="deviceNumber"/>.</summary>
    public DriveRuntime this[ushort deviceNumber] => _drives[deviceNumber];

    public IReadOnlyCollection<DriveRuntime> Drives => _drives.Values;

    /// <summary>A client on the drive at <paramref name="deviceNumber"/>.</summary>
    public RemoteDevice Connect(ushort deviceNumber, RemoteDeviceOptions? options = null) =>
        RemoteDevice.Connect(EndPoint.Address.ToString(), EndPoint.Port, deviceNumber, options);

    public async ValueTask DisposeAsync()
    {
        await Server.StopAsync();
        foreach (var drive in _drives.Values)
        {
            drive.Dispose();
        }

        Recorder.Dispose();
    }
}
