using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;

namespace ChannelTape.Server.Tests.Support;

/// <summary>
/// A host that speaks raw frames, to send the server what a well-behaved client never would: over a
/// socket, or over an in-memory pipe straight into a session (<see cref="Over"/>).
/// </summary>
public sealed class RawPeer : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly PipeReader _pipe;
    private readonly PipeWriter? _output;
    private readonly FrameReader _frames;
    private readonly Socket? _socket;

    private RawPeer(Socket socket)
    {
        _socket = socket;
        _pipe = PipeReader.Create(new NetworkStream(socket, ownsSocket: false));
        _frames = new FrameReader(_pipe);
    }

    private RawPeer(IDuplexPipe pipe)
    {
        _pipe = pipe.Input;
        _output = pipe.Output;
        _frames = new FrameReader(_pipe);
    }

    /// <summary>The peer's socket (a socket peer only).</summary>
    public Socket Socket => _socket ?? throw new InvalidOperationException("an in-memory peer has no socket");

    /// <summary>A peer on the host's side of an in-memory pipe pair.</summary>
    public static RawPeer Over(IDuplexPipe hostSide) => new(hostSide);

    /// <summary>Sends <paramref name="bytes"/> in the pieces given, each flushed on its own (one segment each for a pipe).</summary>
    public async Task SendInPiecesAsync(IEnumerable<byte[]> pieces)
    {
        foreach (var piece in pieces)
        {
            await SendAsync(piece);
        }
    }

    /// <summary>The host stops sending (closes its side of the connection).</summary>
    public async Task CloseOutputAsync()
    {
        if (_output is not null)
        {
            await _output.CompleteAsync();
        }
        else
        {
            Socket.Shutdown(SocketShutdown.Send);
        }
    }

    public static async Task<RawPeer> ConnectAsync(IPEndPoint endPoint, int? receiveBufferSize = null)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size)
        {
            socket.ReceiveBufferSize = size;
        }

        await socket.ConnectAsync(endPoint);
        return new RawPeer(socket);
    }

    public async Task SendAsync(byte[] bytes)
    {
        if (_output is not null)
        {
            await _output.WriteAsync(bytes);
            return;
        }

        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += await Socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
        }
    }

    /// <summary>The next frame (type and a copy of the body), or null when the server closed the connection.</summary>
    public async Task<(MessageType Type, byte[] Body)?> ReadAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            var frame = await _frames.ReadAsync(timeout.Token);
            return frame is { } f ? (f.Type, f.Body.ToArray()) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Reads the next frame and checks its type.</summary>
    public async Task<byte[]> ExpectAsync(MessageType type)
    {
        var frame = await ReadAsync();
        Assert.True(frame is not null, $"expected {type}, the server closed the connection");
        Assert.Equal(type, frame.Value.Type);
        return frame.Value.Body;
    }

    /// <summary>Expects an Error frame with <paramref name="code"/> and then the end of the connection.</summary>
    public async Task<ErrorMessage> ExpectErrorAndCloseAsync(ProtocolErrorCode code)
    {
        var error = ErrorMessage.Parse(await ExpectAsync(MessageType.Error));
        Assert.Equal(code, error.Code);
        Assert.Null(await ReadAsync());
        return error;
    }

    public async Task HelloAsync()
    {
        await SendAsync(FrameWriter.ToArray(new HelloMessage(0, "raw peer")));
        await ExpectAsync(MessageType.HelloReply);
    }

    public async Task<AttachReplyMessage> AttachAsync(ushort deviceNumber, string arguments = "", AttachFlags flags = AttachFlags.None)
    {
        await SendAsync(FrameWriter.ToArray(new AttachMessage(deviceNumber, 0, flags, arguments)));
        return AttachReplyMessage.Parse(await ExpectAsync(MessageType.AttachReply));
    }

    public void Dispose()
    {
        _socket?.Dispose();
        _output?.Complete();
        _pipe.Complete();
    }
}
