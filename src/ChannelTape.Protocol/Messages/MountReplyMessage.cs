namespace ChannelTape.Protocol.Messages;

/// <summary>MountReply (<c>41</c>), server -> host: result of a Mount and a message.</summary>
public readonly record struct MountReplyMessage(MountResult Result, string Message) : IMessage<MountReplyMessage>
{
    public const int ResultOffset = 0;
    public const int MessageOffset = 1;
    public const int FixedSize = MessageOffset + WireString.LengthSize;

    public static MessageType FrameType => MessageType.MountReply;

    public MessageType Type => FrameType;

    public int BodyLength => MessageOffset + WireString.SizeOf(Message);

    public void WriteBody(Span<byte> destination)
    {
        destination[ResultOffset] = (byte)Result;
        WireString.Write(destination[MessageOffset..], Message);
    }

    public static MountReplyMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        return new MountReplyMessage((MountResult)body[ResultOffset], WireString.Read(body[MessageOffset..], FrameType, out _));
    }
}
