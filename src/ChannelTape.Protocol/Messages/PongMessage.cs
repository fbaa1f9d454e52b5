using System.Buffers.Binary;

namespace ChannelTape.Protocol.Messages;

/// <summary>Pong (<c>51</c>), either direction: echoes the token of the Ping it answers.</summary>
public readonly record struct PongMessage(ulong Token) : IMessage<PongMessage>
{
    public const int TokenOffset = 0;
    public const int FixedSize = TokenOffset + sizeof(ulong);

    public static MessageType FrameType => MessageType.Pong;

    public MessageType Type => FrameType;

    public int BodyLength => FixedSize;

    public void WriteBody(Span<byte> destination) => BinaryPrimitives.WriteUInt64BigEndian(destination[TokenOffset..], Token);

    public static PongMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        return new PongMessage(BinaryPrimitives.ReadUInt64BigEndian(body[TokenOffset..]));
    }
}
