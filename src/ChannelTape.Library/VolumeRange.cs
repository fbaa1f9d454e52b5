using System.Globalization;
using ChannelTape.Labels;

namespace ChannelTape.Library;

/// <summary>
/// A contiguous range of volume serials such as <c>T00000-T00999</c>: the first and last serial
/// share a prefix and differ only in their trailing digits, which count from the first to the last
/// number (the width stays fixed, so <c>T00000-T00999</c> holds 1000 serials). A single serial is a
/// range of one.
/// </summary>
public sealed record VolumeRange
{
    private static readonly long[] s_powersOfTen = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

    private VolumeRange(VolumeSerial first, VolumeSerial last, string prefix, long low, long high)
    {
        First = first;
        Last = last;
        Prefix = prefix;
        Low = low;
        High = high;
    }

    public VolumeSerial First { get; }

    public VolumeSerial Last { get; }

    /// <summary>Characters common to every serial in the range (before the counted digits).</summary>
    public string Prefix { get; }

    /// <summary>Number formed by the counted digits of <see cref="First"/>.</summary>
    public long Low { get; }

    /// <summary>Number formed by the counted digits of <see cref="Last"/>.</summary>
    public long High { get; }

    /// <summary>Width of the counted digit field.</summary>
    public int DigitCount => VolumeSerial.Length - Prefix.Length;

    /// <summary>Number of serials in the range.</summary>
    public long Count => High - Low + 1;

    /// <summary>A range of one serial.</summary>
    public static VolumeRange Single(VolumeSerial serial)
    {
        var digits = TrailingDigits(serial.Value);
        var prefix = serial.Value[..(VolumeSerial.Length - digits)];
        var number = digits == 0 ? 0 : long.Parse(serial.Value.AsSpan(prefix.Length), CultureInfo.InvariantCulture);
        return new VolumeRange(serial, serial, prefix, number, number);
    }

    /// <summary>Builds the range from <paramref name="first"/> to <paramref name="last"/>, or says why it is not one.</summary>
    public static bool TryCreate(VolumeSerial first, VolumeSerial last, out VolumeRange? range, out string? error)
    {
        range = null;
        if (first == last)
        {
            range = Single(first);
            error = null;
            return true;
        }

        var digits = Math.Min(TrailingDigits(first.Value), TrailingDigits(last.Value));
        var prefixLength = VolumeSerial.Length - digits;
        if (digits == 0 || !first.Value.AsSpan(0, prefixLength).SequenceEqual(last.Value.AsSpan(0, prefixLength)))
        {
            error = $"range {first}-{last}: first and last serial must differ only in their trailing digits";
            return false;
        }

        var low = long.Parse(first.Value.AsSpan(prefixLength), CultureInfo.InvariantCulture);
        var high = long.Parse(last.Value.AsSpan(prefixLength), CultureInfo.InvariantCulture);
        if (low > high)
        {
            error = $"range {first}-{last}: first serial is after the last";
            return false;
        }

        range = new VolumeRange(first, last, first.Value[..prefixLength], low, high);
        error = null;
        return true;
    }

    /// <summary>Parses <c>VOLSER</c> or <c>FIRST-LAST</c> (as on the command line), or says why not.</summary>
    public static bool TryParse(string text, out VolumeRange? range, out string? error)
    {
        range = null;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var firstText = dash < 0 ? text : text[..dash];
        if (!VolumeSerial.TryParse(firstText, out var first, out error, out _))
        {
            return false;
        }

        if (dash < 0)
        {
            range = Single(first);
            return true;
        }

        if (!VolumeSerial.TryParse(text.AsSpan(dash + 1), out var last, out error, out _))
        {
            return false;
        }

        return TryCreate(first, last, out range, out error);
    }

    /// <summary>True when <paramref name="serial"/> is one of the serials of this range.</summary>
    public bool Contains(VolumeSerial serial)
    {
        var text = serial.Value;
        if (!text.StartsWith(Prefix, StringComparison.Ordinal) || TrailingDigits(text) < DigitCount)
        {
            return false;
        }

        var number = DigitCount == 0 ? 0 : long.Parse(text.AsSpan(Prefix.Length), CultureInfo.InvariantCulture);
        return number >= Low && number <= High;
    }

    /// <summary>True when some serial belongs to both ranges (exact, not a lexical approximation).</summary>
    public bool Overlaps(VolumeRange other)
    {
        // Compare in the numbering of the range with the shorter prefix: the other range's serials
        // are its prefix remainder (all digits, or no overlap) followed by its own counted digits.
        var (wide, narrow) = Prefix.Length <= other.Prefix.Length ? (this, other) : (other, this);
        if (!narrow.Prefix.StartsWith(wide.Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var remainder = narrow.Prefix.AsSpan(wide.Prefix.Length);
        foreach (var c in remainder)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        var offset = remainder.IsEmpty ? 0 : long.Parse(remainder, CultureInfo.InvariantCulture) * s_powersOfTen[narrow.DigitCount];
        return offset + narrow.Low <= wide.High && offset + narrow.High >= wide.Low;
    }

    /// <summary>True when some serial of the range starts with <paramref name="prefix"/> (e.g. the administrative prefix).</summary>
    public bool ContainsSerialStartingWith(string prefix)
    {
        if (prefix.Length <= Prefix.Length)
        {
            return Prefix.StartsWith(prefix, StringComparison.Ordinal);
        }

        if (prefix.Length > VolumeSerial.Length || !prefix.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        // The prefix reaches into the counted digits: those digits fix a block of numbers.
        var digits = prefix.AsSpan(Prefix.Length);
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        var scale = s_powersOfTen[DigitCount - digits.Length];
        var blockStart = long.Parse(digits, CultureInfo.InvariantCulture) * scale;
        return blockStart <= High && blockStart + scale - 1 >= Low;
    }

    /// <summary>Every serial of the range in ascending order.</summary>
    public IEnumerable<VolumeSerial> Serials()
    {
        var format = "D" + DigitCount.ToString(CultureInfo.InvariantCulture);
        for (var number = Low; number <= High; number++)
        {
            var text = DigitCount == 0 ? Prefix : Prefix + number.ToString(format, CultureInfo.InvariantCulture);
            VolumeSerial.TryParse(text, out var serial);
            yield return serial;
        }
    }

    /// <summary><c>FIRST-LAST</c>, or the single serial.</summary>
    public override string ToString() => First == Last ? First.ToString() : $"{First}-{Last}";

    private static int TrailingDigits(string text)
    {
        var count = 0;
        for (var i = text.Length - 1; i >= 0 && char.IsAsciiDigit(text[i]); i--)
        {
            count++;
        }

        return count;
    }
}
