using System.Net;
using ChannelTape.Client;

namespace ChannelTape.Server.Tests.Support;

/// <summary>A <see cref="TapeServer"/> on 127.0.0.1, port 0, over memory drives 0580-0583, logging into a list.</summary>
public sealed class TestServer : IAsyncDisposable
{
    public TestServer(TapeServerOptions? options = null)
    {
        Drives = new MemoryDriveHost(0x0580, 0x0581, 0x0582, 0x0583);
        Server = new TapeServer(Drives, (options ?? new TapeServerOptions()) with { Listen = new IPEndPoint(IPAddress.Loopback, 0) }, Log);
        Server.Start();
    }

    public MemoryDriveHost Drives { get; }

    public ListLog Log { get; } = new();

    public TapeServer Server { get; }

    public IPEndPoint EndPoint => Server.LocalEndPoint;

    public RemoteDevice Connect(ushort deviceNumber, RemoteDeviceOptions? options = null) =>
        RemoteDevice.Connect(EndPoint.Address.ToString(), EndPoint.Port, deviceNumber, options);

    public Task<RawPeer> RawAsync(int? receiveBufferSize = null) => RawPeer.ConnectAsync(EndPoint, receiveBufferSize);

    public async ValueTask DisposeAsync() => await Server.StopAsync();
}
