using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using ChannelTape.Channel;
using ChannelTape.Client;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;
using ChannelTape.Device;
using ChannelTape.Runtime;
using ChannelTape.Runtime.Events;
using ChannelTape.Server;

namespace ChannelTape.Bench;

/// <summary>
/// Per-CCW round trip over loopback (issue 3, "Benchmark"): <see cref="RemoteDevice"/> to a
/// <see cref="TapeServer"/> whose drive answers at once (<see cref="InstantDevice"/>), so only the
/// wire, the framing and the server's scheduling are measured; next to a raw TCP ping-pong that moves
/// the same bytes (the Ccw frame one way, the CcwReply frame back) with blocking sockets and no
/// protocol at all. One operation = one CCW. BenchmarkDotNet gives the mean; per-CCW p50/p99 come from
/// <c>dotnet run -c Release --project bench/ChannelTape.Bench -- protocol-latency</c>
/// (<see cref="ProtocolLatency"/>).
/// </summary>
public class ProtocolBenchmarks
{
    private ProtocolLoopback _loopback = null!;

    /// <summary>80 B, 32 KiB, and 64 KiB - 1: the largest CCW count (TapeDrive.MaxCcwCount).</summary>
    [Params(80, 32 * 1024, 65535)]
    public int BlockSize { get; set; }

    [Params(ProtocolLoopback.Write, ProtocolLoopback.Read)]
    public byte Command { get; set; }

    [GlobalSetup]
    public void Setup() => _loopback = new ProtocolLoopback(BlockSize, Command);

    [GlobalCleanup]
    public void Cleanup() => _loopback.Dispose();

    [Benchmark]
    public CcwResult CcwRoundTrip() => _loopback.Ccw();

    [Benchmark(Baseline = true)]
    public int RawTcpPingPong() => _loopback.RawPingPong();
}

/// <summary>Per-CCW latency percentiles for <see cref="ProtocolBenchmarks"/>' cases, printed as a Markdown table.</summary>
public static class ProtocolLatency
{
    /// <summary>Block sizes measured: 80 B, 32 KiB, 65535 unless <c>CTAPE_BENCH_SIZES</c> lists others (at most 65535).</summary>
    private static int[] Sizes => Environment.GetEnvironmentVariable("CTAPE_BENCH_SIZES") is { } list
        ? list.Split(',').Select(int.Parse).ToArray()
        : [80, 32 * 1024, 65535];

    public static void Run(int operations = 20_000)
    {
        Console.WriteLine("| CCW | block | CCW p50 | CCW p99 | raw TCP p50 | raw TCP p99 | CCW/s (1 drive) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var command in new[] { ProtocolLoopback.Write, ProtocolLoopback.Read })
        {
            foreach (var size in Sizes)
            {
                using var loopback = new ProtocolLoopback(size, command);
                var ccw = Measure(operations, () => loopback.Ccw());
                var raw = Measure(operations, () => loopback.RawPingPong());
                var perSecond = operations / ccw.Sum(t => t.TotalSeconds);
                Console.WriteLine($"| {(command == ProtocolLoopback.Write ? "Write" : "Read")} | {size} | {P(ccw, 0.50)} | {P(ccw, 0.99)} | {P(raw, 0.50)} | {P(raw, 0.99)} | {perSecond:N0} |");
            }
        }
    }

    private static List<TimeSpan> Measure<T>(int operations, Func<T> operation)
    {
        for (var i = 0; i < operations / 10; i++)
        {
            operation();
        }

        var times = new List<TimeSpan>(operations);
        for (var i = 0; i < operations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            operation();
            times.Add(Stopwatch.GetElapsedTime(start));
        }

        times.Sort();
        return times;
    }

    private static string P(List<TimeSpan> sorted, double quantile) =>
        $"{sorted[(int)Math.Min(sorted.Count - 1, quantile * sorted.Count)].TotalMicroseconds:0.0} us";
}

/// <summary>A server with one instant drive, a connected <see cref="RemoteDevice"/>, and a raw echo socket pair.</summary>
public sealed class ProtocolLoopback : IDisposable
{
    public const byte Write = 0x01;
    public const byte Read = 0x02;

    private readonly DriveRuntime _drive;
    private readonly TapeServer _server;
    private readonly RemoteDevice _device;
    private readonly byte[] _buffer;
    private readonly CcwRequest _request;
    private readonly Socket _rawClient;
    private readonly Socket _rawListener;
    private readonly Thread _rawServer;
    private readonly byte[] _rawRequest;
    private readonly byte[] _rawReply;

    public ProtocolLoopback(int blockSize, byte command)
    {
        // The server's own drive runtime over a 3490, with every CCW answered at once by the device in front of it.
        _drive = new DriveRuntime(new TapeDrive(TapeModel.Ibm3490, 0x0580), new GatedDriveExecutor(_ => { }), new TapeEventHub(),
            drive => new InstantDevice(drive));
        _server = new TapeServer([_drive], new TapeServerOptions { Listen = new IPEndPoint(IPAddress.Loopback, 0) }, _drive.Events);
        _server.Start();
        _device = RemoteDevice.Connect("127.0.0.1", _server.LocalEndPoint.Port, 0x0580, new() { KeepAlive = TimeSpan.FromHours(1) });
        _buffer = new byte[blockSize];
        _request = new CcwRequest(command, CcwFlags.None, CcwFlags.None, blockSize, 0, 0);

        // The raw ping-pong moves exactly the bytes of the Ccw frame and of its CcwReply.
        var output = command == Write ? blockSize : 0;
        var input = command == Read ? blockSize : 0;
        _rawRequest = new byte[Frame.HeaderSize + CcwMessage.FixedSize + output];
        _rawReply = new byte[Frame.HeaderSize + CcwReplyMessage.FixedSize + input];
        _rawListener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        _rawListener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _rawListener.Listen(1);
        _rawClient = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        _rawClient.Connect(_rawListener.LocalEndPoint!);
        var accepted = _rawListener.Accept();
        accepted.NoDelay = true;
        _rawServer = new Thread(() => Echo(accepted)) { IsBackground = true };
        _rawServer.Start();
    }

    /// <summary>One CCW; anything but CE+DE means the set-up is wrong (e.g. a count the drive refuses), not a result.</summary>
    public CcwResult Ccw()
    {
        var result = _device.Execute(_request, _buffer);
        if (result.Status != UnitStatus.ChannelEndDeviceEnd)
        {
            throw new InvalidOperationException($"CCW ended with {result.Status}: {_device.ConnectionFailure}");
        }

        return result;
    }

    public int RawPingPong()
    {
        _rawClient.Send(_rawRequest);
        return ReceiveExactly(_rawClient, _rawReply);
    }

    public void Dispose()
    {
        _device.Dispose();
        _server.StopAsync().GetAwaiter().GetResult();
        _drive.Dispose();
        _rawClient.Dispose();
        _rawListener.Dispose();
    }

    private void Echo(Socket socket)
    {
        var request = new byte[_rawRequest.Length];
        try
        {
            while (ReceiveExactly(socket, request) == request.Length)
            {
                socket.Send(_rawReply);
            }
        }
        catch (SocketException)
        {
            // The benchmark is over.
        }
        finally
        {
            socket.Dispose();
        }
    }

    private static int ReceiveExactly(Socket socket, byte[] buffer)
    {
        var received = 0;
        while (received < buffer.Length)
        {
            var n = socket.Receive(buffer.AsSpan(received));
            if (n == 0)
            {
                return received;
            }

            received += n;
        }

        return received;
    }

    /// <summary>In front of the drive: accepts every write and fills every read at once, so only the protocol is measured.</summary>
    private sealed class InstantDevice(IChannelDevice drive) : ChannelDeviceDecorator(drive)
    {
        public override CcwResult Execute(in CcwRequest request, Span<byte> buffer) => new(UnitStatus.ChannelEndDeviceEnd, 0);
    }
}
