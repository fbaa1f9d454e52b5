using System.IO.Pipelines;
using System.Net.Sockets;
using ChannelTape.Protocol;

namespace ChannelTape.Server.Transport;

/// <summary>
/// A plain connection's bytes in, into a pipe whose reader runs inline (docs/performance.md, "The receive
/// path"): the session's read loop, and a buffered Write it runs, run on the receiving thread as soon as a
/// receive completes a frame. Until the session attaches a drive the receives are asynchronous, so a
/// connection that only says Hello, or nothing, costs no thread; from <see cref="Dedicate"/> on a thread of
/// the connection's own receives, without a thread-pool hop per frame. When the read loop waits on anything
/// but bytes (the drive's gate, a mount) receiving goes on until the session has two of the largest frames unread.
/// </summary>
/// <remarks>
/// The dedicated thread puts the socket in non-blocking mode and waits with <c>poll</c> itself: the session's
/// sends are asynchronous, which makes the descriptor non-blocking anyway, and a blocking
/// <see cref="Socket.Receive(Span{byte})"/> on such a socket is woken through the runtime's event thread
/// instead of by the kernel.
/// </remarks>
internal sealed class ReceivePump
{
    /// <summary>Most bytes asked of one receive: a 64 KiB block and its frame header fit, with room for the next frames.</summary>
    private const int ReceiveSize = 256 * 1024;

    /// <summary>Pipe segments: frames of 64 KiB blocks mostly lie in one, so their bodies are used in place.</summary>
    private const int SegmentSize = 1024 * 1024;

    /// <summary>How long one <c>poll</c> waits before the thread checks whether the session is gone.</summary>
    private const int PollMicroseconds = 500_000;

    private readonly Socket _socket;
    private readonly string _peer;
    private readonly Pipe _pipe;
    private int _dedicated;
    private bool _readerGone;

    private ReceivePump(Socket socket, string peer, int maxFrameLength)
    {
        _socket = socket;
        _peer = peer;
        // Room for two of the largest frames (§1), so a frame being received never waits for the session.
        var pauseAt = 2L * Math.Max(maxFrameLength, Frame.DefaultMaxLength);
        _pipe = new Pipe(new PipeOptions(
            pauseWriterThreshold: pauseAt,
            resumeWriterThreshold: pauseAt / 2,
            minimumSegmentSize: SegmentSize,
            readerScheduler: PipeScheduler.Inline,
            writerScheduler: PipeScheduler.Inline,
            useSynchronizationContext: false));
    }

    /// <summary>What the session reads; completing it stops the receiving.</summary>
    public PipeReader Reader => _pipe.Reader;

    /// <summary>Starts receiving from <paramref name="socket"/> (named <paramref name="peer"/>); frames are at most <paramref name="maxFrameLength"/>.</summary>
    public static ReceivePump Start(Socket socket, string peer, int maxFrameLength)
    {
        var pump = new ReceivePump(socket, peer, maxFrameLength);
        _ = pump.ReceiveAsync();
        return pump;
    }

    /// <summary>
    /// The session attached a drive: from the next receive on, a thread of this connection's own receives
    /// (once; any thread may call it).
    /// </summary>
    public void Dedicate() => Interlocked.Exchange(ref _dedicated, 1);

    private async Task ReceiveAsync()
    {
        Exception? failure = null;
        var writer = _pipe.Writer;
        try
        {
            while (true)
            {
                if (Volatile.Read(ref _dedicated) == 1)
                {
                    _socket.Blocking = false;
                    new Thread(ReceiveOnThread) { IsBackground = true, Name = $"ctape receive {_peer}" }.Start();
                    return;
                }

                var received = await _socket.ReceiveAsync(writer.GetMemory(ReceiveSize), SocketFlags.None).ConfigureAwait(false);
                if (received == 0)
                {
                    break;
                }

                writer.Advance(received);
                if ((await writer.FlushAsync().ConfigureAwait(false)).IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e)
        {
            failure = Failure(e);
        }

        writer.Complete(failure);
    }

    private void ReceiveOnThread()
    {
        Exception? failure = null;
        var writer = _pipe.Writer;
        try
        {
            while (true)
            {
                var received = ReceiveWaiting(writer.GetMemory(ReceiveSize).Span);
                if (received <= 0)
                {
                    break;
                }

                writer.Advance(received);
                // With the inline reader scheduler the session's read loop runs here, inside the flush.
                var flush = writer.FlushAsync();
                if ((flush.IsCompleted ? flush.Result : flush.AsTask().GetAwaiter().GetResult()).IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e)
        {
            failure = Failure(e);
        }

        writer.Complete(failure);
    }

    /// <summary>What the session's next read throws: the peer's failure as an I/O error; anything else is a bug, read as an internal error that closes this connection only.</summary>
    private static Exception Failure(Exception e) =>
        e is SocketException or ObjectDisposedException ? new IOException(e.Message, e) : e;

    /// <summary>Bytes received into <paramref name="buffer"/>, waiting for them; 0 when the peer closed, -1 when the session went meanwhile.</summary>
    private int ReceiveWaiting(Span<byte> buffer)
    {
        while (true)
        {
            var received = _socket.Receive(buffer, SocketFlags.None, out var error);
            if (error == SocketError.Success)
            {
                return received;
            }

            if (error != SocketError.WouldBlock)
            {
                throw new SocketException((int)error);
            }

            while (!_socket.Poll(PollMicroseconds, SelectMode.SelectRead))
            {
                if (ReaderGone())
                {
                    return -1;
                }
            }
        }
    }

    /// <summary>
    /// The session completed its reader (it reads no more). A flush would tell, but with the peer silent no
    /// flush comes, so the waiting thread asks with an empty one.
    /// </summary>
    private bool ReaderGone()
    {
        var flush = _pipe.Writer.FlushAsync();
        _readerGone |= flush.IsCompleted && flush.Result.IsCompleted;
        return _readerGone;
    }
}
