using System.Buffers;
using System.IO.Pipelines;
using System.Threading.Channels;
using ChannelTape.Protocol;

namespace ChannelTape.Server.Sessions;

/// <summary>How the writer of a <see cref="FrameOutbox"/> ended.</summary>
internal enum OutboxEnd
{
    /// <summary>Every frame queued was written; the outbox was completed.</summary>
    Completed,
    /// <summary>More frames waited than the queue holds: the peer does not read.</summary>
    QueueFull,
    /// <summary>A write made no progress for the send timeout: the peer does not read.</summary>
    SendTimedOut,
    /// <summary>The pipe failed (the socket reset or closed).</summary>
    PipeFailed,
}

/// <summary>
/// The frames one session sends, in order, through a bounded queue that one writer drains into the
/// session's output pipe (docs/protocol.md §2): a peer that stops reading only ever stalls itself, and is
/// dropped once <c>limit</c> frames wait or a write makes no progress for the send timeout. Anyone may
/// queue (the CCW task, the read loop, a drive's unsolicited status); after the farewell (Error or Close)
/// nothing more is queued.
/// </summary>
internal sealed class FrameOutbox
{
    private readonly PipeWriter _output;
    private readonly TimeSpan _sendTimeout;
    private readonly System.Threading.Channels.Channel<OutgoingFrame> _queue;
    private readonly Lock _lock = new();
    private bool _closed;
    private volatile bool _aborted;
    private OutboxEnd _end = OutboxEnd.Completed;

    public FrameOutbox(PipeWriter output, int limit, TimeSpan sendTimeout, int maxFrameLength)
    {
        _output = output;
        _sendTimeout = sendTimeout;
        MaxFrameLength = maxFrameLength;
        _queue = System.Threading.Channels.Channel.CreateBounded<OutgoingFrame>(new BoundedChannelOptions(limit)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Largest frame this session sends (agreed in Hello).</summary>
    public int MaxFrameLength { get; set; }

    /// <summary>Raised once when the queue overflowed: the peer is not reading.</summary>
    public event Action? Overflowed;

    /// <summary>True once the farewell was queued or the outbox was closed: later frames are dropped.</summary>
    public bool IsClosed
    {
        get
        {
            lock (_lock)
            {
                return _closed;
            }
        }
    }

    /// <summary>Serialises <paramref name="message"/> into a frame of its own (a pooled buffer).</summary>
    public OutgoingFrame Serialize<T>(scoped in T message)
        where T : IMessage, allows ref struct
    {
        var size = FrameWriter.FrameSize(message);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        FrameWriter.Write(buffer.AsSpan(), message, MaxFrameLength);
        return new OutgoingFrame(buffer, size);
    }

    /// <summary>Queues <paramref name="message"/>; dropped when the outbox is closed.</summary>
    public void Send<T>(scoped in T message)
        where T : IMessage, allows ref struct => Send(Serialize(message));

    /// <summary>Queues <paramref name="message"/> unless <paramref name="allowed"/> says no, both under the outbox's lock (phase checks).</summary>
    public void SendIf<T>(Func<bool> allowed, scoped in T message)
        where T : IMessage, allows ref struct
    {
        var frame = Serialize(message);
        lock (_lock)
        {
            if (allowed())
            {
                SendLocked(frame);
                return;
            }
        }

        frame.Return();
    }

    /// <summary>
    /// Queues <paramref name="message"/> and then, under the same lock, runs <paramref name="then"/> (a phase
    /// change), so that no frame queued through <see cref="SendIf"/> falls between the two.
    /// </summary>
    public void Send<T>(scoped in T message, Action then)
        where T : IMessage, allows ref struct
    {
        var frame = Serialize(message);
        bool overflowed;
        lock (_lock)
        {
            overflowed = SendLocked(frame);
            then();
        }

        if (overflowed)
        {
            Overflowed?.Invoke();
        }
    }

    /// <summary>Queues a frame already serialised; the outbox owns its buffer from now on.</summary>
    public void Send(OutgoingFrame frame)
    {
        bool overflowed;
        lock (_lock)
        {
            overflowed = SendLocked(frame);
        }

        if (overflowed)
        {
            Overflowed?.Invoke();
        }
    }

    /// <summary>Queues the last frame (Error or Close); every later frame is dropped.</summary>
    public void SendFarewell<T>(scoped in T message)
        where T : IMessage, allows ref struct
    {
        var frame = Serialize(message);
        lock (_lock)
        {
            if (!_closed)
            {
                SendLocked(frame);
                _closed = true;
                return;
            }
        }

        frame.Return();
    }

    /// <summary>No more frames: the writer ends once the queued ones are written.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            _closed = true;
            _queue.Writer.TryComplete();
        }
    }

    /// <summary>The peer cannot be talked to any more: nothing more is written, a write waiting for the peer gives up now.</summary>
    public void Abort()
    {
        _aborted = true;
        Complete();
        _output.CancelPendingFlush();
    }

    /// <summary>
    /// Writes queued frames into the pipe until <see cref="Complete"/> and the queue is empty, flushing
    /// whenever the queue runs dry (frames queued together go out together). Never throws for the peer.
    /// </summary>
    public async Task<OutboxEnd> RunAsync()
    {
        var reader = _queue.Reader;
        using var timeout = new CancellationTokenSource();
        try
        {
            while (!_aborted && await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (!_aborted && reader.TryRead(out var frame))
                {
                    try
                    {
                        _output.Write(frame.Bytes);
                    }
                    finally
                    {
                        frame.Return();
                    }
                }

                timeout.CancelAfter(_sendTimeout);
                var flush = await _output.FlushAsync(timeout.Token).ConfigureAwait(false);
                timeout.CancelAfter(Timeout.InfiniteTimeSpan);
                if (flush.IsCompleted)
                {
                    return Closed(OutboxEnd.PipeFailed);
                }
            }

            return _aborted && _end == OutboxEnd.Completed ? OutboxEnd.PipeFailed : _end;
        }
        catch (OperationCanceledException)
        {
            return Closed(OutboxEnd.SendTimedOut);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or System.Net.Sockets.SocketException)
        {
            return Closed(OutboxEnd.PipeFailed);
        }
        finally
        {
            while (reader.TryRead(out var left))
            {
                left.Return();
            }
        }
    }

    /// <summary>Adds the frame to the queue; true when the queue was full (the frame is dropped, the outbox closed).</summary>
    private bool SendLocked(OutgoingFrame frame)
    {
        if (_closed)
        {
            frame.Return();
            return false;
        }

        if (_queue.Writer.TryWrite(frame))
        {
            return false;
        }

        frame.Return();
        _closed = true;
        _end = OutboxEnd.QueueFull;
        _queue.Writer.TryComplete();
        return true;
    }

    private OutboxEnd Closed(OutboxEnd end)
    {
        lock (_lock)
        {
            _closed = true;
            _queue.Writer.TryComplete();
        }

        return end;
    }
}

/// <summary>A serialised frame in a pooled buffer.</summary>
internal readonly record struct OutgoingFrame(byte[] Buffer, int Length)
{
    public ReadOnlySpan<byte> Bytes => Buffer.AsSpan(0, Length);

    public void Return() => ArrayPool<byte>.Shared.Return(Buffer);
}
