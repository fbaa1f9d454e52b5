using System.Buffers.Binary;

namespace ChannelTape.Protocol.Messages;

/// <summary>
/// Attach (<c>10</c>), host -> server: device number, requested model (<c>0000</c> = configured),
/// flags, and the rest of the Hercules device statement (image/volser/<c>*</c> and options).
/// </summary>
public readonly record struct AttachMessage(ushort DeviceNumber, ushort Model, AttachFlags Flags, string DeviceArguments)
    : IMessage<AttachMessage>
{
    public const int DeviceNumberOffset = 0;
    public const int ModelOffset = 2;
    public const int FlagsOffset = 4;
    public const int DeviceArgumentsOffset = 5;
    public const int FixedSize = DeviceArgumentsOffset + WireString.LengthSize;

    public static MessageType FrameType => MessageType.Attach;

    public MessageType Type => FrameType;

    public int BodyLength => DeviceArgumentsOffset + WireString.SizeOf(DeviceArguments);

    public void WriteBody(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination[DeviceNumberOffset..], DeviceNumber);
        BinaryPrimitives.WriteUInt16BigEndian(destination[ModelOffset..], Model);
        destination[FlagsOffset] = (byte)Flags;
        WireString.Write(destination[DeviceArgumentsOffset..], DeviceArguments);
    }

    public static AttachMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        return new AttachMessage(
            BinaryPrimitives.ReadUInt16BigEndian(body[DeviceNumberOffset..]),
            BinaryPrimitives.ReadUInt16BigEndian(body[ModelOffset..]),
            (AttachFlags)body[FlagsOffset],
            WireString.Read(body[DeviceArgumentsOffset..], FrameType, out _));
    }
}
