using System.Buffers.Binary;

namespace ChannelTape.Protocol.Messages;

/// <summary>
/// HelloReply (<c>02</c>), server -> host: version spoken, the connection's maximum frame length, server
/// name, and the features in effect (optional on the wire: absent = none; docs/protocol.md §5). Always written.
/// </summary>
public readonly record struct HelloReplyMessage(ushort Version, uint MaxFrameLength, string ServerName,
    ProtocolFeatures Features = ProtocolFeatures.None)
    : IMessage<HelloReplyMessage>
{
    public const int VersionOffset = 0;
    public const int MaxFrameLengthOffset = 2;
    public const int ServerNameOffset = 6;
    public const int FixedSize = ServerNameOffset + WireString.LengthSize;

    public static MessageType FrameType => MessageType.HelloReply;

    public MessageType Type => FrameType;

    public int BodyLength => ServerNameOffset + WireString.SizeOf(ServerName) + FeatureField.Size;

    public void WriteBody(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination[VersionOffset..], Version);
        BinaryPrimitives.WriteUInt32BigEndian(destination[MaxFrameLengthOffset..], MaxFrameLength);
        var nameSize = WireString.Write(destination[ServerNameOffset..], ServerName);
        FeatureField.Write(destination[(ServerNameOffset + nameSize)..], Features);
    }

    public static HelloReplyMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        var serverName = WireString.Read(body[ServerNameOffset..], FrameType, out var nameSize);
        return new HelloReplyMessage(
            BinaryPrimitives.ReadUInt16BigEndian(body[VersionOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(body[MaxFrameLengthOffset..]),
            serverName,
            FeatureField.Read(body[(ServerNameOffset + nameSize)..], FrameType));
    }
}
