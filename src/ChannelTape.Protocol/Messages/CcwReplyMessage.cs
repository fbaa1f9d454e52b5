using System.Buffers.Binary;
using ChannelTape.Channel;

namespace ChannelTape.Protocol.Messages;

/// <summary>
/// CcwReply (<c>21</c>), server -> host: what the device handler gave back for one CCW. Sense bytes are
/// present whenever unit check is set; input data is <c>count - residual</c> bytes in storage order
/// (for Read Backward the host places it at offset <see cref="Residual"/> of its buffer). With flag
/// <see cref="CcwReplyFlags.WriteCredit"/> a <c>u32</c> write credit sits between sense and data (§5.1).
/// </summary>
public readonly ref struct CcwReplyMessage : IMessage<CcwReplyMessage>
{
    public const int StatusOffset = 0;
    public const int FlagsOffset = 1;
    public const int ResidualOffset = 2;
    public const int SenseCountOffset = 6;
    public const int SenseOffset = 7;
    public const int FixedSize = SenseOffset;
    public const int WriteCreditSize = sizeof(uint);

    /// <summary>A reply; <paramref name="writeCredit"/> is written (and kept) only with <see cref="CcwReplyFlags.WriteCredit"/> in <paramref name="flags"/>.</summary>
    public CcwReplyMessage(UnitStatus status, CcwReplyFlags flags, uint residual, ReadOnlySpan<byte> sense, ReadOnlySpan<byte> data,
        uint writeCredit = 0)
    {
        Status = status;
        Flags = flags;
        Residual = residual;
        Sense = sense;
        Data = data;
        WriteCredit = HasWriteCredit ? writeCredit : 0;
    }

    public UnitStatus Status { get; }
    public CcwReplyFlags Flags { get; }
    public uint Residual { get; }
    public ReadOnlySpan<byte> Sense { get; }
    public ReadOnlySpan<byte> Data { get; }
    /// <summary>Bytes of Writes the host may acknowledge on its own (§5.1); 0 without the flag.</summary>
    public uint WriteCredit { get; }

    public bool HasWriteCredit => (Flags & CcwReplyFlags.WriteCredit) != 0;

    public static MessageType FrameType => MessageType.CcwReply;

    public MessageType Type => FrameType;

    public int BodyLength => SenseOffset + Sense.Length + (HasWriteCredit ? WriteCreditSize : 0) + Data.Length;

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
        var dataOffset = SenseOffset + Sense.Length;
        if (HasWriteCredit)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[dataOffset..], WriteCredit);
            dataOffset += WriteCreditSize;
        }

        Data.CopyTo(destination[dataOffset..]);
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

        var flags = (CcwReplyFlags)body[FlagsOffset];
        var dataOffset = SenseOffset + senseCount;
        uint credit = 0;
        if ((flags & CcwReplyFlags.WriteCredit) != 0)
        {
            if (body.Length < dataOffset + WriteCreditSize)
            {
                throw ProtocolException.Short(FrameType, dataOffset + WriteCreditSize, body.Length);
            }

            credit = BinaryPrimitives.ReadUInt32BigEndian(body[dataOffset..]);
            dataOffset += WriteCreditSize;
        }

        return new CcwReplyMessage(
            (UnitStatus)body[StatusOffset],
            flags,
            BinaryPrimitives.ReadUInt32BigEndian(body[ResidualOffset..]),
            body.Slice(SenseOffset, senseCount),
            body[dataOffset..],
            credit);
    }
}
