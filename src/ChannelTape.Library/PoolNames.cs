namespace ChannelTape.Library;

/// <summary>Pool names: 1-16 of A-Z a-z 0-9 _ -, case-sensitive (docs/config.md).</summary>
public static class PoolNames
{
    public const int MaxLength = 16;

    public static bool IsValid(string name) =>
        name.Length is >= 1 and <= MaxLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
}
