using System.Buffers.Binary;

namespace ChannelTape.Protocol.Messages;

/// <summary>
/// ReadAhead (<c>25</c>), server -> host (docs/protocol.md §5.2): the data blocks that follow a Read,
/// sent just before its CcwReply. Body: <c>u16</c> number of blocks n (at least 1), then n entries of
/// <c>u32</c> block length L and <c>min(L, 65535)</c> bytes. <see cref="Entries"/> holds the encoded
/// entries and points into the frame it was parsed from; enumerate the blocks with <c>foreach</c>.
/// </summary>
public readonly ref struct ReadAheadMessage : IMessage<ReadAheadMessage>
{
    public const int CountOffset = 0;
    public const int EntriesOffset = 2;
    public const int FixedSize = EntriesOffset;
    /// <summary>Size of the length in front of each block.</summary>
    public const int EntryLengthSize = sizeof(uint);
    /// <summary>Most bytes of one block carried (a Read CCW's largest count).</summary>
    public const int MaxBlockBytes = 0xFFFF;

    public ReadAheadMessage(ushort count, ReadOnlySpan<byte> entries)
    {
        Count = count;
        Entries = entries;
    }

    /// <summary>Number of blocks.</summary>
    public ushort Count { get; }

    /// <summary>The encoded entries (length, bytes), as <see cref="WriteEntry"/> lays them out.</summary>
    public ReadOnlySpan<byte> Entries { get; }

    public static MessageType FrameType => MessageType.ReadAhead;

    public MessageType Type => FrameType;

    public int BodyLength => EntriesOffset + Entries.Length;

    /// <summary>Encoded size of the entry for a block of <paramref name="blockLength"/> bytes.</summary>
    public static int EntrySize(int blockLength) => EntryLengthSize + Math.Min(blockLength, MaxBlockBytes);

    /// <summary>
    /// Writes one entry: the block's true length and the first <c>min(length, 65535)</c> bytes of
    /// <paramref name="data"/>; returns its size.
    /// </summary>
    public static int WriteEntry(Span<byte> destination, int blockLength, ReadOnlySpan<byte> data)
    {
        var carried = Math.Min(blockLength, MaxBlockBytes);
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)blockLength);
        data[..carried].CopyTo(destination[EntryLengthSize..]);
        return EntryLengthSize + carried;
    }

    public void WriteBody(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination[CountOffset..], Count);
        Entries.CopyTo(destination[EntriesOffset..]);
    }

    /// <summary>Parses a body: at least one block, every entry complete, nothing after the last.</summary>
    public static ReadAheadMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        var count = BinaryPrimitives.ReadUInt16BigEndian(body[CountOffset..]);
        if (count == 0)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame, $"{FrameType} carries no block");
        }

        var entries = body[EntriesOffset..];
        var offset = 0;
        for (var i = 0; i < count; i++)
        {
            if (entries.Length - offset < EntryLengthSize)
            {
                throw new ProtocolException(ProtocolErrorCode.MalformedFrame, $"{FrameType}: block {i + 1} of {count} is missing");
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(entries[offset..]);
            var carried = (int)Math.Min(length, MaxBlockBytes);
            if (entries.Length - offset - EntryLengthSize < carried)
            {
                throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                    $"{FrameType}: block {i + 1} of {count} has {carried} bytes, only {entries.Length - offset - EntryLengthSize} present");
            }

            offset += EntryLengthSize + carried;
        }

        if (offset != entries.Length)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                $"{FrameType}: {entries.Length - offset} bytes after its {count} blocks");
        }

        return new ReadAheadMessage(count, entries);
    }

    public Enumerator GetEnumerator() => new(Entries);

    /// <summary>One block: its true length and the bytes carried (<c>min(Length, 65535)</c>).</summary>
    public readonly ref struct Block(uint length, ReadOnlySpan<byte> data)
    {
        public uint Length { get; } = length;
        public ReadOnlySpan<byte> Data { get; } = data;
    }

    /// <summary>Walks the entries of a parsed (so well-formed) message.</summary>
    public ref struct Enumerator(ReadOnlySpan<byte> entries)
    {
        private readonly ReadOnlySpan<byte> _entries = entries;
        private int _next;

        public Block Current { get; private set; }

        public bool MoveNext()
        {
            if (_entries.Length - _next < EntryLengthSize)
            {
                return false;
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(_entries[_next..]);
            var carried = (int)Math.Min(length, MaxBlockBytes);
            Current = new Block(length, _entries.Slice(_next + EntryLengthSize, carried));
            _next += EntryLengthSize + carried;
            return true;
        }
    }
}
