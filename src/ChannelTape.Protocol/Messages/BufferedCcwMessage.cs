namespace ChannelTape.Protocol.Messages;

/// <summary>
/// BufferedCcw (<c>24</c>), host -> server, no reply (docs/protocol.md §5.1): a Write the host already
/// acknowledged to the guest within its write credit. The body is exactly a <see cref="CcwMessage"/>'s;
/// a Write's data must be present (exactly <c>count</c> bytes).
/// </summary>
public readonly ref struct BufferedCcwMessage : IMessage<BufferedCcwMessage>
{
    public BufferedCcwMessage(CcwMessage ccw) => Ccw = ccw;

    public CcwMessage Ccw { get; }

    public static MessageType FrameType => MessageType.BufferedCcw;

    public MessageType Type => FrameType;

    public int BodyLength => Ccw.BodyLength;

    public void WriteBody(Span<byte> destination) => Ccw.WriteBody(destination);

    public static BufferedCcwMessage Parse(ReadOnlySpan<byte> body)
    {
        var ccw = CcwMessage.ParseBody(body, FrameType);
        if (ccw.Data.IsEmpty && ccw.Count != 0)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                $"{FrameType} carries no data for a count of {ccw.Count} (a buffered Write carries its block)");
        }

        return new BufferedCcwMessage(ccw);
    }
}
