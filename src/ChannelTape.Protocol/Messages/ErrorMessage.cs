using System.Buffers.Binary;

namespace ChannelTape.Protocol.Messages;

/// <summary>Error (<c>7F</c>), server -> host: the protocol error that closes the connection.</summary>
public readonly record struct ErrorMessage(ProtocolErrorCode Code, string Text) : IMessage<ErrorMessage>
{
    public const int CodeOffset = 0;
    public const int TextOffset = 2;
    public const int FixedSize = TextOffset + WireString.LengthSize;

    public static MessageType FrameType => MessageType.Error;

    public MessageType Type => FrameType;

    public int BodyLength => TextOffset + WireString.SizeOf(Text);

    public void WriteBody(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination[CodeOffset..], (ushort)Code);
        WireString.Write(destination[TextOffset..], Text);
    }

    public static ErrorMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        return new ErrorMessage((ProtocolErrorCode)BinaryPrimitives.ReadUInt16BigEndian(body[CodeOffset..]), WireString.Read(body[TextOffset..], FrameType, out _));
    }
}
