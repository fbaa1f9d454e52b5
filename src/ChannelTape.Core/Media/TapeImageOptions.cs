using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ChannelTape.Media;

/// <summary>HET compression method (Hercules option <c>method=</c>; hetlib.h HETMETH_*).</summary>
public enum HetCompression
{
    /// <summary>zlib, RFC 1950 stream; header flags-1 bit 01.</summary>
    Zlib = 1,
    /// <summary>bzip2; header flags-1 bit 02.</summary>
    Bzip2 = 2,
}

/// <summary>
/// Volume-image options, spelled as the words of a Hercules tape device statement
/// (tapedev.c <c>ptab</c> and <c>mountnewtape</c>; docs/reference/hercules-tape.md §6.2, §6.5).
/// </summary>
public sealed record TapeImageOptions
{
    /// <summary>Default end-of-tape warning margin: 128 KiB (tapedev.c <c>mountnewtape</c>).</summary>
    public const long DefaultEotMargin = 128 * 1024;

    /// <summary>Smallest and largest chunk size (hetlib.h HETMIN_CHUNKSIZE / HETMAX_CHUNKSIZE).</summary>
    public const int MinChunkSize = 4096, MaxChunkSize = 65535;

    /// <summary>Chunk size set by the word <c>awstape</c> (P/390 compatible; tapedev.c TDPARM_AWSTAPE).</summary>
    public const int AwsTapeChunkSize = 4096;

    /// <summary>Volume is read-only: <c>ro</c>, <c>noring</c>, <c>readonly=1</c>.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Capacity in bytes: <c>maxsize=n[K|M|G|T]</c> (binary), <c>maxsizeK=</c>, <c>maxsizeM=</c>; 0 = unlimited.</summary>
    public long MaxSize { get; init; }

    /// <summary>End-of-tape warning margin in bytes: <c>eotmargin=n[K|M|G|T]</c>.</summary>
    public long EotMargin { get; init; } = DefaultEotMargin;

    /// <summary>Largest chunk written: <c>chunksize=4096..65535</c>; <c>awstape</c> sets 4096.</summary>
    public int ChunkSize { get; init; } = MaxChunkSize;

    /// <summary>HET: compress written blocks (<c>compress=0/1</c>, <c>idrc=0/1</c>); <c>awstape</c> clears it.</summary>
    public bool Compress { get; init; } = true;

    /// <summary>HET compression method: <c>method=1</c> zlib, <c>method=2</c> bzip2.</summary>
    public HetCompression Method { get; init; } = HetCompression.Zlib;

    /// <summary>HET compression level 1..9 (<c>level=</c>; default 4, hetlib.h HETDFLT_LEVEL).</summary>
    public int Level { get; init; } = 4;

    /// <summary>HET: a write that ends past <see cref="MaxSize"/> is removed again (<c>strictsize=1</c>; hettape.c write_het).</summary>
    public bool StrictSize { get; init; }

    /// <summary>
    /// Parses device-statement words. An unknown word or a bad value gives false and an error that
    /// names the word. Words are matched case-insensitively, as Hercules' parser does.
    /// </summary>
    public static bool TryParse(IEnumerable<string> words, out TapeImageOptions options, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(words);
        var result = new TapeImageOptions();
        options = result;
        foreach (var word in words)
        {
            if (!TryApply(result, word, out result, out error))
            {
                return false;
            }
        }

        options = result;
        error = null;
        return true;
    }

    private static bool TryApply(TapeImageOptions current, string word, out TapeImageOptions next, [NotNullWhen(false)] out string? error)
    {
        next = current;
        error = null;
        int eq = word.IndexOf('=');
        string key = (eq < 0 ? word : word[..eq]).ToLowerInvariant();
        string? value = eq < 0 ? null : word[(eq + 1)..];

        switch (key)
        {
            case "ro":
            case "noring":
                if (value is not null)
                {
                    return Fail(word, "takes no value", out error);
                }

                next = current with { ReadOnly = true };
                return true;
            case "rw":
            case "ring":
                if (value is not null)
                {
                    return Fail(word, "takes no value", out error);
                }

                next = current with { ReadOnly = false };
                return true;
            case "awstape":
                if (value is not null)
                {
                    return Fail(word, "takes no value", out error);
                }

                next = current with { Compress = false, ChunkSize = AwsTapeChunkSize };
                return true;
            case "readonly":
            case "compress":
            case "idrc":
            case "strictsize":
            {
                if (!TryInteger(value, out long flag) || flag is < 0 or > 1)
                {
                    return Fail(word, "needs 0 or 1", out error);
                }

                next = key switch
                {
                    "readonly" => current with { ReadOnly = flag == 1 },
                    "strictsize" => current with { StrictSize = flag == 1 },
                    _ => current with { Compress = flag == 1 },
                };
                return true;
            }
            case "method":
                if (!TryInteger(value, out long method) || method is < 1 or > 2)
                {
                    return Fail(word, "method must be 1 (zlib) or 2 (bzip2)", out error);
                }

                next = current with { Method = (HetCompression)method };
                return true;
            case "level":
                if (!TryInteger(value, out long level) || level is < 1 or > 9)
                {
                    return Fail(word, "level must be within 1-9", out error);
                }

                next = current with { Level = (int)level };
                return true;
            case "chunksize":
                if (!TryInteger(value, out long chunk) || chunk is < MinChunkSize or > MaxChunkSize)
                {
                    return Fail(word, $"chunksize must be within {MinChunkSize}-{MaxChunkSize}", out error);
                }

                next = current with { ChunkSize = (int)chunk };
                return true;
            case "maxsize":
                if (!TrySize(value, 1, out long maxSize))
                {
                    return Fail(word, "needs a byte count, optionally followed by K, M, G or T", out error);
                }

                next = current with { MaxSize = maxSize };
                return true;
            case "maxsizek":
                if (!TrySize(value, 1024, out long maxSizeK) || value!.Any(char.IsLetter))
                {
                    return Fail(word, "needs a number of KiB", out error);
                }

                next = current with { MaxSize = maxSizeK };
                return true;
            case "maxsizem":
                if (!TrySize(value, 1024 * 1024, out long maxSizeM) || value!.Any(char.IsLetter))
                {
                    return Fail(word, "needs a number of MiB", out error);
                }

                next = current with { MaxSize = maxSizeM };
                return true;
            case "eotmargin":
                if (!TrySize(value, 1, out long margin))
                {
                    return Fail(word, "needs a byte count, optionally followed by K, M, G or T", out error);
                }

                next = current with { EotMargin = margin };
                return true;
            default:
                error = $"option '{word}' is not a tape image option";
                return false;
        }
    }

    private static bool Fail(string word, string why, [NotNullWhen(false)] out string? error)
    {
        error = $"option '{word}': {why}";
        return false;
    }

    private static bool TryInteger(string? text, out long value)
    {
        value = 0;
        return !string.IsNullOrEmpty(text)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>n[K|M|G|T], binary multiples (Hyperion tapedev.c parse_single_devparm).</summary>
    private static bool TrySize(string? text, long unit, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        int shift = char.ToUpperInvariant(text[^1]) switch
        {
            'K' => 10,
            'M' => 20,
            'G' => 30,
            'T' => 40,
            _ => 0,
        };
        string digits = shift == 0 ? text : text[..^1];
        if (!TryInteger(digits, out long number))
        {
            return false;
        }

        try
        {
            bytes = checked(number * unit * (1L << shift));
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }
}
