using System.Globalization;

namespace ChannelTape.Library;

/// <summary>
/// Sizes written as a decimal number with an optional K, M or G suffix (binary multiples: K = 1024,
/// as Hercules' <c>maxsize</c> option counts them; docs/reference/hercules-tape.md, "maxsize").
/// </summary>
public static class ByteSize
{
    /// <summary>Parses digits and an optional K/M/G suffix (either case), or says why not.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out long bytes, out string? error)
    {
        bytes = 0;
        var digits = text;
        long multiplier = 1;
        if (!text.IsEmpty && char.IsAsciiLetter(text[^1]))
        {
            multiplier = char.ToUpperInvariant(text[^1]) switch
            {
                'K' => 1024L,
                'M' => 1024L * 1024,
                'G' => 1024L * 1024 * 1024,
                _ => 0,
            };
            if (multiplier == 0)
            {
                error = $"size '{text}' has unknown suffix '{text[^1]}', expected K, M or G";
                return false;
            }

            digits = text[..^1];
        }

        if (digits.IsEmpty || !digits.ContainsOnlyDigits())
        {
            error = $"size '{text}' is not a number with an optional K, M or G suffix";
            return false;
        }

        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            || number > long.MaxValue / multiplier)
        {
            error = $"size '{text}' is too large";
            return false;
        }

        bytes = number * multiplier;
        error = null;
        return true;
    }

    /// <summary>Shortest exact form: <c>800M</c>, <c>1G</c>, <c>4095</c>.</summary>
    public static string Format(long bytes)
    {
        foreach (var (suffix, multiplier) in new[] { ('G', 1024L * 1024 * 1024), ('M', 1024L * 1024), ('K', 1024L) })
        {
            if (bytes != 0 && bytes % multiplier == 0)
            {
                return (bytes / multiplier).ToString(CultureInfo.InvariantCulture) + suffix;
            }
        }

        return bytes.ToString(CultureInfo.InvariantCulture);
    }

    private static bool ContainsOnlyDigits(this ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
