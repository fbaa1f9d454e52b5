using Microsoft.Extensions.Logging;

namespace ChannelTape.Runtime.Events;

/// <summary>
/// Something the server or the library did that the log, the EVENTS report, an operator or a test may
/// care about: a connection closed with its reason, a drive taken over, a mount done or refused. Every
/// such happening is one typed event published once on a <see cref="TapeEventHub"/>; what a log line
/// says is <see cref="Message"/>, and tests wait on the event, never on the wording.
/// </summary>
public abstract record TapeEvent
{
    /// <summary>How much an operator cares: connection chatter is <see cref="LogLevel.Debug"/> or Information, refusals Warning.</summary>
    public abstract LogLevel Level { get; }

    /// <summary>The event as one log line.</summary>
    public abstract string Message { get; }

    public sealed override string ToString() => Message;
}

/// <summary>
/// An event the audit log keeps (docs/security.md, "Audit log"): who attached or took over a drive,
/// authenticated or failed to, mounted as an operator, used a command volume, or was refused any of it.
/// </summary>
public interface IAuditEvent
{
}

/// <summary>An event of one drive.</summary>
/// <param name="DeviceNumber">The drive's device number.</param>
public abstract record DriveEvent(ushort DeviceNumber) : TapeEvent
{
    /// <summary>The device number as the log and the operator write it: four hex digits.</summary>
    public string Drive => $"{DeviceNumber:X4}";

    /// <summary>
    /// The address of the host that attached the drive last (<c>local</c> before any did), stamped by
    /// <see cref="DriveRuntime.Publish"/>; null on an event published without it.
    /// </summary>
    public string? Host { get; init; }

    /// <summary>", host ADDRESS" for the log line, or nothing when <see cref="Host"/> is not known.</summary>
    protected string OnHost => Host is null ? "" : $", host {Host}";
}

/// <summary>
/// Where events go: one publisher, any number of subscribers (the log, the admin journal, tests). A
/// subscriber that throws does not stop the others or the publisher.
/// </summary>
public sealed class TapeEventHub
{
    private readonly Lock _lock = new();
    private Action<TapeEvent>[] _subscribers = [];

    /// <summary>Adds <paramref name="subscriber"/>; disposing the result removes it again.</summary>
    public IDisposable Subscribe(Action<TapeEvent> subscriber)
    {
        ArgumentNullException.ThrowIfNull(subscriber);
        lock (_lock)
        {
            _subscribers = [.. _subscribers, subscriber];
        }

        return new Subscription(this, subscriber);
    }

    /// <summary>Hands <paramref name="tapeEvent"/> to every subscriber, in the order they subscribed.</summary>
    public void Publish(TapeEvent tapeEvent)
    {
        foreach (var subscriber in Volatile.Read(ref _subscribers))
        {
            try
            {
                subscriber(tapeEvent);
            }
            catch (Exception e)
            {
                // A broken subscriber (a log sink that failed) must not break a drive or a connection.
                Console.Error.WriteLine($"ctape: an event subscriber failed on '{tapeEvent.Message}': {e.Message}");
            }
        }
    }

    private void Unsubscribe(Action<TapeEvent> subscriber)
    {
        lock (_lock)
        {
            _subscribers = [.. _subscribers.Where(s => s != subscriber)];
        }
    }

    private sealed class Subscription(TapeEventHub hub, Action<TapeEvent> subscriber) : IDisposable
    {
        public void Dispose() => hub.Unsubscribe(subscriber);
    }
}
