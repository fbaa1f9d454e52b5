using ChannelTape.Device;

namespace ChannelTape.Library;

/// <summary>Tape media a volume is made of and a drive takes.</summary>
public enum MediaType
{
    /// <summary>Half-inch reel (IBM 3420). Configuration name <c>REEL</c>.</summary>
    Reel,
    /// <summary>Cartridge System Tape (IBM 3480, also read and written by 3490). Names <c>3480</c>, <c>CST</c>.</summary>
    Cst,
    /// <summary>Enhanced Capacity Cartridge System Tape (IBM 3490E). Names <c>3490E</c>, <c>ECCST</c>.</summary>
    Eccst,
}

/// <summary>Names, defaults and drive compatibility of <see cref="MediaType"/>.</summary>
public static class MediaTypes
{
    /// <summary>Canonical name as written in the configuration language and shown by the CLI.</summary>
    public static string Name(MediaType media) => media switch
    {
        MediaType.Reel => "REEL",
        MediaType.Cst => "3480",
        MediaType.Eccst => "3490E",
        _ => throw new ArgumentOutOfRangeException(nameof(media), media, null),
    };

    /// <summary>Parses a media name (any case): REEL, 3480 or CST, 3490E or ECCST.</summary>
    public static bool TryParse(string text, out MediaType media)
    {
        switch (text.ToUpperInvariant())
        {
            case "REEL":
                media = MediaType.Reel;
                return true;
            case "3480":
            case "CST":
                media = MediaType.Cst;
                return true;
            case "3490E":
            case "ECCST":
                media = MediaType.Eccst;
                return true;
            default:
                media = default;
                return false;
        }
    }

    /// <summary>
    /// Nominal capacity used when a pool gives none (binary units): 2400-foot reel at 6250 bpi
    /// about 170 MB, CST 200 MB, ECCST 800 MB (IBM 3480/3490E media specifications, uncompacted).
    /// </summary>
    public static long DefaultCapacity(MediaType media) => media switch
    {
        MediaType.Reel => 170L * 1024 * 1024,
        MediaType.Cst => 200L * 1024 * 1024,
        MediaType.Eccst => 800L * 1024 * 1024,
        _ => throw new ArgumentOutOfRangeException(nameof(media), media, null),
    };

    /// <summary>True when a drive of <paramref name="model"/> can mount <paramref name="media"/>: 3420 reels, 3480 CST, 3490 CST and ECCST.</summary>
    public static bool IsSupportedBy(this MediaType media, TapeModel model) => model switch
    {
        TapeModel.Ibm3420 => media == MediaType.Reel,
        TapeModel.Ibm3480 => media == MediaType.Cst,
        TapeModel.Ibm3490 => media is MediaType.Cst or MediaType.Eccst,
        _ => false,
    };

    /// <summary>Media a drive of <paramref name="model"/> takes when its configuration names none.</summary>
    public static MediaType DefaultFor(TapeModel model) => model switch
    {
        TapeModel.Ibm3420 => MediaType.Reel,
        TapeModel.Ibm3480 => MediaType.Cst,
        _ => MediaType.Eccst,
    };
}
