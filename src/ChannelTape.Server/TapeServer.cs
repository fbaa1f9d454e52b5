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

            if (_sessions.Count >= Options.MaxConnections)
            {
                Events.Publish(new ConnectionRefused($"{socket.RemoteEndPoint}", _sessions.Count, Options.MaxConnections));
                socket.Dispose();
                continue;
            }

            if (!SocketTransport.TryStart(socket, Options, out var transport, out var error))
            {
                Events.Publish(new AcceptFailed($"connection dropped before it started: {error}"));
                continue;
            }

            _ = RunSessionAsync(transport.Pipe, transport.Peer, transport.Abort).ContinueWith(
                _ => transport.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
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
