using System.Collections.Concurrent;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Library.Mounts;

namespace ChannelTape.Server.Hosting;

/// <summary>
/// A drive as the server runs it for the library: the <see cref="TapeDrive"/>, plus the
/// <see cref="IDriveScheduler"/> the library posts mounts and releases to. Posted work runs after
/// the CCW in progress has produced its status (a Load Display's mount never overtakes the Load
/// Display's own CE+DE), or at once when the drive is idle, and never beside a CCW: everything that
/// touches the drive holds <see cref="Sync"/>.
/// </summary>
public sealed class LibraryDevice : IChannelDevice, IDriveScheduler
{
    private readonly ConcurrentQueue<Action> _posted = new();
    private readonly Action<ushort, byte, CcwResult, ReadOnlySpan<byte>>? _afterCcw;
    private bool _executing;

    /// <param name="drive">The drive.</param>
    /// <param name="afterCcw">Called after every CCW with device number, command, result and sense (statistics, event journal).</param>
    public LibraryDevice(TapeDrive drive, Action<ushort, byte, CcwResult, ReadOnlySpan<byte>>? afterCcw = null)
    {
        Drive = drive;
        _afterCcw = afterCcw;
    }

    public TapeDrive Drive { get; }

    /// <summary>Held by whoever uses the drive: a CCW, a mount, the library's posted work.</summary>
    public Lock Sync { get; } = new();

    public ushort DeviceNumber => Drive.DeviceNumber;

    public int MaxTransfer => Drive.MaxTransfer;

    public ReadOnlySpan<byte> Sense => Drive.Sense;

    public event Action<IChannelDevice, UnitStatus>? UnsolicitedStatus
    {
        add => Drive.UnsolicitedStatus += value;
        remove => Drive.UnsolicitedStatus -= value;
    }

    public bool IsImmediate(byte command) => Drive.IsImmediate(command);

    public CcwResult Execute(in CcwRequest request, Span<byte> buffer)
    {
        CcwResult result;
        lock (Sync)
        {
            _executing = true;
            try
            {
                result = Drive.Execute(request, buffer);
                _afterCcw?.Invoke(Drive.DeviceNumber, request.Command, result,
                    (result.Status & UnitStatus.UnitCheck) != 0 ? Drive.Sense : ReadOnlySpan<byte>.Empty);
            }
            finally
            {
                _executing = false;
            }

            RunPosted();
        }

        Drain();
        return result;
    }

    public int TakeConcurrentSense(Span<byte> destination)
    {
        lock (Sync)
        {
            return Drive.TakeConcurrentSense(destination);
        }
    }

    public void StartChannelProgram()
    {
        lock (Sync)
        {
            Drive.StartChannelProgram();
        }
    }

    public void EndChannelProgram()
    {
        lock (Sync)
        {
            Drive.EndChannelProgram();
        }
    }

    /// <summary>Halt may arrive while a CCW runs (another thread): the drive's halt only clears chaining state.</summary>
    public void Halt() => Drive.Halt();

    /// <summary>Runs <paramref name="work"/> under <see cref="Sync"/>: now if the drive is idle, else after the CCW in progress.</summary>
    public void Post(Action work)
    {
        _posted.Enqueue(work);
        Drain();
    }

    /// <summary>Runs <paramref name="action"/> with the drive to itself (mounts from the host side, queries).</summary>
    public T Use<T>(Func<T> action)
    {
        T value;
        lock (Sync)
        {
            value = action();
            RunPosted();
        }

        Drain();
        return value;
    }

    private void Drain()
    {
        while (!_posted.IsEmpty && Sync.TryEnter())
        {
            try
            {
                if (_executing)
                {
                    return; // posted from inside this thread's CCW: Execute runs it when the CCW has ended
                }

                RunPosted();
            }
            finally
            {
                Sync.Exit();
            }
        }
    }

    private void RunPosted()
    {
        while (_posted.TryDequeue(out var work))
        {
            work();
        }
    }
}
