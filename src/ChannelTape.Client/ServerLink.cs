using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using ChannelTape.Channel;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;

namespace ChannelTape.Client;

/// <summary>
/// One TCP connection to a ChannelTape server. Requests are sent synchronously, one at a time (§2);
/// a receive loop raises Unsolicited, answers Ping, and hands each reply frame to the waiting request
/// without copying it: the loop reads the next frame only after the request released the reply.
/// ReadAhead (while a CcwReply is awaited) and ReadAheadImage frames (§5.2, §5.3) go to
/// <see cref="ReadAheadFrame"/> in the order received, so before the CcwReply they precede.
/// </summary>
internal sealed class ServerLink : IDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly PipeReader _pipe;
    private readonly FrameReader _frames;
    private readonly Lock _sendLock = new();
    private readonly ManualResetEventSlim _replyReady = new(false);
    private readonly SemaphoreSlim _replyConsumed = new(0, 1);
    private byte[] _sendBuffer = new byte[4096];
    private int _expected;
    private Frame _reply;
    private volatile bool _replyAvailable;
    private int _failed;
    private long _lastSent = Environment.TickCount64;

    private ServerLink(Socket socket, Stream stream)
    {
        _socket = socket;
        _stream = stream;
        _pipe = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 256 * 1024, minimumReadSize: 64 * 1024, leaveOpen: true));
        _frames = new FrameReader(_pipe);
    }

    /// <summary>The connection runs inside TLS.</summary>
    public bool IsTls => _stream is SslStream;

    /// <summary>Unit status the drive presented on its own.</summary>
    public event Action<UnitStatus>? Unsolicited;

    /// <summary>
    /// Receives ReadAhead and ReadAheadImage bodies on the receive loop; the body is valid only during
    /// the call (the reader may hand out pipe memory in place), so the handler copies what it keeps.
    /// A <see cref="ProtocolException"/> it throws ends the connection as a malformed frame.
    /// </summary>
    public StreamFrameHandler? ReadAheadFrame { get; set; }

    /// <summary>The features in effect (HelloReply); decides which §5 frames the server may send.</summary>
    public ProtocolFeatures Features { get; set; }

    /// <summary>Largest frame in both directions, from HelloReply.</summary>
    public int MaxFrameLength { get; set; } = Frame.DefaultMaxLength;

    /// <summary>True once the connection is unusable; <see cref="Failure"/> says why.</summary>
    public bool IsFailed => Volatile.Read(ref _failed) != 0;

    public string? Failure { get; private set; }

    /// <summary>The Close the server sent, if it closed the connection that way.</summary>
    public CloseMessage? ServerClose { get; private set; }

    public long LastSent => Volatile.Read(ref _lastSent);

    public static ServerLink Connect(string host, int port, TimeSpan timeout) => Connect(host, port, timeout, new RemoteDeviceOptions { Tls = false });

    /// <summary>Connects, inside TLS when <paramref name="options"/> ask for it (docs/protocol.md §1.1).</summary>
    public static ServerLink Connect(string host, int port, TimeSpan timeout, RemoteDeviceOptions options)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream stream;
        try
        {
            using var cancel = new CancellationTokenSource(timeout);
            socket.ConnectAsync(host, port, cancel.Token).AsTask().GetAwaiter().GetResult();
            stream = new NetworkStream(socket, ownsSocket: false);
            if (options.Tls)
            {
                stream = StartTls(stream, host, options, cancel.Token);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException or AuthenticationException)
        {
            socket.Dispose();
            throw new RemoteDeviceException($"cannot connect to {host}:{port}{(options.Tls ? " with TLS" : "")}: {e.Message}", inner: e);
        }

        var link = new ServerLink(socket, stream);
        _ = Task.Run(link.ReceiveLoopAsync);
        return link;
    }

    private static SslStream StartTls(Stream inner, string host, RemoteDeviceOptions options, CancellationToken cancel)
    {
        X509Certificate2Collection? trusted = null;
        if (options.TlsTrustFile is { } trustFile)
        {
            trusted = [];
            trusted.ImportFromPemFile(trustFile);
        }

        var tls = new SslStream(inner, leaveInnerStreamOpen: false);
        tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = options.TlsServerName ?? host,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = trusted is null ? null : (_, certificate, _, errors) => Trusts(trusted, certificate, errors),
        }, cancel).GetAwaiter().GetResult();
        return tls;
    }

    /// <summary>The server's certificate chains to one of <paramref name="trusted"/> (or is one) and names the host.</summary>
    private static bool Trusts(X509Certificate2Collection trusted, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }

    /// <summary>Sends one frame; false (and the link failed) if the socket is gone.</summary>
    public bool TrySend<T>(scoped in T message)
        where T : IMessage, allows ref struct
    {
        lock (_sendLock)
        {
            if (IsFailed)
            {
                return false;
            }

            var size = FrameWriter.FrameSize(message);
            if (_sendBuffer.Length < size)
            {
                _sendBuffer = new byte[Math.Max(size, _sendBuffer.Length * 2)];
            }

            FrameWriter.Write(_sendBuffer.AsSpan(), message, MaxFrameLength);
            try
            {
                _stream.Write(_sendBuffer, 0, size);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
            {
                Fail($"send failed: {e.Message}");
                return false;
            }

            Volatile.Write(ref _lastSent, Environment.TickCount64);
            return true;
        }
    }

    /// <summary>
    /// Sends a request and waits for its reply of type <paramref name="replyType"/>. On true the caller
    /// uses <paramref name="reply"/> and then calls <see cref="ReleaseReply"/>.
    /// </summary>
    public bool TryRequest<T>(scoped in T message, MessageType replyType, TimeSpan timeout, out Frame reply)
        where T : IMessage, allows ref struct
    {
        reply = default;
        _replyReady.Reset();
        Volatile.Write(ref _expected, (int)replyType);
        if (!TrySend(message))
        {
            return false;
        }

        return TryAwaitReply(replyType, timeout, out reply);
    }

    /// <summary>
    /// While holding a reply: waits for the next frame of type <paramref name="replyType"/> without sending
    /// anything (HelloReply after AuthenticateReply, docs/protocol.md §2.1), releasing the held one.
    /// </summary>
    public bool TryReceiveNext(MessageType replyType, TimeSpan timeout, out Frame reply)
    {
        reply = default;
        _replyReady.Reset();
        Volatile.Write(ref _expected, (int)replyType);
        ReleaseReply();
        return TryAwaitReply(replyType, timeout, out reply);
    }

    /// <summary>Waits for the reply the receive loop was told to expect; a timeout fails the link.</summary>
    private bool TryAwaitReply(MessageType replyType, TimeSpan timeout, out Frame reply)
    {
        reply = default;
        if (!_replyReady.Wait(timeout))
        {
            Fail($"no {replyType} within {timeout.TotalSeconds:0.###} s");
            return false;
        }

        if (!_replyAvailable)
        {
            return false;
        }

        reply = _reply;
        return true;
    }

    /// <summary>Lets the receive loop read on after the caller is done with a reply.</summary>
    public void ReleaseReply()
    {
        _replyAvailable = false;
        _reply = default;
        ReleaseReceiveLoop();
    }

    public void Fail(string reason)
    {
        if (Interlocked.Exchange(ref _failed, 1) != 0)
        {
            return;
        }

        Failure = reason;
        _socket.Dispose();
        try
        {
            _stream.Dispose();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
            // The connection is gone anyway.
        }
        _replyReady.Set();

        // A reply that arrived after its request gave up must not keep the receive loop waiting.
        ReleaseReceiveLoop();
    }

    private void ReleaseReceiveLoop()
    {
        try
        {
            _replyConsumed.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already released (the link failed while the reply was being used).
        }
    }

    public void Dispose() => Fail("closed by the host");

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                var next = await _frames.ReadAsync().ConfigureAwait(false);
                if (next is not { } frame)
                {
                    Fail("the server closed the connection");
                    return;
                }

                switch (frame.Type)
                {
                    case MessageType.Unsolicited:
                        Unsolicited?.Invoke(UnsolicitedMessage.Parse(frame.Body.Span).Status);
                        break;
                    case MessageType.Ping:
                        TrySend(new PongMessage(PingMessage.Parse(frame.Body.Span).Token));
                        break;
                    case MessageType.Close:
                        var close = CloseMessage.Parse(frame.Body.Span);
                        ServerClose = close;
                        Fail($"the server closed the connection ({close.Reason}): {close.Text}");
                        return;
                    case MessageType.Error:
                        var error = ErrorMessage.Parse(frame.Body.Span);
                        Fail($"the server reported protocol error {(ushort)error.Code} ({error.Code}): {error.Text}");
                        return;
                    case MessageType.ReadAhead
                        when (Features & ProtocolFeatures.ReadAhead) != 0
                             && Volatile.Read(ref _expected) == (int)MessageType.CcwReply:
                    case MessageType.ReadAheadImage when (Features & ProtocolFeatures.ReadAheadByReference) != 0:
                        ReadAheadFrame?.Invoke(frame.Type, frame.Body.Span);
                        break;
                    case MessageType.HelloReply or MessageType.Challenge or MessageType.AuthenticateReply
                        or MessageType.AttachReply or MessageType.CcwReply
                        or MessageType.MountReply or MessageType.QueryReply or MessageType.Pong:
                        var expected = (MessageType)Interlocked.Exchange(ref _expected, 0);
                        // §2.1: a Hello is answered by HelloReply, or by Challenge when the server wants a proof.
                        if (frame.Type != expected && !(expected == MessageType.HelloReply && frame.Type == MessageType.Challenge))
                        {
                            Fail($"the server sent an unexpected {frame.Type}");
                            return;
                        }

                        _reply = frame;
                        _replyAvailable = true;
                        _replyReady.Set();
                        await _replyConsumed.WaitAsync().ConfigureAwait(false);
                        if (IsFailed)
                        {
                            return;
                        }

                        break;
                    case MessageType.ReadAhead or MessageType.ReadAheadImage:
                        Fail($"the server sent {frame.Type} where it is not allowed (features {Features}, no Read outstanding)");
                        return;
                    default:
                        Fail($"the server sent {frame.Type}, a message only a host sends");
                        return;
                }
            }
        }
        catch (ProtocolException e)
        {
            Fail($"malformed frame from the server: {e.Message}");
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Fail($"connection lost: {e.Message}");
        }
        catch (Exception e)
        {
            // An Unsolicited subscriber failed: the link cannot go on delivering in order.
            Fail($"receive loop failed: {e}");
        }
        finally
        {
            await _pipe.CompleteAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>A §5 frame body handed over by the receive loop; valid only during the call.</summary>
internal delegate void StreamFrameHandler(MessageType type, ReadOnlySpan<byte> body);
