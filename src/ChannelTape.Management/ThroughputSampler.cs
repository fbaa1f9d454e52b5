using ChannelTape.Runtime;

namespace ChannelTape.Management;

/// <summary>
/// Each drive's throughput now: once a second the bytes read and written so far are sampled; the rate is
/// over the last three seconds. Reads counters the drive keeps anyway; nothing is added to a CCW.
/// </summary>
public sealed class ThroughputSampler : IAsyncDisposable
{
    private const int Window = 4;

    private readonly IReadOnlyList<DriveRuntime> _drives;
    private readonly Lock _lock = new();
    private readonly Dictionary<ushort, Queue<(long At, long Read, long Written)>> _samples = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ThroughputSampler(IReadOnlyList<DriveRuntime> drives)
    {
        _drives = drives;
        Sample();
        _loop = RunAsync();
    }

    /// <summary>Bytes per second read and written by the drive at <paramref name="device"/> over the last seconds.</summary>
    public (double Read, double Written) Of(ushort device)
    {
        lock (_lock)
        {
            if (!_samples.TryGetValue(device, out var samples) || samples.Count < 2)
            {
                return (0, 0);
            }

            var first = samples.Peek();
            var last = samples.Last();
            var seconds = (last.At - first.At) / 1000.0;
            return seconds <= 0 ? (0, 0) : ((last.Read - first.Read) / seconds, (last.Written - first.Written) / seconds);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    private int _disposed;

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                Sample();
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private void Sample()
    {
        var now = Environment.TickCount64;
        lock (_lock)
        {
            foreach (var drive in _drives)
            {
                if (!_samples.TryGetValue(drive.DeviceNumber, out var samples))
                {
                    _samples[drive.DeviceNumber] = samples = new Queue<(long, long, long)>();
                }

                var counters = drive.Drive.Counters;
                samples.Enqueue((now, counters.BytesRead, counters.BytesWritten));
                while (samples.Count > Window)
                {
                    samples.Dequeue();
                }
            }
        }
    }
}
