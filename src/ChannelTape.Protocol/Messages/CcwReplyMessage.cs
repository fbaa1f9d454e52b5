using System.Buffers.Binary;
using ChannelTape.Channel;

namespace ChannelTape.Protocol.Messages;

/// <summary>
/// CcwReply (<c>21</c>), server -> host: what the device handler gave back for one CCW. Sense bytes are
/// present whenever unit check is set; input data is <c>count - residual</c> bytes in storage order
/// (for Read Backward the host places it at offset <see cref="Residual"/> of its buffer).
/// </summary>
public readonly ref struct CcwReplyMessage : IMessage<CcwReplyMessage>
{
    public const int StatusOffset = 0;
    public const int FlagsOffset = 1;
    public const int ResidualOffset = 2;
    public const int SenseCountOffset = 6;
    public const int SenseOffset = 7;
    public const int FixedSize = SenseOffset;

    public CcwReplyMessage(UnitStatus status, CcwReplyFlags flags, uint residual, ReadOnlySpan<byte> sense, ReadOnlySpan<byte> data)
    {
        Status = status;
        Flags = flags;
        Residual = residual;
        Sense = sense;
        Data = data;
    }

    public UnitStatus Status { get; }
    public CcwReplyFlags Flags { get; }
    public uint Residual { get; }
    public ReadOnlySpan<byte> Sense { get; }
    public ReadOnlySpan<byte> Data { get; }

    public static MessageType FrameType => MessageType.CcwReply;

    public MessageType Type => FrameType;

    public int BodyLength => SenseOffset + Sense.Length + Data.Length;

    public void WriteBody(Span<byte> destination)
    {
        if (Sense.Length > byte.MaxValue)
        {
            throw new InvalidOperationException($"CcwReply sense is {Sense.Length} bytes, at most 255 fit");
        }

        destination[StatusOffset] = (byte)Status;
        destination[FlagsOffset] = (byte)Flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[ResidualOffset..], Residual);
        destination[SenseCountOffset] = (byte)Sense.Length;
        Sense.CopyTo(destination[SenseOffset..]);
        Data.CopyTo(destination[(SenseOffset + Sense.Length)..]);
    }

    public static CcwReplyMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        int senseCount = body[SenseCountOffset];
        if (body.Length < FixedSize + senseCount)
        {
            throw ProtocolException.Short(FrameType, FixedSize + senseCount, body.Length);
        }

        return new CcwReplyMessage(
            (UnitStatus)body[StatusOffset],
            (CcwReplyFlags)body[FlagsOffset],
            BinaryPrimitives.ReadUInt32BigEndian(body[ResidualOffset..]),
            body.Slice(SenseOffset, senseCount),
            body[(SenseOffset + senseCount)..]);
    }
}
