using System.Buffers.Binary;

namespace ChannelTape.Protocol.Messages;

/// <summary>Ping (<c>50</c>), either direction: an 8-byte token the other side echoes in Pong.</summary>
public readonly record struct PingMessage(ulong Token) : IMessage<PingMessage>
{
    public const int TokenOffset = 0;
    public const int FixedSize = TokenOffset + sizeof(ulong);

    public static MessageType FrameType => MessageType.Ping;

    public MessageType Type => FrameType;

    public int BodyLength => FixedSize;

    public void WriteBody(Span<byte> destination) => BinaryPrimitives.WriteUInt64BigEndian(destination[TokenOffset..], Token);

    public static PingMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        return new PingMessage(BinaryPrimitives.ReadUInt64BigEndian(body[TokenOffset..]));
    }
}
