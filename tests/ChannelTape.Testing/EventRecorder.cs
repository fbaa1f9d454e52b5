using System.Collections.Concurrent;
using ChannelTape.Runtime.Events;

namespace ChannelTape.Testing;

/// <summary>
/// Keeps every event a hub publishes, so a test can wait for the one it expects (a connection closed for a
/// reason, a drive taken over, a mount refused) instead of reading log wording.
/// </summary>
public sealed class EventRecorder : IDisposable
{
    /// <summary>How long a test waits for something the server does on its own.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly ConcurrentQueue<TapeEvent> _events = new();
    private readonly IDisposable _subscription;
    private readonly SemaphoreSlim _arrived = new(0);

    public EventRecorder(TapeEventHub hub)
    {
        _subscription = hub.Subscribe(e =>
        {
            _events.Enqueue(e);
            _arrived.Release();
        });
    }

    /// <summary>Every event so far, oldest first.</summary>
    public IReadOnlyCollection<TapeEvent> Events => _events;

    /// <summary>The events of type <typeparamref name="T"/> so far.</summary>
    public IReadOnlyList<T> All<T>()
        where T : TapeEvent => [.. _events.OfType<T>()];

    /// <summary>Waits until an event of type <typeparamref name="T"/> that <paramref name="match"/> accepts is published; throws after <see cref="Patience"/>.</summary>
    public T WaitFor<T>(Func<T, bool>? match = null, TimeSpan? timeout = null)
        where T : TapeEvent
    {
        var deadline = DateTime.UtcNow + (timeout ?? Patience);
        while (true)
        {
            var found = _events.OfType<T>().FirstOrDefault(e => match is null || match(e));
            if (found is not null)
            {
                return found;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"no {typeof(T).Name} event as expected; events:\n{string.Join("\n", _events)}");
            }

            _arrived.Wait(left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100));
        }
    }

    public void Dispose()
    {
        _subscription.Dispose();
        _arrived.Dispose();
    }
}
