using System.Text;

namespace ChannelTape.Runtime.Events;

/// <summary>
/// Text a peer chose (a host name, mount words, an identity) made safe for one log line: control
/// characters, line ends and anything not printable written as <c>\xNN</c> or <c>\u{NNNN}</c>, and cut
/// to a bound with a note of how much was left out (docs/security.md, "Bounded resources").
/// </summary>
public static class PeerText
{
    /// <summary>Most characters of peer text a log line carries by default.</summary>
    public const int DefaultLimit = 200;

    /// <summary>Most characters of a whole log line.</summary>
    public const int LineLimit = 2000;

    public static string Escape(string? text, int limit = DefaultLimit) => Escape(text, limit, escapeBackslash: true);

    /// <summary>
    /// As <see cref="Escape(string?, int)"/>; <paramref name="escapeBackslash"/> false for a whole log line whose
    /// peer text was escaped already (its backslashes are escapes, not to be doubled again).
    /// </summary>
    public static string Escape(string? text, int limit, bool escapeBackslash)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        if (text.Length <= limit && !NeedsEscaping(text, escapeBackslash))
        {
            return text;
        }

        var builder = new StringBuilder(Math.Min(text.Length, limit) + 16);
        var used = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (builder.Length >= limit)
            {
                break;
            }

            used += rune.Utf16SequenceLength;
            if (rune.Value < 0x20 || rune.Value == 0x7F)
            {
                builder.Append($"\\x{rune.Value:X2}");
            }
            else if (rune.Value == '\\' && escapeBackslash)
            {
                builder.Append("\\\\");
            }
            else if (Rune.GetUnicodeCategory(rune) is System.Globalization.UnicodeCategory.Control or System.Globalization.UnicodeCategory.Format
                     or System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator
                     or System.Globalization.UnicodeCategory.OtherNotAssigned or System.Globalization.UnicodeCategory.Surrogate)
            {
                builder.Append($"\\u{{{rune.Value:X4}}}");
            }
            else
            {
                builder.Append(rune.ToString());
            }
        }

        if (used < text.Length)
        {
            builder.Append($"...({text.Length - used} more characters)");
        }

        return builder.ToString();
    }

    private static bool NeedsEscaping(string text, bool escapeBackslash)
    {
        foreach (var c in text)
        {
            if (c < 0x20 || c == 0x7F || (c == '\\' && escapeBackslash) || char.IsSurrogate(c) || c > 0x7E && char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Control
                    or System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.LineSeparator
                    or System.Globalization.UnicodeCategory.ParagraphSeparator or System.Globalization.UnicodeCategory.OtherNotAssigned)
            {
                return true;
            }
        }

        return false;
    }
}
