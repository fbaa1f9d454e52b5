namespace ChannelTape.Labels;

/// <summary>
/// How a volume is labelled. Values are the label type characters of a Load Display mount message
/// (docs/reference/hercules-tape.md §4.3; docs/reference/labels-and-libraries.md §4).
/// </summary>
public enum LabelType
{
    /// <summary>IBM standard labels (EBCDIC VOL1/HDR1), written <c>SL</c>.</summary>
    Standard = 'S',
    /// <summary>ANSI labels (ASCII), written <c>AL</c>.</summary>
    Ansi = 'A',
    /// <summary>No labels, written <c>NL</c>.</summary>
    None = 'N',
}

/// <summary>Names of <see cref="LabelType"/>.</summary>
public static class LabelTypes
{
    /// <summary>SL, AL or NL.</summary>
    public static string Name(LabelType labels) => labels switch
    {
        LabelType.Standard => "SL",
        LabelType.Ansi => "AL",
        LabelType.None => "NL",
        _ => throw new ArgumentOutOfRangeException(nameof(labels), labels, null),
    };

    /// <summary>Parses SL, AL or NL (any case).</summary>
    public static bool TryParse(string text, out LabelType labels)
    {
        switch (text.ToUpperInvariant())
        {
            case "SL":
                labels = LabelType.Standard;
                return true;
            case "AL":
                labels = LabelType.Ansi;
                return true;
            case "NL":
                labels = LabelType.None;
                return true;
            default:
                labels = default;
                return false;
        }
    }
}
