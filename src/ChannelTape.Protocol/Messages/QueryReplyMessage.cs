namespace ChannelTape.Protocol.Messages;

/// <summary>QueryReply (<c>43</c>), server -> host: the text Hercules shows for the device in <c>devlist</c>.</summary>
public readonly record struct QueryReplyMessage(string Text) : IMessage<QueryReplyMessage>
{
    public const int TextOffset = 0;
    public const int FixedSize = TextOffset + WireString.LengthSize;

    public static MessageType FrameType => MessageType.QueryReply;

    public MessageType Type => FrameType;

    public int BodyLength => TextOffset + WireString.SizeOf(Text);

    public void WriteBody(Span<byte> destination) => WireString.Write(destination[TextOffset..], Text);

    public static QueryReplyMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        return new QueryReplyMessage(WireString.Read(body[TextOffset..], FrameType, out _));
    }
}
