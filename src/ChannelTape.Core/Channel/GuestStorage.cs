namespace ChannelTape.Channel;

/// <summary>
/// Main storage as the channel sees it: CCWs, and the data areas they address. Addresses are
/// absolute; anything outside <see cref="Size"/> is a channel program check (Hercules
/// <c>channel.c</c> CHADDRCHK).
/// </summary>
public sealed class GuestStorage
{
    private readonly byte[] _bytes;

    public GuestStorage(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        _bytes = new byte[size];
    }

    /// <summary>Size in bytes; the highest valid address is <c>Size - 1</c>.</summary>
    public int Size => _bytes.Length;

    /// <summary>The whole storage.</summary>
    public Span<byte> Bytes => _bytes;

    /// <summary>True if every byte of [address, address + length) is inside storage (length 0: always true).</summary>
    public bool Contains(long address, int length) =>
        length <= 0 || (address >= 0 && address + length <= _bytes.Length);

    /// <summary>The bytes at [address, address + length); the caller checks <see cref="Contains"/> first.</summary>
    public Span<byte> Slice(long address, int length) => _bytes.AsSpan((int)address, length);
}
