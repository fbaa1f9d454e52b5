namespace ChannelTape.Runtime;

/// <summary>
/// Runs everything done to one drive one at a time (the <see cref="Channel.IChannelDevice"/> contract):
/// CCWs, mounts, queries, and work the library posts to run after the CCW in progress, in the order posted
/// (a Load Display mount starts after the command that asked for it ended, as a real library's robot does).
/// </summary>
public interface IDriveExecutor
{
    /// <summary>Runs <paramref name="work"/> alone on the drive, after whatever holds it now.</summary>
    ValueTask<TResult> RunExclusiveAsync<TState, TResult>(TState state, Func<TState, TResult> work);

    /// <summary>
    /// <see cref="RunExclusiveAsync"/> for a caller that may block its thread meanwhile (the in-process
    /// channel); the state may be a ref struct (a CCW's buffer).
    /// </summary>
    TResult RunExclusive<TState, TResult>(TState state, Func<TState, TResult> work)
        where TState : allows ref struct;

    /// <summary>Runs <paramref name="work"/> alone on the drive after whatever holds it now, without waiting for it.</summary>
    void Post(Action work);

    /// <summary>
    /// <see cref="Post"/> for work with a slow part a CCW must not wait for: <paramref name="work"/> runs alone on the
    /// drive and returns its follow-up (or null), which runs after it with the drive free again for CCWs, and before
    /// anything posted later. After Rewind Unload a real drive answers the host's next Sense at once while its library
    /// files the volume away; an OS/VS1 CLOSE whose Sense waited for that (an fsync of the catalog, a command volume's
    /// processing) ended in ABEND 214-08 (docs/guests.md).
    /// </summary>
    void PostWithFollowUp(Func<Action?> work);
}

/// <summary>Shorthands for <see cref="IDriveExecutor"/>.</summary>
public static class DriveExecutorExtensions
{
    /// <summary>Runs <paramref name="work"/> alone on the drive and gives its result.</summary>
    public static ValueTask<TResult> RunExclusiveAsync<TResult>(this IDriveExecutor executor, Func<TResult> work) =>
        executor.RunExclusiveAsync(work, static w => w());

    /// <summary>Runs <paramref name="work"/> alone on the drive.</summary>
    public static async ValueTask RunExclusiveAsync(this IDriveExecutor executor, Action work) =>
        await executor.RunExclusiveAsync(work, static w =>
        {
            w();
            return true;
        }).ConfigureAwait(false);

    /// <summary>Runs <paramref name="work"/> alone on the drive, blocking the caller meanwhile, and gives its result.</summary>
    public static TResult RunExclusive<TResult>(this IDriveExecutor executor, Func<TResult> work) =>
        executor.RunExclusive(work, static w => w());

    /// <summary>Runs <paramref name="work"/> alone on the drive, blocking the caller meanwhile.</summary>
    public static void RunExclusive(this IDriveExecutor executor, Action work) =>
        executor.RunExclusive(work, static w =>
        {
            w();
            return true;
        });
}

/// <summary>
/// The server's executor: a gate per drive that CCWs, mounts and queries from any connection wait on, and
/// posted work that runs on the thread pool once the gate is free. Drives are independent of each other.
/// </summary>
public sealed class GatedDriveExecutor(Action<Exception> onPostedWorkFailed) : IDriveExecutor
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Lock _postLock = new();
    private Task _posted = Task.CompletedTask;

    public async ValueTask<TResult> RunExclusiveAsync<TState, TResult>(TState state, Func<TState, TResult> work)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            return work(state);
        }
        finally
        {
            _gate.Release();
        }
    }

    public TResult RunExclusive<TState, TResult>(TState state, Func<TState, TResult> work)
        where TState : allows ref struct
    {
        _gate.Wait();
        try
        {
            return work(state);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Post(Action work) => PostWithFollowUp(() =>
    {
        work();
        return null;
    });

    public void PostWithFollowUp(Func<Action?> work)
    {
        lock (_postLock)
        {
            _posted = _posted.ContinueWith(async _ =>
            {
                Action? followUp = null;
                await _gate.WaitAsync().ConfigureAwait(false);
                try
                {
                    followUp = work();
                }
                catch (Exception e)
                {
                    onPostedWorkFailed(e);
                }
                finally
                {
                    _gate.Release();
                }

                try
                {
                    followUp?.Invoke();
                }
                catch (Exception e)
                {
                    onPostedWorkFailed(e);
                }
            }, TaskScheduler.Default).Unwrap();
        }
    }

    /// <summary>Completes when everything posted so far has run (tests, orderly shutdown).</summary>
    public Task Drained
    {
        get
        {
            lock (_postLock)
            {
                return _posted;
            }
        }
    }
}

/// <summary>
/// The executor of tests and tools that drive one drive from one thread (the in-process channel, the
/// library benchmarks): exclusive work runs at once on the caller's thread, and work posted meanwhile runs
/// when it ends, in order; work posted while nothing runs runs at once.
/// </summary>
public sealed class InlineDriveExecutor : IDriveExecutor
{
    private readonly Queue<Action> _posted = new();
    private int _depth;

    public ValueTask<TResult> RunExclusiveAsync<TState, TResult>(TState state, Func<TState, TResult> work) =>
        ValueTask.FromResult(RunExclusive(state, work));

    public TResult RunExclusive<TState, TResult>(TState state, Func<TState, TResult> work)
        where TState : allows ref struct
    {
        _depth++;
        TResult result;
        try
        {
            result = work(state);
        }
        finally
        {
            _depth--;
        }

        RunPosted();
        return result;
    }

    public void Post(Action work)
    {
        _posted.Enqueue(work);
        RunPosted();
    }

    public void PostWithFollowUp(Func<Action?> work) => Post(() => work()?.Invoke());

    private void RunPosted()
    {
        if (_depth > 0)
        {
            return;
        }

        while (_posted.TryDequeue(out var work))
        {
            _depth++;
            try
            {
                work();
            }
            finally
            {
                _depth--;
            }
        }
    }
}
