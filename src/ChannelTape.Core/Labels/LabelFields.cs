using System.Globalization;
using ChannelTape.Text;

namespace ChannelTape.Labels;

/// <summary>Character set of a label: IBM standard labels are EBCDIC (cp037), ANSI labels ASCII.</summary>
public enum LabelEncoding
{
    Ebcdic,
    Ascii,
}

/// <summary>
/// Field helpers shared by the 80-byte label records (docs/reference/labels-and-libraries.md §1): text fields
/// are left-justified and blank-padded, numeric fields are zero-padded decimal digits.
/// </summary>
internal static class LabelFields
{
    public const int LabelLength = 80;

    public static void Fill(Span<byte> label, LabelEncoding encoding) =>
        label.Fill(encoding == LabelEncoding.Ebcdic ? Ebcdic.Space : (byte)' ');

    public static void PutText(Span<byte> label, int offset, int length, ReadOnlySpan<char> text, LabelEncoding encoding)
    {
        var field = label.Slice(offset, length);
        if (text.Length > length)
        {
            text = text[..length];
        }

        if (encoding == LabelEncoding.Ebcdic)
        {
            Ebcdic.EncodePadded(text, field);
            return;
        }

        field.Fill((byte)' ');
        for (int i = 0; i < text.Length; i++)
        {
            field[i] = text[i] <= 0x7E ? (byte)text[i] : (byte)'?';
        }
    }

    public static void PutNumber(Span<byte> label, int offset, int length, long value, LabelEncoding encoding)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "label numbers are not negative");
        }

        string digits = value.ToString(CultureInfo.InvariantCulture).PadLeft(length, '0');
        if (digits.Length > length)
        {
            digits = digits[^length..]; // fields keep the low-order digits (EOF1 block count, offset 54)
        }

        PutText(label, offset, length, digits, encoding);
    }

    public static string GetText(ReadOnlySpan<byte> label, int offset, int length, LabelEncoding encoding)
    {
        var field = label.Slice(offset, length);
        if (encoding == LabelEncoding.Ebcdic)
        {
            return Ebcdic.GetString(field);
        }

        return string.Create(field.Length, field.ToArray(), static (chars, bytes) =>
        {
            for (int i = 0; i < bytes.Length; i++)
            {
                chars[i] = bytes[i] is >= 0x20 and <= 0x7E ? (char)bytes[i] : '?';
            }
        });
    }

    /// <summary>A numeric field; blanks read as 0, anything else non-numeric is an error.</summary>
    public static bool TryGetNumber(ReadOnlySpan<byte> label, int offset, int length, LabelEncoding encoding, out long value)
    {
        string text = GetText(label, offset, length, encoding).Trim();
        if (text.Length == 0)
        {
            value = 0;
            return true;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// Label date <c>cyyddd</c>: c blank for 19yy, 0 for 20yy, 1 for 21yy; ddd day of year
    /// (docs/reference/labels-and-libraries.md §1, HDR1 offset 41).
    /// </summary>
    public static string FormatDate(DateOnly date)
    {
        char century = date.Year switch
        {
            < 2000 => ' ',
            < 2100 => '0',
            _ => '1',
        };
        return string.Create(CultureInfo.InvariantCulture, $"{century}{date.Year % 100:D2}{date.DayOfYear:D3}");
    }

    public static DateOnly? ParseDate(string field)
    {
        if (field.Length != 6 || field.Trim().Length == 0 || field.AsSpan(1).Trim("0").Length == 0)
        {
            return null; // blanks or 000000: no date
        }

        int centuryBase = field[0] switch
        {
            ' ' => 1900,
            '0' => 2000,
            '1' => 2100,
            _ => -1,
        };
        if (centuryBase < 0
            || !int.TryParse(field.AsSpan(1, 2), NumberStyles.None, CultureInfo.InvariantCulture, out int yy)
            || !int.TryParse(field.AsSpan(3, 3), NumberStyles.None, CultureInfo.InvariantCulture, out int ddd))
        {
            return null;
        }

        int year = centuryBase + yy;
        if (ddd < 1 || ddd > (DateTime.IsLeapYear(year) ? 366 : 365))
        {
            return null;
        }

        return new DateOnly(year, 1, 1).AddDays(ddd - 1);
    }
}
