using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;

namespace ChannelTape.Server.Tests.Support;

/// <summary>A host that speaks raw frames, to send the server what a well-behaved client never would.</summary>
public sealed class RawPeer : IDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly PipeReader _pipe;
    private readonly FrameReader _frames;

    private RawPeer(Socket socket)
    {
        Socket = socket;
        _pipe = PipeReader.Create(new NetworkStream(socket, ownsSocket: false));
        _frames = new FrameReader(_pipe);
    }

    public Socket Socket { get; }

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
        Socket.Dispose();
        _pipe.Complete();
    }
}
