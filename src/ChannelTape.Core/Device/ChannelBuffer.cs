namespace ChannelTape.Device;

/// <summary>Copying input data into the buffer the channel gave a CCW.</summary>
internal static class ChannelBuffer
{
    /// <summary>Copies <paramref name="source"/> into <paramref name="buffer"/> at <paramref name="offset"/>, clipped to its length.</summary>
    public static void CopyOut(ReadOnlySpan<byte> source, Span<byte> buffer, int offset)
    {
        if (offset >= buffer.Length)
        {
            return;
        }

        int n = Math.Min(source.Length, buffer.Length - offset);
        source[..n].CopyTo(buffer[offset..]);
    }
}
