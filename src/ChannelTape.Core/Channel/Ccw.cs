using System.Buffers.Binary;

namespace ChannelTape.Channel;

/// <summary>CCW format (SA22-7201: format 0 = 24-bit address, format 1 = 31-bit address).</summary>
public enum CcwFormat : byte
{
    Format0 = 0,
    Format1 = 1,
}

/// <summary>
/// One channel-command word. Both formats are 8 bytes:
/// format 0: <c>[0] cmd [1-3] addr24 [4] flags [5] 0 [6-7] count</c>;
/// format 1: <c>[0] cmd [1] flags [2-3] count [4-7] addr31</c>.
/// </summary>
public readonly record struct Ccw(byte Command, CcwFlags Flags, ushort Count, uint DataAddress)
{
    /// <summary>Size of a CCW in storage, both formats.</summary>
    public const int Size = 8;

    public static Ccw Read(ReadOnlySpan<byte> source, CcwFormat format)
    {
        if (source.Length < Size)
        {
            throw new ArgumentException($"a CCW is {Size} bytes, got {source.Length}", nameof(source));
        }

        return format == CcwFormat.Format0
            ? new Ccw(source[0], (CcwFlags)source[4], BinaryPrimitives.ReadUInt16BigEndian(source[6..]),
                BinaryPrimitives.ReadUInt32BigEndian(source) & 0x00FF_FFFF)
            : new Ccw(source[0], (CcwFlags)source[1], BinaryPrimitives.ReadUInt16BigEndian(source[2..]),
                BinaryPrimitives.ReadUInt32BigEndian(source[4..]) & 0x7FFF_FFFF);
    }

    public void WriteTo(Span<byte> destination, CcwFormat format)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"a CCW is {Size} bytes, got {destination.Length}", nameof(destination));
        }

        if (format == CcwFormat.Format0)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, DataAddress & 0x00FF_FFFF);
            destination[0] = Command;
            destination[4] = (byte)Flags;
            destination[5] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(destination[6..], Count);
        }
        else
        {
            destination[0] = Command;
            destination[1] = (byte)Flags;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], Count);
            BinaryPrimitives.WriteUInt32BigEndian(destination[4..], DataAddress & 0x7FFF_FFFF);
        }
    }
}
