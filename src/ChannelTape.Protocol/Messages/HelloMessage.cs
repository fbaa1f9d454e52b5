using System.Buffers.Binary;

namespace ChannelTape.Protocol.Messages;

/// <summary>Hello (<c>01</c>), host -> server: magic, version, largest frame the host accepts, host name.</summary>
public readonly record struct HelloMessage(uint Magic, ushort Version, uint MaxFrameLength, string HostName)
    : IMessage<HelloMessage>
{
    /// <summary>ASCII <c>CTAP</c>.</summary>
    public const uint ExpectedMagic = 0x4354_4150;
    /// <summary>The protocol version this library speaks.</summary>
    public const ushort CurrentVersion = 1;

    public const int MagicOffset = 0;
    public const int VersionOffset = 4;
    public const int MaxFrameLengthOffset = 6;
    public const int HostNameOffset = 10;
    public const int FixedSize = HostNameOffset + WireString.LengthSize;

    /// <summary>A Hello with the right magic and version.</summary>
    public HelloMessage(uint maxFrameLength, string hostName)
        : this(ExpectedMagic, CurrentVersion, maxFrameLength, hostName)
    {
    }

    public static MessageType FrameType => MessageType.Hello;

    public MessageType Type => FrameType;

    public int BodyLength => HostNameOffset + WireString.SizeOf(HostName);

    public void WriteBody(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination[MagicOffset..], Magic);
        BinaryPrimitives.WriteUInt16BigEndian(destination[VersionOffset..], Version);
        BinaryPrimitives.WriteUInt32BigEndian(destination[MaxFrameLengthOffset..], MaxFrameLength);
        WireString.Write(destination[HostNameOffset..], HostName);
    }

    public static HelloMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        return new HelloMessage(
            BinaryPrimitives.ReadUInt32BigEndian(body[MagicOffset..]),
            BinaryPrimitives.ReadUInt16BigEndian(body[VersionOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(body[MaxFrameLengthOffset..]),
            WireString.Read(body[HostNameOffset..], FrameType, out _));
    }
}
