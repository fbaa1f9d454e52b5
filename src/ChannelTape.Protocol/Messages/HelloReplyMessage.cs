using System.Buffers.Binary;

namespace ChannelTape.Protocol.Messages;

/// <summary>
/// HelloReply (<c>02</c>), server -> host: version spoken, the connection's maximum frame length, server
/// name, the features in effect (optional on the wire: absent = none; docs/protocol.md §5), and after
/// them, optional too, the address of the server's management API (docs/operations.md): how <c>ctape</c>
/// finds the API from the tape server's address without taking a drive. Always written.
/// </summary>
public readonly record struct HelloReplyMessage(ushort Version, uint MaxFrameLength, string ServerName,
    ProtocolFeatures Features = ProtocolFeatures.None, string? ManagementAddress = null)
    : IMessage<HelloReplyMessage>
{
    public const int VersionOffset = 0;
    public const int MaxFrameLengthOffset = 2;
    public const int ServerNameOffset = 6;
    public const int FixedSize = ServerNameOffset + WireString.LengthSize;

    public static MessageType FrameType => MessageType.HelloReply;

    public MessageType Type => FrameType;

    public int BodyLength => ServerNameOffset + WireString.SizeOf(ServerName) + FeatureField.Size
        + (ManagementAddress is null ? 0 : WireString.SizeOf(ManagementAddress));

    public void WriteBody(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination[VersionOffset..], Version);
        BinaryPrimitives.WriteUInt32BigEndian(destination[MaxFrameLengthOffset..], MaxFrameLength);
        var nameSize = WireString.Write(destination[ServerNameOffset..], ServerName);
        FeatureField.Write(destination[(ServerNameOffset + nameSize)..], Features);
        if (ManagementAddress is not null)
        {
            WireString.Write(destination[(ServerNameOffset + nameSize + FeatureField.Size)..], ManagementAddress);
        }
    }

    public static HelloReplyMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        var serverName = WireString.Read(body[ServerNameOffset..], FrameType, out var nameSize);
        var rest = body[(ServerNameOffset + nameSize)..];
        var features = FeatureField.Read(rest, FrameType);
        // The management address follows the features; a server that has none (or predates it) ends the body there.
        string? management = rest.Length > FeatureField.Size ? WireString.Read(rest[FeatureField.Size..], FrameType, out _) : null;
        return new HelloReplyMessage(
            BinaryPrimitives.ReadUInt16BigEndian(body[VersionOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(body[MaxFrameLengthOffset..]),
            serverName,
            features,
            management);
    }
}
