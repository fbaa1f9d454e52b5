using System.Collections.Concurrent;
using ChannelTape.Runtime;

namespace ChannelTape.Testing;

/// <summary>
/// Holds a drive's executor for a test, as a long CCW would: nothing else runs on the drive until the hold
/// is disposed, except what the test runs inside it with <see cref="Run{T}"/> (an operator's unload that
/// happens "meanwhile", say).
/// </summary>
public sealed class DriveHold : IAsyncDisposable
{
    private readonly BlockingCollection<Action> _work = [];
    private readonly Task _holding;

    private DriveHold(DriveRuntime drive, TaskCompletionSource taken)
    {
        _holding = Task.Run(async () => await drive.Executor.RunExclusiveAsync(() =>
        {
            taken.SetResult();
            foreach (var work in _work.GetConsumingEnumerable())
            {
                work();
            }
        }));
    }

    /// <summary>Takes the drive once whatever holds it now has let go.</summary>
    public static async Task<DriveHold> TakeAsync(DriveRuntime drive)
    {
        var taken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var hold = new DriveHold(drive, taken);
        await taken.Task.WaitAsync(EventRecorder.Patience);
        return hold;
    }

    /// <summary>Runs <paramref name="work"/> on the held drive and gives its result.</summary>
    public T Run<T>(Func<T> work)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            try
            {
                done.SetResult(work());
            }
            catch (Exception e)
            {
                done.SetException(e);
            }
        });
        return done.Task.WaitAsync(EventRecorder.Patience).GetAwaiter().GetResult();
    }

    public async ValueTask DisposeAsync()
    {
        _work.CompleteAdding();
        await _holding.WaitAsync(EventRecorder.Patience);
        _work.Dispose();
    }
}
