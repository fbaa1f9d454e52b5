namespace ChannelTape.Protocol;

/// <summary>A message that writes its body into a frame (the 5-byte header is the <see cref="FrameWriter"/>'s).</summary>
public interface IMessage
{
    /// <summary>The frame type byte.</summary>
    MessageType Type { get; }

    /// <summary>Size of the body in bytes.</summary>
    int BodyLength { get; }

    /// <summary>Writes the body into <paramref name="destination"/> (at least <see cref="BodyLength"/> bytes).</summary>
    void WriteBody(Span<byte> destination);
}

/// <summary>A message that also parses itself from a frame body.</summary>
public interface IMessage<TSelf> : IMessage
    where TSelf : IMessage<TSelf>, allows ref struct
{
    /// <summary>The frame type byte of every message of this type.</summary>
    static abstract MessageType FrameType { get; }

    /// <summary>Parses a body; a body shorter than the fixed fields is a <see cref="ProtocolException"/>.</summary>
    static abstract TSelf Parse(ReadOnlySpan<byte> body);
}
