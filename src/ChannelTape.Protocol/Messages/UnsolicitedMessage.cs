using ChannelTape.Channel;

namespace ChannelTape.Protocol.Messages;

/// <summary>Unsolicited (<c>30</c>), server -> host: unit status the device presents on its own (DE at ready, ATTN).</summary>
public readonly record struct UnsolicitedMessage(UnitStatus Status) : IMessage<UnsolicitedMessage>
{
    public const int StatusOffset = 0;
    public const int FixedSize = StatusOffset + 1;

    public static MessageType FrameType => MessageType.Unsolicited;

    public MessageType Type => FrameType;

    public int BodyLength => FixedSize;

    public void WriteBody(Span<byte> destination) => destination[StatusOffset] = (byte)Status;

    public static UnsolicitedMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        return new UnsolicitedMessage((UnitStatus)body[StatusOffset]);
    }
}
