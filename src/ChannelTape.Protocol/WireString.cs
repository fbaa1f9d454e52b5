using System.Buffers.Binary;
using System.Text;

namespace ChannelTape.Protocol;

/// <summary>A protocol <i>string</i>: <c>u16 length</c> + that many bytes of UTF-8, no terminator.</summary>
public static class WireString
{
    /// <summary>Size of the length prefix.</summary>
    public const int LengthSize = 2;
    /// <summary>Most UTF-8 bytes a string can carry.</summary>
    public const int MaxBytes = ushort.MaxValue;

    private static readonly UTF8Encoding s_strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Encoded size of <paramref name="value"/> (prefix included), cut to <see cref="MaxBytes"/>.</summary>
    public static int SizeOf(string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        return LengthSize + (length <= MaxBytes ? length : Encoding.UTF8.GetByteCount(value.AsSpan(0, CharsFitting(value, MaxBytes))));
    }

    /// <summary>Writes <paramref name="value"/> and returns the bytes written. Longer strings are cut at a character boundary.</summary>
    public static int Write(Span<byte> destination, string value)
    {
        var chars = Encoding.UTF8.GetByteCount(value) <= MaxBytes ? value.Length : CharsFitting(value, MaxBytes);
        var written = Encoding.UTF8.GetBytes(value.AsSpan(0, chars), destination[LengthSize..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)written);
        return LengthSize + written;
    }

    /// <summary>Reads a string at the start of <paramref name="source"/>; <paramref name="size"/> = bytes consumed.</summary>
    public static string Read(ReadOnlySpan<byte> source, MessageType type, out int size)
    {
        if (source.Length < LengthSize)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame, $"{type}: string length missing");
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(source);
        if (source.Length < LengthSize + length)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                $"{type}: string of {length} bytes, only {source.Length - LengthSize} present");
        }

        size = LengthSize + length;
        try
        {
            return s_strict.GetString(source.Slice(LengthSize, length));
        }
        catch (DecoderFallbackException)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame, $"{type}: string is not UTF-8");
        }
    }

    /// <summary>Number of leading chars of <paramref name="value"/> whose UTF-8 form fits in <paramref name="maxBytes"/>.</summary>
    private static int CharsFitting(string value, int maxBytes)
    {
        var bytes = 0;
        var i = 0;
        while (i < value.Length)
        {
            var step = char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]) ? 2 : 1;
            var size = Encoding.UTF8.GetByteCount(value.AsSpan(i, step));
            if (bytes + size > maxBytes)
            {
                break;
            }

            bytes += size;
            i += step;
        }

        return i;
    }
}
