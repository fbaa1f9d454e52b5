namespace ChannelTape.Protocol;

/// <summary>
/// The 32-byte immediate-command bitmap of AttachReply: bit <c>7 - (op % 8)</c> of byte <c>op / 8</c>
/// set = command <c>op</c> is immediate.
/// </summary>
public static class ImmediateCommandMap
{
    public const int Size = 32;

    /// <summary>Builds the bitmap from a predicate over all 256 command codes.</summary>
    public static byte[] Build(Func<byte, bool> isImmediate)
    {
        var map = new byte[Size];
        for (var op = 0; op < 256; op++)
        {
            if (isImmediate((byte)op))
            {
                map[op / 8] |= (byte)(1 << (7 - (op % 8)));
            }
        }

        return map;
    }

    /// <summary>True if <paramref name="command"/> is marked immediate in <paramref name="map"/>.</summary>
    public static bool IsImmediate(ReadOnlySpan<byte> map, byte command) =>
        (map[command / 8] & (1 << (7 - (command % 8)))) != 0;
}
