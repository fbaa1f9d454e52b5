using System.Buffers;
using System.IO.Pipelines;

namespace ChannelTape.Protocol;

/// <summary>
/// Reads frames from a <see cref="PipeReader"/> (docs/protocol.md §1). The header is checked as soon
/// as it arrives, so an oversized or unknown frame is refused before its body is awaited. A frame's
/// body is valid until the next <see cref="ReadAsync"/>: in place in the pipe when it lies in one segment, else
/// copied into a buffer owned by the reader.
/// Not thread-safe: one reading loop per connection.
/// </summary>
public sealed class FrameReader(PipeReader reader)
{
    private const int InitialBodyBuffer = 4096;
    private byte[] _body = new byte[InitialBodyBuffer];

    // A frame whose body lies in one segment of the pipe is handed out in place; the pipe is told it
    // was consumed only at the next read, which is when the body stops being valid anyway.
    private SequencePosition? _unconsumed;

    /// <summary>Largest <c>length</c> accepted; frames above it are <see cref="ProtocolErrorCode.FrameTooLong"/>.</summary>
    public int MaxFrameLength { get; set; } = Frame.DefaultMaxLength;

    /// <summary>
    /// The next frame, or null when the peer closed the stream between two frames. Throws
    /// <see cref="ProtocolException"/> for a zero or oversized length, an unknown type, or a stream
    /// that ends inside a frame.
    /// </summary>
    public async ValueTask<Frame?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_unconsumed is { } consumed)
        {
            _unconsumed = null;
            reader.AdvanceTo(consumed);
        }

        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (TryTakeFrame(ref buffer, out var frame, out var inPlace))
            {
                if (inPlace)
                {
                    _unconsumed = buffer.Start;
                }
                else
                {
                    reader.AdvanceTo(buffer.Start);
                }

                return frame;
            }

            if (result.IsCompleted)
            {
                var leftOver = buffer.Length;
                reader.AdvanceTo(buffer.End);
                if (leftOver == 0)
                {
                    return null;
                }

                throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                    $"connection closed inside a frame ({leftOver} bytes of it received)");
            }

            if (result.IsCanceled)
            {
                throw new OperationCanceledException("frame read canceled");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private bool TryTakeFrame(ref ReadOnlySequence<byte> buffer, out Frame frame, out bool inPlace)
    {
        frame = default;
        inPlace = false;
        if (buffer.Length < Frame.LengthSize)
        {
            return false;
        }

        Span<byte> header = stackalloc byte[Frame.HeaderSize];
        var headerBytes = (int)Math.Min(buffer.Length, Frame.HeaderSize);
        buffer.Slice(0, headerBytes).CopyTo(header);
        var length = Frame.ReadLength(header);
        if (length == 0)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame, "frame length 0");
        }

        if (length > (uint)MaxFrameLength)
        {
            throw new ProtocolException(ProtocolErrorCode.FrameTooLong,
                $"frame length {length} exceeds the maximum {MaxFrameLength}");
        }

        if (headerBytes < Frame.HeaderSize)
        {
            return false;
        }

        var type = header[Frame.TypeOffset];
        if (!MessageTypes.IsKnown(type))
        {
            throw new ProtocolException(ProtocolErrorCode.UnknownType, $"unknown message type 0x{type:X2}");
        }

        var frameSize = Frame.LengthSize + (long)length;
        if (buffer.Length < frameSize)
        {
            return false;
        }

        var bodyLength = (int)length - 1;
        var body = buffer.Slice(Frame.HeaderSize, bodyLength);
        if (body.IsSingleSegment)
        {
            frame = new Frame((MessageType)type, body.First);
            buffer = buffer.Slice(frameSize);
            inPlace = true;
            return true;
        }

        if (_body.Length < bodyLength)
        {
            _body = new byte[Math.Min(Math.Max(bodyLength, _body.Length * 2), MaxFrameLength)];
        }

        body.CopyTo(_body);
        frame = new Frame((MessageType)type, _body.AsMemory(0, bodyLength));
        buffer = buffer.Slice(frameSize);
        return true;
    }
}
