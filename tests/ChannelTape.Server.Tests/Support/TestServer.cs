using System.Net;
using ChannelTape.Client;
using ChannelTape.Device;
using ChannelTape.Media;
using ChannelTape.Runtime;
using ChannelTape.Testing;

namespace ChannelTape.Server.Tests.Support;

/// <summary>
/// The real server on 127.0.0.1, port 0, over real 3490 drives 0580-0583 (no library: they mount image
/// paths), each behind a <see cref="ProbeDevice"/>; volumes are AWS images in a folder of the test's own,
/// named as the tests name them (<see cref="Image"/>).
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("ctape-server-").FullName;
    private readonly Dictionary<ushort, ProbeDevice> _probes = [];

    public TestServer(TapeServerOptions? options = null)
    {
        ushort[] drives = [0x0580, 0x0581, 0x0582, 0x0583];
        Served = new ServedDrives(drives.Select(n => (TapeModel.Ibm3490, n)), options, device =>
        {
            var probe = new ProbeDevice(device);
            _probes.Add(device.DeviceNumber, probe);
            return probe;
        });
    }

    public ServedDrives Served { get; }

    public TapeServer Server => Served.Server;

    public EventRecorder Events => Served.Recorder;

    public IPEndPoint EndPoint => Server.LocalEndPoint;

    /// <summary>The probe in front of the drive at <paramref name="deviceNumber"/>.</summary>
    public ProbeDevice Probe(ushort deviceNumber) => _probes[deviceNumber];

    /// <summary>The drive at <paramref name="deviceNumber"/>.</summary>
    public DriveRuntime Drive(ushort deviceNumber) => Served[deviceNumber];

    /// <summary>The path of the test's volume <paramref name="name"/> (<c>name.aws</c>), an empty image made on first use.</summary>
    public string Image(string name)
    {
        var path = Path.Combine(_directory, name + ".aws");
        if (!File.Exists(path))
        {
            TestImages.CreateImage(_directory, name + ".aws", []);
        }

        return path;
    }

    /// <summary>The blocks of the test's volume <paramref name="name"/> (tape marks as null).</summary>
    public List<byte[]?> Blocks(string name) => TestImages.ReadImage(Image(name));

    public RemoteDevice Connect(ushort deviceNumber, RemoteDeviceOptions? options = null) => Served.Connect(deviceNumber, options);

    public Task<RawPeer> RawAsync(int? receiveBufferSize = null) => RawPeer.ConnectAsync(EndPoint, receiveBufferSize);

    public async ValueTask DisposeAsync()
    {
        await Served.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
