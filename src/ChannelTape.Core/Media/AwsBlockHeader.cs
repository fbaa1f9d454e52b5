using System.Buffers.Binary;

namespace ChannelTape.Media;

/// <summary>AWSTAPE / HET chunk header flags-1 (tapedev.h AWSTAPE_FLAG1_*, hetlib.h HETHDR_FLAGS1_*).</summary>
[Flags]
public enum AwsFlags1 : byte
{
    None = 0x00,
    /// <summary>HET: chunk data is zlib-compressed.</summary>
    Zlib = 0x01,
    /// <summary>HET: chunk data is bzip2-compressed.</summary>
    Bzip2 = 0x02,
    /// <summary>HET: compression method mask.</summary>
    CompressionMask = 0x03,
    /// <summary>Last chunk of a block.</summary>
    EndOfRecord = 0x20,
    /// <summary>Tape mark (data length 0).</summary>
    TapeMark = 0x40,
    /// <summary>First chunk of a block.</summary>
    StartOfRecord = 0x80,
}

/// <summary>HET chunk header flags-2 (hetlib.h HETHDR_FLAGS2_*).</summary>
[Flags]
public enum AwsFlags2 : byte
{
    None = 0x00,
    /// <summary>Bus-Tech zlib compression (read only).</summary>
    BusTechZlib = 0x80,
}

/// <summary>
/// The 6-byte chunk header shared by AWSTAPE and HET (docs/reference/hercules-tape.md §6.1; tapedev.h AWSTAPE_BLKHDR,
/// hetlib.h HETHDR): this chunk's data length and the previous chunk's data length, both little-endian,
/// then two flag bytes.
/// </summary>
public readonly record struct AwsBlockHeader(ushort CurrentLength, ushort PreviousLength, AwsFlags1 Flags1, AwsFlags2 Flags2)
{
    /// <summary>Bytes of a chunk header.</summary>
    public const int Size = 6;
    private const int CurrentLengthOffset = 0;
    private const int PreviousLengthOffset = 2;
    private const int Flags1Offset = 4;
    private const int Flags2Offset = 5;

    /// <summary>Flags-1 40: a tape mark (data length 0).</summary>
    public bool IsTapeMark => (Flags1 & AwsFlags1.TapeMark) != 0;
    /// <summary>Flags-1 20: the last chunk of a block.</summary>
    public bool IsEndOfRecord => (Flags1 & AwsFlags1.EndOfRecord) != 0;
    /// <summary>Flags-1 80: the first chunk of a block.</summary>
    public bool IsStartOfRecord => (Flags1 & AwsFlags1.StartOfRecord) != 0;

    /// <summary>The header in the first <see cref="Size"/> bytes of <paramref name="source"/>.</summary>
    public static AwsBlockHeader Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt16LittleEndian(source[CurrentLengthOffset..]),
        BinaryPrimitives.ReadUInt16LittleEndian(source[PreviousLengthOffset..]),
        (AwsFlags1)source[Flags1Offset],
        (AwsFlags2)source[Flags2Offset]);

    /// <summary>Writes the header into the first <see cref="Size"/> bytes of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(destination[CurrentLengthOffset..], CurrentLength);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[PreviousLengthOffset..], PreviousLength);
        destination[Flags1Offset] = (byte)Flags1;
        destination[Flags2Offset] = (byte)Flags2;
    }
}
