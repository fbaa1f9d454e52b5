using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
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
    private SslStream? _tls;

    private SocketTransport(Socket socket, SessionPeer peer)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        Peer = peer;
        Pipe = PipeOver(_stream);
    }

    public IDuplexPipe Pipe { get; private set; }

    public SessionPeer Peer { get; private set; }

    public Socket Socket => _socket;

    /// <summary>
    /// The first byte the peer sent, without taking it (docs/protocol.md §1.1: <c>16</c> starts TLS, <c>00</c> a
    /// frame); null when the peer closed or sent nothing within <paramref name="timeout"/>.
    /// </summary>
    public async Task<byte?> PeekFirstByteAsync(TimeSpan timeout, CancellationToken stopping)
    {
        var buffer = new byte[1];
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        deadline.CancelAfter(timeout);
        try
        {
            var read = await _socket.ReceiveAsync(buffer, SocketFlags.Peek, deadline.Token).ConfigureAwait(false);
            return read == 1 ? buffer[0] : null;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>Runs the server side of a TLS handshake with <paramref name="certificate"/>; from then on the session's pipe is inside TLS. The reason when it failed.</summary>
    public async Task<string?> StartTlsAsync(X509Certificate2 certificate, TimeSpan timeout, CancellationToken stopping)
    {
        var tls = new SslStream(_stream, leaveInnerStreamOpen: true);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        deadline.CancelAfter(timeout);
        try
        {
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                ClientCertificateRequired = false,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            }, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or SocketException or ObjectDisposedException)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            return e is OperationCanceledException ? $"TLS handshake not finished within {timeout.TotalSeconds:0.###} s" : $"TLS handshake failed: {e.Message}";
        }

        _tls = tls;
        Pipe = PipeOver(tls);
        Peer = Peer with { Tls = true };
        return null;
    }

    private static DuplexPipe PipeOver(Stream stream) =>
        new(PipeReader.Create(stream, Frame.ReaderOptions),
            PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true)));

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

        _tls?.Dispose();
        _stream.Dispose();
        _socket.Dispose();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
