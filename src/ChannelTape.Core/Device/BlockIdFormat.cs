using System.Buffers.Binary;

namespace ChannelTape.Device;

/// <summary>
/// 3480/3490 block id as Read Block ID returns it and Locate Block takes it (IBM 3490E Hardware
/// Reference GA32-0127 "Read Block ID": bit 0 wrap, bits 1-7 segment, bits 8-9 format mode, bits
/// 10-31 logical block number). Like Hercules (tapedev.c readblkid_virtual) the drive reports wrap 0,
/// segment 1, format 00 and the 22-bit number of blocks and tape marks before the position; the
/// channel and device block ids are equal. Locate Block uses only the block number.
/// </summary>
public static class BlockIdFormat
{
    /// <summary>Bits 8-9: format mode. Both on is not a valid 3480/3490 format and is rejected.</summary>
    public const uint FormatMask = 0x00C0_0000;

    /// <summary>Bits 10-31: logical block number.</summary>
    public const uint BlockNumberMask = 0x003F_FFFF;

    /// <summary>Byte 0 as Hercules reports it: wrap 0, segment 1.</summary>
    public const uint SegmentOne = 0x0100_0000;

    /// <summary>The block id of the position before block <paramref name="blockNumber"/> (block numbers wrap at 2^22).</summary>
    public static uint Encode(long blockNumber) => SegmentOne | ((uint)blockNumber & BlockNumberMask);

    /// <summary>Read Block ID data: the channel block id, then the device block id (4 bytes each, big-endian).</summary>
    public const int ReadBlockIdLength = 8;

    /// <summary>Writes the Read Block ID data for the position before block <paramref name="blockNumber"/>.</summary>
    public static void WriteReadBlockIdData(long blockNumber, Span<byte> destination)
    {
        uint blockId = Encode(blockNumber);
        BinaryPrimitives.WriteUInt32BigEndian(destination, blockId);     // channel block id
        BinaryPrimitives.WriteUInt32BigEndian(destination[4..], blockId); // device block id
    }

    /// <summary>The logical block number a Locate Block id names.</summary>
    public static long BlockNumber(uint blockId) => blockId & BlockNumberMask;
}
