using System.Buffers.Binary;

namespace ChannelTape.Protocol.Messages;

/// <summary>
/// ReadAheadEnd (<c>26</c>), host -> server, no reply (docs/protocol.md §5.2): how many blocks of the
/// last ReadAhead batch the host did not use, and whether a channel program began among the Reads
/// it answered itself.
/// </summary>
public readonly record struct ReadAheadEndMessage(uint UnusedBlocks, ReadAheadEndFlags Flags) : IMessage<ReadAheadEndMessage>
{
    public const int UnusedBlocksOffset = 0;
    public const int FlagsOffset = 4;
    public const int FixedSize = FlagsOffset + 1;

    public static MessageType FrameType => MessageType.ReadAheadEnd;

    public MessageType Type => FrameType;

    public int BodyLength => FixedSize;

    public void WriteBody(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination[UnusedBlocksOffset..], UnusedBlocks);
        destination[FlagsOffset] = (byte)Flags;
    }

    public static ReadAheadEndMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        return new ReadAheadEndMessage(BinaryPrimitives.ReadUInt32BigEndian(body[UnusedBlocksOffset..]),
            (ReadAheadEndFlags)body[FlagsOffset]);
    }
}
