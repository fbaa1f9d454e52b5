using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using ChannelTape.Runtime;
using ChannelTape.Runtime.Events;
using ChannelTape.Server.Sessions;
using ChannelTape.Server.Streaming;
using ChannelTape.Server.Transport;

namespace ChannelTape.Server;

/// <summary>
/// The ChannelTape server (<c>ctape serve</c>, docs/protocol.md): accepts host connections
/// asynchronously (no thread per connection) and runs a <see cref="HostSession"/> for each over the
/// socket's duplex pipe; each session attaches one drive. Every drive is serialised by its runtime's
/// executor, drives are independent, and drive state belongs to the drive runtime, so it survives
/// disconnects. A protocol error closes only the session that made it. What the server does is published
/// as typed events on <see cref="Events"/>.
/// </summary>
public sealed class TapeServer : IAsyncDisposable
{
    private readonly Dictionary<ushort, ServedDrive> _drives = [];
    private readonly ConcurrentDictionary<HostSession, Task> _sessions = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lifecycle = new();
    private Socket? _listener;
    private IPEndPoint? _localEndPoint;
    private Task _acceptLoop = Task.CompletedTask;
    private Task _idleLoop = Task.CompletedTask;
    private Task? _stopTask;
    private long _nextConnectionId;
    private readonly ConcurrentDictionary<string, int> _perAddress = new(StringComparer.Ordinal);
    private int _open;

    /// <param name="drives">The drives served; their device numbers must differ.</param>
    /// <param name="options">Listening address, limits and the §5 features granted.</param>
    /// <param name="events">Where the server publishes what it does (the drives' hub, usually).</param>
    public TapeServer(IEnumerable<DriveRuntime> drives, TapeServerOptions options, TapeEventHub events)
    {
        Options = options ?? throw new ArgumentNullException(nameof(options));
        Events = events ?? throw new ArgumentNullException(nameof(events));
        foreach (var drive in drives)
        {
            _drives.Add(drive.DeviceNumber, new ServedDrive(drive));
        }
    }

    public TapeServerOptions Options { get; }

    /// <summary>What the server does: connections, attaches, take-overs, streaming, shutdown.</summary>
    public TapeEventHub Events { get; }

    /// <summary>The address the server listens on (with the real port when bound to port 0).</summary>
    public IPEndPoint LocalEndPoint => _localEndPoint ?? throw new InvalidOperationException("the server is not started");

    /// <summary>Sessions currently open.</summary>
    public int ConnectionCount => _sessions.Count;

    /// <summary>What write-behind and read-ahead (docs/protocol.md §5) did on the drive at <paramref name="deviceNumber"/> since the server started; none for a drive not served.</summary>
    public StreamingCounts StreamingTotals(ushort deviceNumber) =>
        _drives.TryGetValue(deviceNumber, out var drive) ? drive.Streaming.Totals : default;
    /// <summary>
    /// The management API's address announced in every HelloReply (docs/protocol.md §3), so that <c>ctape</c> finds
    /// the API from the tape server's address; null when the API is off. Set before <see cref="Start"/>.
    /// </summary>
    public string? ManagementAddress { get; set; }

    /// <summary>Connections accepted and not yet closed, also those still in their TLS handshake.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    /// <summary>Binds, listens and starts accepting. A busy address throws <see cref="SocketException"/>.</summary>
    public void Start()
    {
        lock (_lifecycle)
        {
            if (_listener is not null || _stopTask is not null)
            {
                throw new InvalidOperationException("the server was already started");
            }

            var listener = new Socket(Options.Listen.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                listener.Bind(Options.Listen);
                listener.Listen(512);
            }
            catch
            {
                listener.Dispose();
                throw;
            }

            _listener = listener;
            _localEndPoint = (IPEndPoint)listener.LocalEndPoint!;
            _acceptLoop = AcceptLoopAsync(listener);
        }

        Events.Publish(new ServerListening(LocalEndPoint,
            string.Join(" ", _drives.Values.OrderBy(d => d.Runtime.DeviceNumber).Select(d => $"{d.Name}({d.Runtime.ModelNumber:X4})"))));
    }

    /// <summary>
    /// Runs a host's session over <paramref name="pipe"/> until it ends (the socket's pipe, or an in-memory
    /// pair in tests); <paramref name="abortTransport"/> drops the transport when the peer cannot be talked
    /// to any more.
    /// </summary>
    public Task RunSessionAsync(IDuplexPipe pipe, SessionPeer peer, Action abortTransport)
    {
        EnsureIdleSweep();
        var session = new HostSession(this, pipe, peer, Interlocked.Increment(ref _nextConnectionId), abortTransport);
        var run = RunAndForgetAsync(session);
        _sessions.TryAdd(session, run);
        return run;
    }

    /// <summary>
    /// Orderly shutdown: stop accepting, let every session finish the CCW in progress and send Close
    /// reason 1, then flush and close every volume.
    /// </summary>
    public Task StopAsync()
    {
        lock (_lifecycle)
        {
            return _stopTask ??= StopCoreAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    internal bool TryGetDrive(ushort deviceNumber, [NotNullWhen(true)] out ServedDrive? drive) =>
        _drives.TryGetValue(deviceNumber, out drive);

    private async Task RunAndForgetAsync(HostSession session)
    {
        await Task.Yield();
        try
        {
            await session.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            _sessions.TryRemove(session, out _);
        }
    }

    private async Task StopCoreAsync()
    {
        Events.Publish(new ServerStopping());
        _stopping.Cancel();
        _listener?.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        await _idleLoop.ConfigureAwait(false);
        var open = _sessions.ToArray();
        foreach (var (session, _) in open)
        {
            session.Shutdown();
        }

        await Task.WhenAll(open.Select(s => s.Value)).ConfigureAwait(false);
        foreach (var drive in _drives.Values)
        {
            try
            {
                await drive.Runtime.Executor.RunExclusiveAsync(drive.Runtime.CloseVolume).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Events.Publish(new VolumeCloseFailed(drive.Runtime.DeviceNumber, e));
            }
        }

        Events.Publish(new ServerStopped());
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // Out of descriptors or a connection reset before accept: keep serving the others.
                Events.Publish(new AcceptFailed(e.Message));
                await Task.Delay(TimeSpan.FromMilliseconds(50)).ConfigureAwait(false);
                continue;
            }

            var address = (socket.RemoteEndPoint as IPEndPoint)?.Address is { } ip
                ? (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString()
                : "unknown";
            if (Volatile.Read(ref _open) >= Options.MaxConnections && !EvictUnattached($"{socket.RemoteEndPoint}"))
            {
                Events.Publish(new ConnectionRefused($"{socket.RemoteEndPoint}", Volatile.Read(ref _open), Options.MaxConnections));
                Refuse(socket, Protocol.ProtocolErrorCode.NotAllowedNow,
                    $"the server is full: {Options.MaxConnections} connections; try again later");
                socket.Dispose();
                continue;
            }

            var fromAddress = _perAddress.AddOrUpdate(address, 1, (_, n) => n + 1);
            if (fromAddress > Options.MaxConnectionsPerAddress)
            {
                Release(address);
                Events.Publish(new ConnectionRefused($"{socket.RemoteEndPoint}", fromAddress - 1, Options.MaxConnectionsPerAddress, PerAddress: true));
                Refuse(socket, Protocol.ProtocolErrorCode.NotAllowedNow,
                    $"this address already has {Options.MaxConnectionsPerAddress} connections to the server; try again later");
                socket.Dispose();
                continue;
            }

            Interlocked.Increment(ref _open);
            _ = ServeConnectionAsync(socket, address);
        }
    }

    /// <summary>
    /// One accepted connection: TLS when its first byte says so (docs/protocol.md §1.1), then the session;
    /// its slot (total and per address) is given back when it closes.
    /// </summary>
    private async Task ServeConnectionAsync(Socket socket, string address)
    {
        try
        {
            if (!SocketTransport.TryStart(socket, Options, out var transport, out var error))
            {
                Events.Publish(new AcceptFailed($"connection dropped before it started: {error}"));
                return;
            }

            using (transport)
            {
                var security = Options.Security;
                if (security.Certificate is not null || security.RequireTls)
                {
                    var first = await transport.PeekFirstByteAsync(Options.HandshakeTimeout, _stopping.Token).ConfigureAwait(false);
                    if (first is null)
                    {
                        return;
                    }

                    if (first == Protocol.Frame.TlsHandshakeByte)
                    {
                        if (security.Certificate is null
                            || await transport.StartTlsAsync(security.Certificate, Options.HandshakeTimeout, _stopping.Token).ConfigureAwait(false) is { } failed)
                        {
                            Events.Publish(new PlainConnectionRefused(transport.Peer.EndPoint, "TLS handshake failed"));
                            return;
                        }
                    }
                    else if (security.RequireTls && !transport.Peer.IsLoopback)
                    {
                        Events.Publish(new PlainConnectionRefused(transport.Peer.EndPoint, "this server wants TLS from peers on other machines"));
                        Refuse(transport.Socket, Protocol.ProtocolErrorCode.AuthenticationRequired,
                            "this server accepts only TLS connections from other machines (docs/protocol.md §1.1)");
                        return;
                    }
                }

                await RunSessionAsync(transport.Pipe, transport.Peer, transport.Abort).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer went; nothing of the server's is left in this connection.
        }
        finally
        {
            Interlocked.Decrement(ref _open);
            Release(address);
        }
    }

    /// <summary>Tells a refused peer why before its socket goes: one Error frame, sent without waiting (it may not be read).</summary>
    private static void Refuse(Socket socket, Protocol.ProtocolErrorCode code, string text)
    {
        try
        {
            socket.Blocking = false;
            socket.Send(Protocol.FrameWriter.ToArray(new Protocol.Messages.ErrorMessage(code, text)));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The peer is gone already.
        }
    }

    private void Release(string address)
    {
        while (_perAddress.TryGetValue(address, out var n))
        {
            if (n <= 1 ? _perAddress.TryRemove(new KeyValuePair<string, int>(address, n)) : _perAddress.TryUpdate(address, n - 1, n))
            {
                return;
            }
        }
    }

    /// <summary>
    /// The server is full: closes the connection that has waited longest without attaching a drive (at
    /// least a second), so a host that reconnects is not locked out by connections that never attach.
    /// </summary>
    private bool EvictUnattached(string newcomer)
    {
        var now = Environment.TickCount64;
        var oldest = _sessions.Keys.Where(s => !s.IsAttached && now - s.AcceptedAt > 1000).MinBy(s => s.AcceptedAt);
        if (oldest is null)
        {
            return false;
        }

        Events.Publish(new ConnectionEvicted(oldest.Name, newcomer));
        oldest.Evict();
        return true;
    }

    /// <summary>Starts the sweep that closes silent sessions, once (with the first session or the listener).</summary>
    private void EnsureIdleSweep()
    {
        lock (_lifecycle)
        {
            if (_idleLoop.IsCompleted && !_stopping.IsCancellationRequested)
            {
                _idleLoop = IdleLoopAsync();
            }
        }
    }

    private async Task IdleLoopAsync()
    {
        var idle = (long)Options.IdleTimeout.TotalMilliseconds;
        var interval = TimeSpan.FromMilliseconds(Math.Clamp(idle / 4, 10, 1000));
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                var now = Environment.TickCount64;
                foreach (var session in _sessions.Keys)
                {
                    session.CheckIdle(now, idle);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }
}
