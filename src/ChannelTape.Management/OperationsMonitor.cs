using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using ChannelTape.Client.Management;
using ChannelTape.Runtime.Events;
using ChannelTape.Server;
using Microsoft.Extensions.Logging;

namespace ChannelTape.Management;

/// <summary>
/// What the operations plane learns from the event hub, from the first event on: the recent events (for
/// <c>/api/events</c>, the page's live feed), the name each host gave in its Hello, the server's
/// connection, refusal and protocol-error totals, and each drive's mount latency (from its
/// <see cref="MountRequested"/> to its <see cref="VolumeMounted"/>). Subscribing costs the drives nothing
/// per CCW: only events reach it, and events are mounts, connections and errors.
/// </summary>
public sealed class OperationsMonitor : IDisposable
{
    /// <summary>Events kept for <c>/api/events</c>.</summary>
    public const int RecentCapacity = 500;

    private readonly TimeProvider _time;
    private readonly IDisposable _subscription;
    private readonly Lock _lock = new();
    private readonly EventInfo?[] _recent = new EventInfo?[RecentCapacity];
    private readonly List<Channel<EventInfo>> _listeners = [];
    private readonly ConcurrentDictionary<string, string> _helloNames = new();
    private readonly ConcurrentDictionary<ushort, long> _mountRequestedAt = new();
    private readonly ConcurrentDictionary<ushort, long> _mountRefusals = new();
    private long _nextId;
    private long _connectionsAccepted;
    private long _connectionsRefused;
    private long _protocolErrors;
    private long _mountsDone;
    private long _mountsRefused;

    public OperationsMonitor(TapeEventHub events, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _subscription = events.Subscribe(OnEvent);
    }

    /// <summary>A library mount completed: the drive and the seconds from request to ready.</summary>
    public event Action<ushort, double>? MountTimed;

    public long ConnectionsAccepted => Interlocked.Read(ref _connectionsAccepted);

    public long ConnectionsRefused => Interlocked.Read(ref _connectionsRefused);

    public long ProtocolErrors => Interlocked.Read(ref _protocolErrors);

    public long MountsDone => Interlocked.Read(ref _mountsDone);

    public long MountsRefused => Interlocked.Read(ref _mountsRefused);

    /// <summary>Mounts refused on the drive at <paramref name="device"/> since the server started.</summary>
    public long MountRefusalsOn(ushort device) => _mountRefusals.GetValueOrDefault(device);

    /// <summary>The name the host on <paramref name="connection"/> gave in its Hello; null when not known.</summary>
    public string? HelloName(string connection) => _helloNames.GetValueOrDefault(connection);

    /// <summary>Recent events, newest first: of one drive, after <paramref name="after"/>, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<EventInfo> Recent(string? device = null, long? after = null, int limit = 100)
    {
        var events = new List<EventInfo>();
        lock (_lock)
        {
            for (long id = _nextId; id > 0 && id > _nextId - RecentCapacity && events.Count < limit; id--)
            {
                var e = _recent[(id - 1) % RecentCapacity]!;
                if (after is { } first && e.Id <= first)
                {
                    break;
                }

                if (device is null || e.Device == device)
                {
                    events.Add(e);
                }
            }
        }

        return events;
    }

    /// <summary>Every event from now on, until the follower is disposed; a reader that falls 1000 behind loses the oldest.</summary>
    public EventFollower Follow()
    {
        var channel = System.Threading.Channels.Channel.CreateBounded<EventInfo>(
            new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_lock)
        {
            _listeners.Add(channel);
        }

        return new EventFollower(channel.Reader, () =>
        {
            lock (_lock)
            {
                _listeners.Remove(channel);
            }
        });
    }

    public void Dispose() => _subscription.Dispose();

    private void OnEvent(TapeEvent tapeEvent)
    {
        Count(tapeEvent);
        var device = tapeEvent is DriveEvent driveEvent ? driveEvent.Drive
            : tapeEvent switch
            {
                DriveAttached a => $"{a.DeviceNumber:X4}",
                DriveDetached d => $"{d.DeviceNumber:X4}",
                DriveTakenOver t => $"{t.DeviceNumber:X4}",
                AttachRefused r => $"{r.DeviceNumber:X4}",
                DeferredUnitCheck u => $"{u.DeviceNumber:X4}",
                DeferredUnitCheckReported u => $"{u.DeviceNumber:X4}",
                _ => null,
            };
        var fields = TapeEventFields.Of(tapeEvent).ToDictionary(f => f.Key, f => System.Text.Json.JsonSerializer.SerializeToElement(f.Value));
        lock (_lock)
        {
            var info = new EventInfo(++_nextId, _time.GetUtcNow(), tapeEvent.GetType().Name, LevelName(tapeEvent.Level), tapeEvent.Message, device, fields);
            _recent[(info.Id - 1) % RecentCapacity] = info;
            foreach (var listener in _listeners)
            {
                listener.Writer.TryWrite(info);
            }
        }
    }

    private void Count(TapeEvent tapeEvent)
    {
        switch (tapeEvent)
        {
            case ConnectionOpened:
                Interlocked.Increment(ref _connectionsAccepted);
                break;
            case ConnectionRefused:
                Interlocked.Increment(ref _connectionsRefused);
                break;
            case ConnectionClosed { Cause: CloseCause.ProtocolError }:
                Interlocked.Increment(ref _protocolErrors);
                break;
            case HelloReceived hello:
                _helloNames[hello.Connection] = hello.HostName;
                break;
            case ConnectionClosed closed:
                _helloNames.TryRemove(closed.Connection, out _);
                break;
            case MountRequested requested:
                _mountRequestedAt[requested.DeviceNumber] = Stopwatch.GetTimestamp();
                break;
            case VolumeMounted mounted:
                Interlocked.Increment(ref _mountsDone);
                if (_mountRequestedAt.TryRemove(mounted.DeviceNumber, out var since))
                {
                    MountTimed?.Invoke(mounted.DeviceNumber, Stopwatch.GetElapsedTime(since).TotalSeconds);
                }

                break;
            case MountRefused refused:
                Interlocked.Increment(ref _mountsRefused);
                _mountRefusals.AddOrUpdate(refused.DeviceNumber, 1, (_, n) => n + 1);
                _mountRequestedAt.TryRemove(refused.DeviceNumber, out _);
                break;
        }

        if (tapeEvent is ConnectionClosed { Cause: CloseCause.ProtocolError } protocolError)
        {
            _helloNames.TryRemove(protocolError.Connection, out _);
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warning",
        LogLevel.Error => "error",
        _ => "critical",
    };
}

/// <summary>Events as they are published, for one reader (a page's event stream); disposing it stops them.</summary>
public sealed class EventFollower(ChannelReader<EventInfo> reader, Action stop) : IDisposable
{
    public ChannelReader<EventInfo> Reader { get; } = reader;

    public void Dispose() => stop();
}
