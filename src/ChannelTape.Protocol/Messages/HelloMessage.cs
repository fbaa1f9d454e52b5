using System.Buffers.Binary;

namespace ChannelTape.Protocol.Messages;

/// <summary>
/// Hello (<c>01</c>), host -> server: magic, version, largest frame the host accepts, host name, and the
/// features it asks for (optional on the wire: absent = none; docs/protocol.md §5). Always written.
/// </summary>
public readonly record struct HelloMessage(uint Magic, ushort Version, uint MaxFrameLength, string HostName,
    ProtocolFeatures Features = ProtocolFeatures.None)
    : IMessage<HelloMessage>
{
    /// <summary>ASCII <c>CTAP</c>.</summary>
    public const uint ExpectedMagic = 0x4354_4150;
    /// <summary>The protocol version of a host that does not authenticate (docs/protocol.md §2).</summary>
    public const ushort CurrentVersion = 1;
    /// <summary>The protocol version of a host that authenticates: a Challenge may answer its Hello (§2.1).</summary>
    public const ushort AuthenticatedVersion = 2;

    public const int MagicOffset = 0;
    public const int VersionOffset = 4;
    public const int MaxFrameLengthOffset = 6;
    public const int HostNameOffset = 10;
    public const int FixedSize = HostNameOffset + WireString.LengthSize;

    /// <summary>A Hello with the right magic and version.</summary>
    public HelloMessage(uint maxFrameLength, string hostName, ProtocolFeatures features = ProtocolFeatures.None)
        : this(ExpectedMagic, CurrentVersion, maxFrameLength, hostName, features)
    {
    }

    public static MessageType FrameType => MessageType.Hello;

    public MessageType Type => FrameType;

    public int BodyLength => HostNameOffset + WireString.SizeOf(HostName) + FeatureField.Size;

    public void WriteBody(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination[MagicOffset..], Magic);
        BinaryPrimitives.WriteUInt16BigEndian(destination[VersionOffset..], Version);
        BinaryPrimitives.WriteUInt32BigEndian(destination[MaxFrameLengthOffset..], MaxFrameLength);
        var nameSize = WireString.Write(destination[HostNameOffset..], HostName);
        FeatureField.Write(destination[(HostNameOffset + nameSize)..], Features);
    }

    public static HelloMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        var hostName = WireString.Read(body[HostNameOffset..], FrameType, out var nameSize);
        return new HelloMessage(
            BinaryPrimitives.ReadUInt32BigEndian(body[MagicOffset..]),
            BinaryPrimitives.ReadUInt16BigEndian(body[VersionOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(body[MaxFrameLengthOffset..]),
            hostName,
            FeatureField.Read(body[(HostNameOffset + nameSize)..], FrameType));
    }
}
