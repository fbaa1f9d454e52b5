using System.Buffers.Binary;

namespace ChannelTape.Protocol.Messages;

/// <summary>
/// ReadAhead (<c>25</c>), server -> host (docs/protocol.md §5.2): the data blocks that follow a Read,
/// sent just before its CcwReply. Body: <c>u16</c> number of blocks n (at least 1), then n entries, each
/// either inline, <c>u32</c> block length L and <c>min(L, 65535)</c> bytes, or by reference (§5.3),
/// <c>u32 0x80000000 | L</c> and the <c>u64</c> offset of the block's L bytes in the image announced by
/// ReadAheadImage. <see cref="Entries"/> holds the encoded entries and points into the frame it was
/// parsed from; enumerate the blocks with <c>foreach</c>.
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
    /// <summary>Bit 31 of the length word: the entry refers to the image instead of carrying the bytes (§5.3).</summary>
    public const uint ReferenceFlag = 0x8000_0000;
    /// <summary>Size of the image offset after a reference entry's length word.</summary>
    public const int ImageOffsetSize = sizeof(ulong);
    /// <summary>Size of a reference entry: length word and image offset.</summary>
    public const int ReferenceEntrySize = EntryLengthSize + ImageOffsetSize;

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
        data[..Math.Min(blockLength, MaxBlockBytes)].CopyTo(destination[EntryLengthSize..]);
        return WriteEntryLength(destination, blockLength);
    }

    /// <summary>
    /// Writes the length word of an entry whose <c>min(length, 65535)</c> data bytes already lie after it (a
    /// block read straight into the frame); returns the entry's size.
    /// </summary>
    public static int WriteEntryLength(Span<byte> entry, int blockLength)
    {
        BinaryPrimitives.WriteUInt32BigEndian(entry, (uint)blockLength);
        return EntrySize(blockLength);
    }

    /// <summary>
    /// Writes one reference entry (§5.3): <c>0x80000000 | blockLength</c> and <paramref name="imageOffset"/>,
    /// where the block's bytes lie uncompressed and contiguous in the announced image; returns its size.
    /// </summary>
    public static int WriteReferenceEntry(Span<byte> destination, int blockLength, long imageOffset)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockLength);
        ArgumentOutOfRangeException.ThrowIfNegative(imageOffset);
        BinaryPrimitives.WriteUInt32BigEndian(destination, ReferenceFlag | (uint)blockLength);
        BinaryPrimitives.WriteUInt64BigEndian(destination[EntryLengthSize..], (ulong)imageOffset);
        return ReferenceEntrySize;
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

            var word = BinaryPrimitives.ReadUInt32BigEndian(entries[offset..]);
            if ((word & ReferenceFlag) != 0)
            {
                // §5.3: L > 0 (a zero-length block is never read ahead), then an offset a file can have.
                if ((word & ~ReferenceFlag) == 0)
                {
                    throw new ProtocolException(ProtocolErrorCode.MalformedFrame, $"{FrameType}: block {i + 1} of {count} refers to 0 bytes");
                }

                if (entries.Length - offset < ReferenceEntrySize)
                {
                    throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                        $"{FrameType}: block {i + 1} of {count} is a reference without its image offset");
                }

                if (BinaryPrimitives.ReadUInt64BigEndian(entries[(offset + EntryLengthSize)..]) > long.MaxValue)
                {
                    throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                        $"{FrameType}: block {i + 1} of {count} refers to an image offset at or above 2^63");
                }

                offset += ReferenceEntrySize;
                continue;
            }

            var carried = (int)Math.Min(word, MaxBlockBytes);
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

    /// <summary>
    /// One block: its true length and either the bytes carried (<c>min(Length, 65535)</c>) or, for a
    /// reference (§5.3), where its bytes start in the announced image (<see cref="ImageOffset"/>, -1 inline).
    /// </summary>
    public readonly ref struct Block
    {
        public Block(uint length, ReadOnlySpan<byte> data)
        {
            Length = length;
            Data = data;
            ImageOffset = -1;
        }

        public Block(uint length, long imageOffset)
        {
            Length = length;
            ImageOffset = imageOffset;
        }

        public uint Length { get; }

        /// <summary>The bytes carried; empty for a reference.</summary>
        public ReadOnlySpan<byte> Data { get; }

        /// <summary>Offset of the block's bytes in the announced image; -1 when they are carried inline.</summary>
        public long ImageOffset { get; }

        public bool IsReference => ImageOffset >= 0;
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

            var word = BinaryPrimitives.ReadUInt32BigEndian(_entries[_next..]);
            if ((word & ReferenceFlag) != 0)
            {
                Current = new Block(word & ~ReferenceFlag, (long)BinaryPrimitives.ReadUInt64BigEndian(_entries[(_next + EntryLengthSize)..]));
                _next += ReferenceEntrySize;
                return true;
            }

            var carried = (int)Math.Min(word, MaxBlockBytes);
            Current = new Block(word, _entries.Slice(_next + EntryLengthSize, carried));
            _next += EntryLengthSize + carried;
            return true;
        }
    }
}
