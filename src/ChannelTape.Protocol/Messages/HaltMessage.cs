namespace ChannelTape.Protocol.Messages;

/// <summary>Halt (<c>22</c>), host -> server: stop the outstanding Ccw as soon as possible; empty body. Ignored with no Ccw outstanding.</summary>
public readonly record struct HaltMessage : IMessage<HaltMessage>
{
    public const int FixedSize = 0;

    public static MessageType FrameType => MessageType.Halt;

    public MessageType Type => FrameType;

    public int BodyLength => FixedSize;

    public void WriteBody(Span<byte> destination)
    {
    }

    public static HaltMessage Parse(ReadOnlySpan<byte> body) => default;
}
