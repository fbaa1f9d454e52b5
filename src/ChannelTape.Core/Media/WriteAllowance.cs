namespace ChannelTape.Media;

/// <summary>
/// How much a host may write on its own before the end-of-tape warning (docs/protocol.md §5.1): the
/// allowance counts each block as its length plus <see cref="PerBlock"/> bytes, however the image
/// lays it out, so one number serves every format.
/// </summary>
public static class WriteAllowance
{
    /// <summary>Bytes counted for each block on top of its data (protocol §5.1: <c>count + 32</c>).</summary>
    public const int PerBlock = 32;

    /// <summary>
    /// The allowance that fits in <paramref name="imageBytes"/> bytes of image for a format that puts a
    /// <paramref name="headerSize"/>-byte header (at most <see cref="PerBlock"/>) in front of every chunk of
    /// at most <paramref name="chunkSize"/> bytes. A block of L &gt; 0 bytes takes
    /// <c>L + h·ceil(L/c) &lt; L + hL/c + h &lt;= (L + 32)(c + h)/c</c> bytes (and a tape-mark-like empty
    /// block h &lt;= 32(c + h)/c), so any run of blocks whose <c>L + 32</c> add up to at most
    /// <c>imageBytes·c/(c + h)</c> fits. Compression (HET) is kept only when smaller, so it never adds.
    /// </summary>
    public static long Fitting(long imageBytes, int chunkSize, int headerSize)
    {
        if (imageBytes <= 0)
        {
            return 0;
        }

        return (long)((Int128)imageBytes * chunkSize / (chunkSize + headerSize));
    }
}
