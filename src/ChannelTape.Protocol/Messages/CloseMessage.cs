namespace ChannelTape.Protocol.Messages;

/// <summary>Close (<c>60</c>), either direction: reason and text; the sender then closes the socket.</summary>
public readonly record struct CloseMessage(CloseReason Reason, string Text) : IMessage<CloseMessage>
{
    public const int ReasonOffset = 0;
    public const int TextOffset = 1;
    public const int FixedSize = TextOffset + WireString.LengthSize;

    public static MessageType FrameType => MessageType.Close;

    public MessageType Type => FrameType;

    public int BodyLength => TextOffset + WireString.SizeOf(Text);

    public void WriteBody(Span<byte> destination)
    {
        destination[ReasonOffset] = (byte)Reason;
        WireString.Write(destination[TextOffset..], Text);
    }

    public static CloseMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        return new CloseMessage((CloseReason)body[ReasonOffset], WireString.Read(body[TextOffset..], FrameType, out _));
    }
}
