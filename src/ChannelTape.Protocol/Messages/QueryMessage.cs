namespace ChannelTape.Protocol.Messages;

/// <summary>Query (<c>42</c>), host -> server: ask for the drive's <c>devlist</c> text; empty body.</summary>
public readonly record struct QueryMessage : IMessage<QueryMessage>
{
    public const int FixedSize = 0;

    public static MessageType FrameType => MessageType.Query;

    public MessageType Type => FrameType;

    public int BodyLength => FixedSize;

    public void WriteBody(Span<byte> destination)
    {
    }

    public static QueryMessage Parse(ReadOnlySpan<byte> body) => default;
}
