namespace ChannelTape.Labels;

/// <summary>
/// A validated volume serial (volser): exactly six characters of A-Z, 0-9, #, @ and $, the
/// character set of the VOL1 volume serial field (docs/reference/labels-and-libraries.md §1, DFSMS Using
/// Magnetic Tapes). The only way to build one is <see cref="TryParse(ReadOnlySpan{char}, out VolumeSerial, out string?, out int)"/>,
/// so anything derived from it (image file names, catalog keys) cannot contain a path separator,
/// a dot, a blank or a lower-case letter.
/// </summary>
public readonly struct VolumeSerial : IEquatable<VolumeSerial>, IComparable<VolumeSerial>
{
    /// <summary>Characters in a volume serial.</summary>
    public const int Length = 6;

    private readonly string? _value;

    private VolumeSerial(string value) => _value = value;

    /// <summary>The six characters; a default (unparsed) value is a bug and throws.</summary>
    public string Value => _value ?? throw new InvalidOperationException("VolumeSerial used without being parsed");

    /// <summary>
    /// True for the words of a non-specific mount request, SCRTCH and PRIVAT: any scratch volume (MVS and OS/VS
    /// mount messages IEF233A/IEC501A, the Load Display's mount; docs/reference/labels-and-libraries.md §4).
    /// </summary>
    public static bool IsNonSpecificRequest(string? text) => text?.TrimEnd(' ') is "SCRTCH" or "PRIVAT";

    /// <summary>True for the characters allowed in a volume serial: A-Z, 0-9, #, @, $.</summary>
    public static bool IsValidCharacter(char c) => c is >= 'A' and <= 'Z' or >= '0' and <= '9' or '#' or '@' or '$';

    /// <summary>
    /// Parses a volume serial. Trailing blanks are padding and ignored (label fields and Load
    /// Display messages are blank-padded); what remains must be six valid characters.
    /// </summary>
    /// <param name="text">Candidate text.</param>
    /// <param name="serial">The volume serial when valid.</param>
    /// <param name="error">Why the text is not a volume serial, or null.</param>
    /// <param name="errorIndex">Index into <paramref name="text"/> of the offending character (0 when the length is wrong).</param>
    public static bool TryParse(ReadOnlySpan<char> text, out VolumeSerial serial, out string? error, out int errorIndex)
    {
        serial = default;
        var trimmed = text.TrimEnd(' ');
        for (var i = 0; i < trimmed.Length && i < Length; i++)
        {
            if (!IsValidCharacter(trimmed[i]))
            {
                error = $"invalid character '{trimmed[i]}' in volume serial '{trimmed}': allowed are A-Z, 0-9, #, @ and $";
                errorIndex = i;
                return false;
            }
        }

        if (trimmed.Length != Length)
        {
            error = $"volume serial '{trimmed}' has {trimmed.Length} characters, expected {Length}";
            errorIndex = 0;
            return false;
        }

        serial = new VolumeSerial(trimmed.ToString());
        error = null;
        errorIndex = 0;
        return true;
    }

    /// <inheritdoc cref="TryParse(ReadOnlySpan{char}, out VolumeSerial, out string?, out int)"/>
    public static bool TryParse(ReadOnlySpan<char> text, out VolumeSerial serial) => TryParse(text, out serial, out _, out _);

    /// <summary>Parses a volume serial or throws <see cref="FormatException"/> saying why not.</summary>
    public static VolumeSerial Parse(string text) =>
        TryParse(text, out var serial, out var error, out _) ? serial : throw new FormatException(error);

    public bool Equals(VolumeSerial other) => string.Equals(_value, other._value, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is VolumeSerial other && Equals(other);

    public override int GetHashCode() => _value is null ? 0 : StringComparer.Ordinal.GetHashCode(_value);

    public int CompareTo(VolumeSerial other) => string.CompareOrdinal(_value, other._value);

    public static bool operator ==(VolumeSerial left, VolumeSerial right) => left.Equals(right);

    public static bool operator !=(VolumeSerial left, VolumeSerial right) => !left.Equals(right);

    public override string ToString() => _value ?? "";
}
