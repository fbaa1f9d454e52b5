using System.Buffers;
using System.Buffers.Binary;

namespace ChannelTape.Protocol;

/// <summary>Writes messages as frames: 4-byte big-endian length (type + body), type byte, body.</summary>
public static class FrameWriter
{
    /// <summary>Size of the frame that carries <paramref name="message"/>, header included.</summary>
    public static int FrameSize<T>(scoped in T message)
        where T : IMessage, allows ref struct => Frame.HeaderSize + message.BodyLength;

    /// <summary>
    /// Writes one frame into <paramref name="output"/> and returns its size. A frame longer than
    /// <paramref name="maxFrameLength"/> is a bug of the caller (the sender checks its limits first).
    /// </summary>
    public static int Write<T>(IBufferWriter<byte> output, scoped in T message, int maxFrameLength = Frame.DefaultMaxLength)
        where T : IMessage, allows ref struct
    {
        var size = FrameSize(message);
        Write(output.GetSpan(size), message, maxFrameLength);
        output.Advance(size);
        return size;
    }

    /// <summary>Writes one frame at the start of <paramref name="destination"/> and returns its size.</summary>
    public static int Write<T>(Span<byte> destination, scoped in T message, int maxFrameLength = Frame.DefaultMaxLength)
        where T : IMessage, allows ref struct
    {
        var bodyLength = message.BodyLength;
        if (bodyLength + 1 > maxFrameLength)
        {
            throw new InvalidOperationException(
                $"{message.Type} frame of length {bodyLength + 1} exceeds the maximum {maxFrameLength}");
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination[Frame.LengthOffset..], (uint)(bodyLength + 1));
        destination[Frame.TypeOffset] = (byte)message.Type;
        message.WriteBody(destination.Slice(Frame.HeaderSize, bodyLength));
        return Frame.HeaderSize + bodyLength;
    }

    /// <summary>The frame carrying <paramref name="message"/> as a new array.</summary>
    public static byte[] ToArray<T>(scoped in T message, int maxFrameLength = Frame.DefaultMaxLength)
        where T : IMessage, allows ref struct
    {
        var frame = new byte[FrameSize(message)];
        Write(frame.AsSpan(), message, maxFrameLength);
        return frame;
    }
}
