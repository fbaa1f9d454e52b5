using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace ChannelTape.Server;

/// <summary>
/// The ChannelTape server (<c>ctape serve</c>, docs/protocol.md): accepts host connections
/// asynchronously (no thread per connection), each attaching one drive. Every drive is serialised by
/// its own gate, drives are independent, and drive state belongs to the server, so it survives
/// disconnects. A protocol error closes only the connection that made it.
/// </summary>
public sealed class TapeServer : IAsyncDisposable
{
    private readonly Dictionary<ushort, DriveSlot> _slots = [];
    private readonly ConcurrentDictionary<Connection, byte> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _lifecycle = new();
    private Socket? _listener;
    private IPEndPoint? _localEndPoint;
    private Task _acceptLoop = Task.CompletedTask;
    private Task _idleLoop = Task.CompletedTask;
    private Task? _stopTask;
    private long _nextConnectionId;

    public TapeServer(IDriveHost drives, TapeServerOptions? options = null, IServerLog? log = null)
    {
        Options = options ?? new TapeServerOptions();
        Log = log ?? new StandardErrorLog();
        foreach (var drive in drives.Drives)
        {
            _slots.Add(drive.Device.DeviceNumber, new DriveSlot(drive));
        }
    }

    public TapeServerOptions Options { get; }

    internal IServerLog Log { get; }

    /// <summary>The address the server listens on (with the real port when bound to port 0).</summary>
    public IPEndPoint LocalEndPoint => _localEndPoint ?? throw new InvalidOperationException("the server is not started");

    /// <summary>Connections currently open.</summary>
    public int ConnectionCount => _connections.Count;

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
            _idleLoop = IdleLoopAsync();
        }

        Log.Write(LogLevel.Info,
            $"listening on {LocalEndPoint}, drives {string.Join(" ", _slots.Values.Select(s => $"{s.Name}({s.Drive.Model:X4})"))}");
    }

    /// <summary>
    /// Orderly shutdown: stop accepting, let every connection finish the CCW in progress and send
    /// Close reason 1, then flush and close every volume.
    /// </summary>
    public Task StopAsync()
    {
        lock (_lifecycle)
        {
            return _stopTask ??= StopCoreAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    internal bool TryGetSlot(ushort deviceNumber, [NotNullWhen(true)] out DriveSlot? slot) =>
        _slots.TryGetValue(deviceNumber, out slot);

    internal void Forget(Connection connection) => _connections.TryRemove(connection, out _);

    private async Task StopCoreAsync()
    {
        Log.Write(LogLevel.Info, "shutting down");
        _stopping.Cancel();
        _listener?.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        await _idleLoop.ConfigureAwait(false);
        var open = _connections.Keys.ToArray();
        foreach (var connection in open)
        {
            connection.Shutdown();
        }

        await Task.WhenAll(open.Select(c => c.Completion)).ConfigureAwait(false);
        foreach (var slot in _slots.Values)
        {
            await slot.Gate.WaitAsync().ConfigureAwait(false);
            try
            {
                slot.Drive.CloseVolume();
            }
            catch (Exception e)
            {
                Log.Write(LogLevel.Error, $"drive {slot.Name}: closing the volume failed: {e}");
            }
            finally
            {
                slot.Gate.Release();
            }
        }

        Log.Write(LogLevel.Info, "stopped; every volume closed");
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
                Log.Write(LogLevel.Warning, $"accept failed: {e.Message}");
                await Task.Delay(TimeSpan.FromMilliseconds(50)).ConfigureAwait(false);
                continue;
            }

            if (_connections.Count >= Options.MaxConnections)
            {
                Log.Write(LogLevel.Warning,
                    $"{socket.RemoteEndPoint}: refused, already {_connections.Count} connections (limit {Options.MaxConnections})");
                socket.Dispose();
                continue;
            }

            try
            {
                socket.NoDelay = true;
                if (Options.SocketSendBufferSize is { } size)
                {
                    socket.SendBufferSize = size;
                }

                var connection = new Connection(this, socket, Interlocked.Increment(ref _nextConnectionId));
                _connections.TryAdd(connection, 0);
                Log.Write(LogLevel.Info, $"{connection.Name}: connected");
                connection.Start();
            }
            catch (SocketException e)
            {
                Log.Write(LogLevel.Info, $"connection dropped before it started: {e.Message}");
                socket.Dispose();
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
                foreach (var connection in _connections.Keys)
                {
                    connection.CheckIdle(now, idle);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }
}
