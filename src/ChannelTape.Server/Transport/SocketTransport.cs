using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using ChannelTape.Protocol;
using ChannelTape.Server.Sessions;

namespace ChannelTape.Server.Transport;

/// <summary>
/// An accepted socket as the duplex pipe a <see cref="HostSession"/> runs over: the socket's bytes in
/// through a pipe reader sized for 64 KiB blocks, the session's frames out through a pipe writer; abort
/// drops the socket at once, dispose shuts it down in order.
/// </summary>
internal sealed class SocketTransport : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private SocketTransport(Socket socket, SessionPeer peer)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        Peer = peer;
        Pipe = new DuplexPipe(PipeReader.Create(_stream, Frame.ReaderOptions),
            PipeWriter.Create(_stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true)));
    }

    public IDuplexPipe Pipe { get; }

    public SessionPeer Peer { get; }

    /// <summary>Sets the socket up for the protocol (no Nagle, the configured send buffer); false with the reason when the peer already went.</summary>
    public static bool TryStart(Socket socket, TapeServerOptions options, [NotNullWhen(true)] out SocketTransport? transport, [NotNullWhen(false)] out string? error)
    {
        transport = null;
        try
        {
            socket.NoDelay = true;
            if (options.SocketSendBufferSize is { } size)
            {
                socket.SendBufferSize = size;
            }

            var remote = socket.RemoteEndPoint as IPEndPoint;
            var address = remote?.Address;
            transport = new SocketTransport(socket, new SessionPeer($"{remote}", address?.ToString() ?? "unknown",
                address is not null && PeerAddress.IsLoopback(address)));
            error = null;
            return true;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            socket.Dispose();
            error = e.Message;
            return false;
        }
    }

    /// <summary>The peer cannot be talked to any more: drop the socket now (pending sends fail).</summary>
    public void Abort() => _socket.Dispose();

    public void Dispose()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed by the peer or by Abort.
        }

        _stream.Dispose();
        _socket.Dispose();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
