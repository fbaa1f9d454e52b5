using System.Buffers.Binary;

namespace ChannelTape.Protocol.Messages;

/// <summary>HelloReply (<c>02</c>), server -> host: version spoken and the connection's maximum frame length.</summary>
public readonly record struct HelloReplyMessage(ushort Version, uint MaxFrameLength, string ServerName)
    : IMessage<HelloReplyMessage>
{
    public const int VersionOffset = 0;
    public const int MaxFrameLengthOffset = 2;
    public const int ServerNameOffset = 6;
    public const int FixedSize = ServerNameOffset + WireString.LengthSize;

    public static MessageType FrameType => MessageType.HelloReply;

    public MessageType Type => FrameType;

    public int BodyLength => ServerNameOffset + WireString.SizeOf(ServerName);

    public void WriteBody(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination[VersionOffset..], Version);
        BinaryPrimitives.WriteUInt32BigEndian(destination[MaxFrameLengthOffset..], MaxFrameLength);
        WireString.Write(destination[ServerNameOffset..], ServerName);
    }

    public static HelloReplyMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        return new HelloReplyMessage(
            BinaryPrimitives.ReadUInt16BigEndian(body[VersionOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(body[MaxFrameLengthOffset..]),
            WireString.Read(body[ServerNameOffset..], FrameType, out _));
    }
}
