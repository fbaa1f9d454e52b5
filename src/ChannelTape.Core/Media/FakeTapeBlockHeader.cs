namespace ChannelTape.Media;

/// <summary>
/// The 12-character FakeTape block header (docs/reference/hercules-tape.md §6.3; faketape.c readhdr_faketape /
/// writehdr_faketape): previous block length, current block length and their XOR, each four
/// uppercase ASCII hex digits (big-endian text). A current length of 0 is a tape mark.
/// </summary>
internal readonly record struct FakeTapeBlockHeader(ushort PreviousLength, ushort CurrentLength)
{
    public const int Size = 12;
    private const int PreviousLengthOffset = 0;
    private const int CurrentLengthOffset = 4;
    private const int XorOffset = 8;
    private const int FieldLength = 4;

    /// <summary>Parses a header; false when a field is not hex or the XOR check fails (faketape.c: "block header damage").</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out FakeTapeBlockHeader header)
    {
        header = default;
        if (!TryHex(source.Slice(PreviousLengthOffset, FieldLength), out ushort previous)
            || !TryHex(source.Slice(CurrentLengthOffset, FieldLength), out ushort current)
            || !TryHex(source.Slice(XorOffset, FieldLength), out ushort xor)
            || (previous ^ current) != xor)
        {
            return false;
        }

        header = new FakeTapeBlockHeader(previous, current);
        return true;
    }

    public void Write(Span<byte> destination)
    {
        WriteHex(destination.Slice(PreviousLengthOffset, FieldLength), PreviousLength);
        WriteHex(destination.Slice(CurrentLengthOffset, FieldLength), CurrentLength);
        WriteHex(destination.Slice(XorOffset, FieldLength), (ushort)(PreviousLength ^ CurrentLength));
    }

    private static bool TryHex(ReadOnlySpan<byte> text, out ushort value)
    {
        int result = 0;
        foreach (byte c in text)
        {
            int digit = c switch
            {
                >= (byte)'0' and <= (byte)'9' => c - '0',
                >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
                >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                value = 0;
                return false;
            }

            result = (result << 4) | digit;
        }

        value = (ushort)result;
        return true;
    }

    private static void WriteHex(Span<byte> destination, ushort value)
    {
        const string digits = "0123456789ABCDEF";
        for (int i = FieldLength - 1; i >= 0; i--)
        {
            destination[i] = (byte)digits[value & 0xF];
            value >>= 4;
        }
    }
}
