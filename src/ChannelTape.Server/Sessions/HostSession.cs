using System.IO.Pipelines;
using System.Net.Sockets;
using ChannelTape.Channel;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;
using ChannelTape.Runtime;
using ChannelTape.Runtime.Events;
using ChannelTape.Server.Streaming;

namespace ChannelTape.Server.Sessions;

/// <summary>
/// One host's conversation with the server (docs/protocol.md §2) over any duplex pipe — a socket's, or an
/// in-memory pair in tests: reads frames in order, runs each request against the attached drive, and
/// sends replies through its <see cref="FrameOutbox"/>. Hello, Attach, Ccw, Mount, Query, Ping and Close
/// are handled here; write-behind and read-ahead (§5) by its <see cref="StreamingSession"/>. Any protocol
/// error closes only this session, with an Error frame.
/// </summary>
internal sealed partial class HostSession : IDriveHolder
{
    private enum Phase
    {
        AwaitingHello,
        AwaitingAuthentication,
        AwaitingAttach,
        Attached,
    }

    private enum StopReason
    {
        None,
        IdleTimeout,
        ShuttingDown,
        TakenOver,
        Aborted,
        HandshakeTimeout,
    }

    private readonly TapeServer _server;
    private readonly IDuplexPipe _pipe;
    private readonly Action _abortTransport;
    private readonly FrameReader _frames;
    private readonly FrameOutbox _outbox;
    private readonly CancellationTokenSource _readCancel = new();
    private readonly Lock _causeLock = new();
    private Phase _phase = Phase.AwaitingHello;
    private ServedDrive? _drive;
    private StreamingSession _streaming;
    private Task _ccwTask = Task.CompletedTask;
    private volatile bool _ccwOutstanding;
    private int _stopReason;
    private long _lastReceived = Environment.TickCount64;
    private readonly long _acceptedAt = Environment.TickCount64;
    private CloseCause? _cause;
    private string _causeDetail = "";
    private HostAuthority? _authority;
    private HelloMessage _hello;
    private byte[]? _serverNonce;

    /// <param name="server">The server whose drives, options and events the session uses.</param>
    /// <param name="pipe">The host's bytes in, the server's out.</param>
    /// <param name="peer">Who the host is.</param>
    /// <param name="id">Connection number, for log lines.</param>
    /// <param name="abortTransport">Drops the transport at once (the peer cannot be talked to any more).</param>
    public HostSession(TapeServer server, IDuplexPipe pipe, SessionPeer peer, long id, Action abortTransport)
    {
        _server = server;
        _pipe = pipe;
        _abortTransport = abortTransport;
        Peer = peer;
        Name = $"#{id} {peer.EndPoint}";
        _frames = new FrameReader(pipe.Input) { MaxFrameLength = server.Options.MaxFrameLength };
        _outbox = new FrameOutbox(pipe.Output, server.Options.SendQueueLimit, server.Options.SendTimeout, server.Options.MaxFrameLength);
        _outbox.Overflowed += OnOutboxOverflowed;
        _streaming = new StreamingSession(Name, ProtocolFeatures.None, 0, server.Events);
    }

    /// <summary>Number and peer address, for log lines.</summary>
    public string Name { get; }

    /// <summary>The host's address and what it may do because of it.</summary>
    public SessionPeer Peer { get; }

    private TapeEventHub Events => _server.Events;

    private StopReason Reason => (StopReason)Volatile.Read(ref _stopReason);

    /// <summary>Orderly shutdown: finish the CCW in progress, send Close reason 1, close.</summary>
    public void Shutdown() => Stop(StopReason.ShuttingDown);

    /// <summary>What the host may do: decided at Hello, or when it proved its secret; null before, or when no host entry matches it.</summary>
    public HostAuthority? Authority => _authority;

    /// <summary>The host has attached a drive (it is past the handshake).</summary>
    public bool IsAttached => _phase == Phase.Attached;

    /// <summary>When the connection was accepted (<see cref="Environment.TickCount64"/>).</summary>
    public long AcceptedAt => _acceptedAt;

    /// <summary>
    /// Called by the idle sweep: closes the session with Close reason 3 if it has been silent too long, or
    /// if it has not authenticated and attached a drive within the handshake time, however much it pinged.
    /// </summary>
    public void CheckIdle(long now, long idleMilliseconds)
    {
        if (_phase != Phase.Attached && now - _acceptedAt > (long)_server.Options.HandshakeTimeout.TotalMilliseconds)
        {
            Stop(StopReason.HandshakeTimeout);
        }
        else if (!_ccwOutstanding && now - Volatile.Read(ref _lastReceived) > idleMilliseconds)
        {
            Stop(StopReason.IdleTimeout);
        }
    }

    /// <summary>Closes a connection that has not attached a drive, to make room for a new one (the server is full).</summary>
    public void Evict() => Stop(StopReason.HandshakeTimeout);

    /// <summary>Unsolicited status from the attached drive (device end at ready, attention).</summary>
    public void OnUnsolicitedStatus(UnitStatus status) =>
        _outbox.SendIf(() => _phase == Phase.Attached, new UnsolicitedMessage(status));

    /// <summary>
    /// Runs the session until the host closes, the pipe fails, a protocol error or the server stops it;
    /// then detaches the drive and completes the output.
    /// </summary>
    public async Task RunAsync()
    {
        Events.Publish(new ConnectionOpened(Name));
        var writer = Task.Run(_outbox.RunAsync);
        try
        {
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (ProtocolException e)
        {
            Ended(CloseCause.ProtocolError, $"protocol error {(ushort)e.Code} ({e.Code}): {e.Message}; closing the connection");
            _outbox.SendFarewell(new ErrorMessage(e.Code, e.Message));
        }
        catch (OperationCanceledException) when (Reason != StopReason.None)
        {
            await OnStoppedAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Ended(CloseCause.ConnectionLost, $"connection lost: {e.Message}");
        }
        catch (Exception e)
        {
            Ended(CloseCause.InternalError, $"internal error, closing the connection: {e}");
        }
        finally
        {
            await CloseAsync(writer).ConfigureAwait(false);
        }
    }

    private async Task ReadLoopAsync()
    {
        while (true)
        {
            var frame = await _frames.ReadAsync(_readCancel.Token).ConfigureAwait(false);
            if (frame is not { } received)
            {
                Ended(CloseCause.PeerClosed, "peer closed the connection");
                return;
            }

            Volatile.Write(ref _lastReceived, Environment.TickCount64);
            if (!await HandleAsync(received).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Handles one frame; false when the host asked to close.</summary>
    private async ValueTask<bool> HandleAsync(Frame frame)
    {
        switch (frame.Type)
        {
            case MessageType.Hello:
                Require(_phase == Phase.AwaitingHello, frame.Type, "Hello was already received");
                OnHello(HelloMessage.Parse(frame.Body.Span));
                return true;
            case MessageType.Authenticate:
                Require(_phase == Phase.AwaitingAuthentication, frame.Type,
                    _phase == Phase.AwaitingHello ? "Hello must come first" : "no Challenge is outstanding");
                OnAuthenticate(AuthenticateMessage.Parse(frame.Body.Span));
                return true;
            case MessageType.Attach:
                Require(_phase == Phase.AwaitingAttach, frame.Type,
                    _phase == Phase.AwaitingHello ? "Hello must come first"
                    : _phase == Phase.AwaitingAuthentication ? "the Challenge must be answered first" : "a drive is already attached");
                await OnAttachAsync(AttachMessage.Parse(frame.Body.Span)).ConfigureAwait(false);
                return true;
            case MessageType.Ccw:
                RequireRequestAllowed(frame.Type);
                OnCcw(frame.Body.Span);
                return true;
            case MessageType.BufferedCcw:
                RequireRequestAllowed(frame.Type);
                Require(_streaming.Granted(ProtocolFeatures.WriteBehind), frame.Type, "write-behind is not in effect (HelloReply did not grant it)");
                await OnBufferedCcwAsync(_streaming.TakeBufferedWrite(frame.Body)).ConfigureAwait(false);
                return true;
            case MessageType.ReadAheadEnd:
                RequireRequestAllowed(frame.Type);
                Require(_streaming.Granted(ProtocolFeatures.ReadAhead), frame.Type, "read-ahead is not in effect (HelloReply did not grant it)");
                var end = ReadAheadEndMessage.Parse(frame.Body.Span);
                await ExclusiveAsync(() => _streaming.EndReadAhead(_drive!, this, end)).ConfigureAwait(false);
                return true;
            case MessageType.Halt:
                Require(_phase == Phase.Attached, frame.Type, "no drive is attached");
                if (_ccwOutstanding)
                {
                    _drive!.Runtime.Device.Halt();
                }

                return true;
            case MessageType.Mount:
                RequireRequestAllowed(frame.Type);
                var words = MountMessage.Parse(frame.Body.Span).Arguments.Trim();
                var mounted = await ExclusiveAsync(() => _drive!.Runtime.Mount(words, Runtime.Events.MountSource.Operator, _authority)).ConfigureAwait(false);
                _outbox.Send(new MountReplyMessage(
                    mounted.Done ? MountResult.Done
                    : mounted.Refusal?.Reason == VolumeRefusalReason.NotAuthorised ? MountResult.NotAuthorised : MountResult.Refused,
                    mounted.Message));
                return true;
            case MessageType.Query:
                RequireRequestAllowed(frame.Type);
                var text = await ExclusiveAsync(() => _drive!.Runtime.DeviceListText).ConfigureAwait(false);
                _outbox.Send(new QueryReplyMessage(text));
                return true;
            case MessageType.Ping:
                Require(_phase != Phase.AwaitingHello, frame.Type, "Hello must come first");
                Require(!_ccwOutstanding, frame.Type, "a Ccw is outstanding (only Halt may be sent)");
                _outbox.Send(new PongMessage(PingMessage.Parse(frame.Body.Span).Token));
                return true;
            case MessageType.Pong:
                Require(_phase != Phase.AwaitingHello, frame.Type, "Hello must come first");
                PongMessage.Parse(frame.Body.Span);
                return true;
            case MessageType.Close:
                var close = CloseMessage.Parse(frame.Body.Span);
                Ended(CloseCause.HostClosed, $"host closed ({close.Reason}): {close.Text}");
                return false;
            default:
                throw new ProtocolException(ProtocolErrorCode.NotAllowedNow, $"{frame.Type} is sent by the server, not by a host");
        }
    }

    private static void Require(bool allowed, MessageType type, string why)
    {
        if (!allowed)
        {
            throw new ProtocolException(ProtocolErrorCode.NotAllowedNow, $"{type} not allowed now: {why}");
        }
    }

    private void RequireRequestAllowed(MessageType type)
    {
        Require(_phase == Phase.Attached, type, _phase == Phase.AwaitingHello ? "Hello must come first" : "no drive is attached");
        Require(!_ccwOutstanding, type, "a Ccw is outstanding (only Halt may be sent)");
    }

    private void OnHello(HelloMessage hello)
    {
        if (hello.Magic != HelloMessage.ExpectedMagic)
        {
            throw new ProtocolException(ProtocolErrorCode.WrongMagicOrVersion,
                $"wrong magic 0x{hello.Magic:X8} (expected 0x{HelloMessage.ExpectedMagic:X8}, 'CTAP')");
        }

        if (hello.Version is not (HelloMessage.CurrentVersion or HelloMessage.AuthenticatedVersion))
        {
            throw new ProtocolException(ProtocolErrorCode.WrongMagicOrVersion,
                $"protocol version {hello.Version} not spoken (this server speaks {HelloMessage.CurrentVersion} and {HelloMessage.AuthenticatedVersion})");
        }

        var hostMax = hello.MaxFrameLength == 0 ? Frame.DefaultMaxLength : hello.MaxFrameLength;
        if (hostMax < Frame.MinimumMaxLength)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                $"largest frame length {hostMax} is below the minimum {Frame.MinimumMaxLength}");
        }

        var security = _server.Options.Security;
        _hello = hello;
        if (security.RequiresAuthentication)
        {
            if (hello.Version < HelloMessage.AuthenticatedVersion)
            {
                Events.Publish(new AuthenticationRefused(Name, "", "the host does not authenticate (protocol version 1)"));
                throw new ProtocolException(ProtocolErrorCode.AuthenticationRequired,
                    "this server serves only hosts that prove a shared secret (protocol version 2, docs/protocol.md §2.1): "
                    + "give the host its secret file (ctape --secret-file or CTAPE_SECRET_FILE, the module's secret= option)");
            }

            // §2.1: the proof comes first; HelloReply follows it.
            _serverNonce = HostSecret.NewNonce();
            _phase = Phase.AwaitingAuthentication;
            _outbox.Send(new ChallengeMessage(AuthenticationMethod.HmacSha256, _serverNonce));
            return;
        }

        _authority = security.Unauthenticated(Peer.IpAddress);
        FinishHello();
    }

    private void OnAuthenticate(AuthenticateMessage authenticate)
    {
        var security = _server.Options.Security;
        var identity = authenticate.Identity;
        var secret = security.SecretFor(identity);
        if (secret is null)
        {
            Events.Publish(new AuthenticationRefused(Name, identity, "no secret for this identity"));
            throw new ProtocolException(ProtocolErrorCode.AuthenticationFailed, identity.Length == 0
                ? "this server has no shared secret: authenticate with the identity of a host entry"
                : $"no host entry '{PeerText.Escape(identity, 64)}' with a secret");
        }

        if (!HostSecret.ProofsMatch(authenticate.Proof, secret.HostProof(_serverNonce!, authenticate.HostNonce, identity)))
        {
            Events.Publish(new AuthenticationRefused(Name, identity, "wrong proof"));
            throw new ProtocolException(ProtocolErrorCode.AuthenticationFailed,
                "the proof does not match: the host's secret is not the server's");
        }

        _authority = security.Hosts.Find(Peer.IpAddress, identity.Length == 0 ? null : identity, authenticated: true);
        Events.Publish(new HostAuthenticated(Name, identity, _authority?.ToString(), Peer.Tls));
        _outbox.Send(new AuthenticateReplyMessage(secret.ServerProof(_serverNonce!, authenticate.HostNonce, identity)));
        FinishHello();
    }

    /// <summary>Agrees the frame limit and the §5 features and sends HelloReply in the host's version.</summary>
    private void FinishHello()
    {
        var hello = _hello;
        var hostMax = hello.MaxFrameLength == 0 ? Frame.DefaultMaxLength : hello.MaxFrameLength;
        // §5: the features in effect are those asked for that this server grants (unknown bits are dropped);
        // §5.3: by reference only with read-ahead, and only for a host that can open the server's files.
        var features = ProtocolFeatureRules.Agree(hello.Features, _server.Options.Features);
        if (!Peer.IsLoopback)
        {
            features &= ~ProtocolFeatures.ReadAheadByReference;
        }

        _streaming = new StreamingSession(Name, features, _server.Options.WriteCreditLimit, Events);
        var maxFrameLength = (int)Math.Min(hostMax, (uint)_server.Options.MaxFrameLength);
        _phase = Phase.AwaitingAttach;
        _outbox.Send(new HelloReplyMessage(hello.Version, (uint)maxFrameLength, _server.Options.ServerName, features, _server.ManagementAddress), () =>
        {
            _outbox.MaxFrameLength = maxFrameLength;
            _frames.MaxFrameLength = maxFrameLength;
        });
        Events.Publish(new HelloReceived(Name, hello.HostName, maxFrameLength, features));
    }

    /// <summary>Runs <paramref name="work"/> alone on the attached drive.</summary>
    private ValueTask<T> ExclusiveAsync<T>(Func<T> work) => _drive!.Runtime.Executor.RunExclusiveAsync(work);

    private ValueTask ExclusiveAsync(Action work) => _drive!.Runtime.Executor.RunExclusiveAsync(work);

    private void Stop(StopReason reason)
    {
        if (Interlocked.CompareExchange(ref _stopReason, (int)reason, (int)StopReason.None) != (int)StopReason.None
            && reason != StopReason.Aborted)
        {
            return;
        }

        try
        {
            _readCancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The session finished closing meanwhile.
        }
    }

    /// <summary>The peer cannot be talked to any more (not reading, pipe failed): drop it now.</summary>
    private void Abort()
    {
        Stop(StopReason.Aborted);
        _outbox.Abort();
        _abortTransport();
    }

    private void OnOutboxOverflowed()
    {
        Ended(CloseCause.PeerNotReading,
            $"peer is not reading: {_server.Options.SendQueueLimit} frames waiting to be sent; closing the connection");
        Abort();
    }

    /// <summary>Records why the session ends (the first cause wins), for the closing event.</summary>
    private void Ended(CloseCause cause, string detail)
    {
        lock (_causeLock)
        {
            if (_cause is null)
            {
                _cause = cause;
                _causeDetail = detail;
            }
        }
    }

    private async Task OnStoppedAsync()
    {
        switch (Reason)
        {
            case StopReason.ShuttingDown:
                Ended(CloseCause.ShuttingDown, "server shutting down; closing");
                await WaitForCcwAsync().ConfigureAwait(false);
                _outbox.SendFarewell(new CloseMessage(CloseReason.ShuttingDown, "server shutting down"));
                break;
            case StopReason.IdleTimeout:
                var idle = $"nothing received for {_server.Options.IdleTimeout.TotalSeconds:0.###} s";
                Ended(CloseCause.IdleTimeout, $"{idle}; closing");
                _outbox.SendFarewell(new CloseMessage(CloseReason.IdleTimeout, idle));
                break;
            case StopReason.HandshakeTimeout:
                var late = $"no drive attached within {_server.Options.HandshakeTimeout.TotalSeconds:0.###} s of connecting";
                Ended(CloseCause.HandshakeTimeout, $"{late}; closing");
                _outbox.SendFarewell(new CloseMessage(CloseReason.IdleTimeout, late));
                break;
        }
    }

    private async Task CloseAsync(Task<OutboxEnd> writer)
    {
        await WaitForCcwAsync().ConfigureAwait(false);
        await DetachAsync().ConfigureAwait(false);
        _outbox.Complete();
        var end = await writer.ConfigureAwait(false);
        if (end == OutboxEnd.SendTimedOut)
        {
            Ended(CloseCause.PeerNotReading,
                $"peer stopped reading: a send made no progress for {_server.Options.SendTimeout.TotalSeconds:0.###} s; closing the connection");
        }
        else if (end == OutboxEnd.PipeFailed)
        {
            Ended(CloseCause.ConnectionLost, "connection lost while sending");
        }

        await CompleteQuietlyAsync(() => _pipe.Output.CompleteAsync()).ConfigureAwait(false);
        await CompleteQuietlyAsync(() => _pipe.Input.CompleteAsync()).ConfigureAwait(false);
        _readCancel.Dispose();
        Events.Publish(new ConnectionClosed(Name, _cause ?? CloseCause.ConnectionLost, _causeDetail));
    }

    /// <summary>Completes one side of the pipe; a peer already gone (broken pipe, reset) is no news at this point.</summary>
    private static async Task CompleteQuietlyAsync(Func<ValueTask> complete)
    {
        try
        {
            await complete().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection is closing anyway; its cause is already recorded.
        }
    }

    private async Task WaitForCcwAsync()
    {
        try
        {
            await _ccwTask.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Ended(CloseCause.InternalError, $"CCW task failed: {e}");
        }
    }

    private async Task DetachAsync()
    {
        if (_drive is not { } drive)
        {
            return;
        }

        drive.Runtime.Detach(this);
        await ExclusiveAsync(() => drive.Runtime.EndProgram(this)).ConfigureAwait(false);
        Events.Publish(new DriveDetached(Name, drive.Runtime.DeviceNumber, _streaming.Counts));
    }
}

/// <summary>Who a session talks to.</summary>
/// <param name="EndPoint">The peer's address and port as the log shows it.</param>
/// <param name="Address">The peer's IP address as text (command-volume authorisation); "unknown" when there is none.</param>
/// <param name="IsLoopback">The peer runs on this machine (127.0.0.0/8, ::1, ::ffff:127.x.x.x): only it may read images by reference (§5.3).</param>
public sealed record SessionPeer(string EndPoint, string Address, bool IsLoopback)
{
    /// <summary>The peer's IP address (IPv4-mapped IPv6 as IPv4); null when <see cref="Address"/> is none.</summary>
    public System.Net.IPAddress? IpAddress =>
        System.Net.IPAddress.TryParse(Address, out var ip) ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip) : null;

    /// <summary>The connection came through TLS (docs/protocol.md §1.1).</summary>
    public bool Tls { get; init; }
}
