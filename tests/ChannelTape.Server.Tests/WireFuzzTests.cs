using System.Buffers.Binary;
using System.Net.Sockets;
using ChannelTape.Channel;
using ChannelTape.Client;
using ChannelTape.Library.Configuration;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;
using ChannelTape.Testing;

namespace ChannelTape.Server.Tests;

/// <summary>
/// A wire fuzzer against a live server built as <c>ctape serve</c> builds it (issue 13, item 8): random
/// bytes, valid frames mutated, messages out of order, frames cut off anywhere, and a storm of connections,
/// seeded and bounded; then a real host must still attach, write and read, and no connection may have
/// ended in an internal error.
/// </summary>
public sealed class WireFuzzTests : IDisposable
{
    private const int Seed = 20261207;
    private readonly string _root = Directory.CreateTempSubdirectory("ctape-wirefuzz-").FullName;
    private readonly Random _random = new(Seed);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task After_random_mutated_out_of_order_and_partial_frames_and_a_connection_storm_a_real_host_is_still_served()
    {
        var parsed = ConfigurationParser.ParseText($$"""
            storage { root "{{Path.Combine(_root, "data")}}"; }
            drive 0580-0583 { pool SCRATCH; }
            pool SCRATCH { volumes T00000-T00009; capacity 2M; }
            limits { connections 32; connections-per-address 32; handshake-timeout 2; }
            """, "fuzz.conf", _root);
        Assert.Empty(parsed.Errors);
        await using var served = LibraryServer.Start(parsed.Configuration!);
        var frames = ValidFrames();

        for (var i = 0; i < 150; i++)
        {
            await SendAsync(served, RandomBytes(_random.Next(0, 300)));
        }

        for (var i = 0; i < 300; i++)
        {
            var hello = _random.Next(2) == 0 ? FrameWriter.ToArray(new HelloMessage(0, "fuzz")) : [];
            await SendAsync(served, [.. hello, .. Mutate(frames[_random.Next(frames.Count)])]);
        }

        for (var i = 0; i < 150; i++)
        {
            // Any sequence of valid frames: most are out of the conversation's order.
            var sequence = Enumerable.Range(0, _random.Next(1, 8)).SelectMany(_ => frames[_random.Next(frames.Count)]).ToArray();
            await SendAsync(served, sequence);
        }

        for (var i = 0; i < 100; i++)
        {
            // A frame cut off anywhere, header included, then the peer goes (or just stays silent).
            var frame = frames[_random.Next(frames.Count)];
            await SendAsync(served, frame[..(_random.Next(frame.Length))], linger: _random.Next(4) == 0);
        }

        await StormAsync(served, 200);

        // The silent ones go at the handshake time; then the server has room and a host is served.
        SpinWait.SpinUntil(() => served.Host.Server.OpenConnections == 0, TimeSpan.FromSeconds(20));
        using var device = RemoteDevice.Connect("127.0.0.1", served.EndPoint.Port, 0x0581, new RemoteDeviceOptions { SecretFile = null, DeviceArguments = "T00003" });
        var block = RandomBytes(4000);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(device, 0x01, block.ToArray(), 0).Status);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(device, 0x27, new byte[1], 0).Status); // Backspace Block
        var read = new byte[4000];
        Assert.Equal(new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0), Run(device, 0x02, read, 0));
        Assert.Equal(block, read);

        Assert.DoesNotContain(served.Recorder.All<ConnectionClosed>(), e => e.Cause == CloseCause.InternalError);
        Assert.Empty(served.Recorder.All<CcwFailed>());
        Assert.Contains(served.Recorder.All<ConnectionClosed>(), e => e.Cause == CloseCause.ProtocolError);
    }

    /// <summary>One frame of every message type a host may send, and of those it must not.</summary>
    private List<byte[]> ValidFrames() =>
    [
        FrameWriter.ToArray(new HelloMessage(0, "fuzz", ProtocolFeatureRules.All)),
        FrameWriter.ToArray(new HelloMessage(HelloMessage.ExpectedMagic, HelloMessage.AuthenticatedVersion, 0, "fuzz")),
        FrameWriter.ToArray(new AuthenticateMessage(new byte[32], new byte[32], "x")),
        FrameWriter.ToArray(new AttachMessage(0x0580, 0, AttachFlags.TakeOver, "")),
        FrameWriter.ToArray(new AttachMessage(0x0582, 0x3490, AttachFlags.None, "T00001 ro")),
        FrameWriter.ToArray(new AttachMessage(0x0583, 0, AttachFlags.None, "/etc/passwd")),
        FrameWriter.ToArray(new CcwMessage(0x01, CcwFlags.None, CcwFlags.None, 0, 0, 16, new byte[16])),
        FrameWriter.ToArray(new CcwMessage(0x02, CcwFlags.SuppressLength, CcwFlags.None, 0, 0, 80, [])),
        FrameWriter.ToArray(new BufferedCcwMessage(new CcwMessage(0x01, CcwFlags.None, CcwFlags.None, 0, 0, 8, new byte[8]))),
        FrameWriter.ToArray(new ReadAheadEndMessage(3, ReadAheadEndFlags.ProgramStarted)),
        FrameWriter.ToArray(new HaltMessage()),
        FrameWriter.ToArray(new MountMessage("T00002")),
        FrameWriter.ToArray(new MountMessage("../../data/catalog.db")),
        FrameWriter.ToArray(new QueryMessage()),
        FrameWriter.ToArray(new PingMessage(7)),
        FrameWriter.ToArray(new PongMessage(7)),
        FrameWriter.ToArray(new CloseMessage(CloseReason.Normal, "bye")),
        FrameWriter.ToArray(new ErrorMessage(ProtocolErrorCode.MalformedFrame, "from a host")),
    ];

    private byte[] Mutate(byte[] frame)
    {
        var bytes = frame.ToList();
        for (var m = _random.Next(1, 5); m > 0; m--)
        {
            switch (_random.Next(6))
            {
                case 0 when bytes.Count > 0:
                    bytes[_random.Next(bytes.Count)] ^= (byte)(1 << _random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[_random.Next(bytes.Count)] = (byte)_random.Next(256);
                    break;
                case 2 when bytes.Count > 0:
                    bytes.RemoveRange(_random.Next(bytes.Count), 1);
                    break;
                case 3:
                    bytes.InsertRange(_random.Next(bytes.Count + 1), RandomBytes(_random.Next(1, 16)));
                    break;
                case 4 when bytes.Count >= 4:
                    // A length that lies: shorter, longer, zero, or beyond the limit.
                    var lie = _random.Next(4) switch { 0 => 0u, 1 => 1u, 2 => (uint)_random.Next(1, 100_000), _ => 0x7FFF_FFFFu };
                    var header = new byte[4];
                    BinaryPrimitives.WriteUInt32BigEndian(header, lie);
                    bytes[0] = header[0];
                    bytes[1] = header[1];
                    bytes[2] = header[2];
                    bytes[3] = header[3];
                    break;
                default:
                    bytes.AddRange(bytes.Take(_random.Next(bytes.Count + 1)).ToList());
                    break;
            }
        }

        return [.. bytes];
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Sends the bytes on a fresh connection, reads whatever comes back for a moment, and closes.</summary>
    private static async Task SendAsync(LibraryServer served, byte[] bytes, bool linger = false)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(served.EndPoint);
            if (bytes.Length > 0)
            {
                await socket.SendAsync(bytes);
            }

            using var drain = new CancellationTokenSource(linger ? 300 : 20);
            var buffer = new byte[4096];
            while (await socket.ReceiveAsync(buffer, drain.Token) > 0)
            {
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            // Refused, reset or closed by the server: what a server does to such a peer.
        }
    }

    /// <summary>Many connections at once that say nothing, past every limit.</summary>
    private static async Task StormAsync(LibraryServer served, int count)
    {
        var sockets = new List<Socket>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(socket);
                try
                {
                    await socket.ConnectAsync(served.EndPoint);
                }
                catch (SocketException)
                {
                    // The listen queue is full: refused, as in a storm.
                }
            }

            await Task.Delay(500);
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    private static CcwResult Run(RemoteDevice device, byte command, byte[] buffer, int sequence) =>
        device.Execute(new CcwRequest(command, CcwFlags.None, CcwFlags.None, buffer.Length, 0, sequence), buffer);
}
