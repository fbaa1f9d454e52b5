using ChannelTape.Channel;

namespace ChannelTape.Device;

/// <summary>
/// The part of the last block read that the channel has not taken yet, served to data-chained CCWs
/// without tape motion (docs/reference/hercules-tape.md §1.1 step 2; Hercules 3.13 tapeccws.c keeps the block in
/// the device buffer with <c>curblkrem</c> and <c>curbufoff</c>). Only Read and Read Backward leave a
/// remainder: a forward read continues toward the end of the block, a backward read toward its start
/// (each piece stored ending at the end of the CCW's count, as Read Backward stores its data).
/// </summary>
internal sealed class BlockRemainder
{
    private byte[] _block = [];
    private int _offset;
    private int _remaining;
    private bool _backward;

    /// <summary>Bytes left for data chaining.</summary>
    public int Remaining => _remaining;

    /// <summary>
    /// Keeps <paramref name="remaining"/> bytes of <paramref name="block"/> from <paramref name="offset"/> on
    /// (the array is kept, not copied: it must stay as it is until the next read).
    /// </summary>
    public void Keep(byte[] block, int offset, int remaining, bool backward)
    {
        _block = block;
        _offset = offset;
        _remaining = remaining;
        _backward = backward;
    }

    /// <summary>Nothing is left (a new command, a halt, the volume gone).</summary>
    public void Clear() => _remaining = 0;

    /// <summary>
    /// A data-chained CCW of <paramref name="count"/> bytes: gives it up to <paramref name="count"/> bytes of
    /// the remainder, ending with CE+DE, residual = count - n, and "more" while bytes are left.
    /// </summary>
    public CcwResult Continue(int count, Span<byte> buffer)
    {
        int n = Math.Min(count, _remaining);
        if (_backward)
        {
            ChannelBuffer.CopyOut(_block.AsSpan(_offset + _remaining - n, n), buffer, count - n);
        }
        else
        {
            ChannelBuffer.CopyOut(_block.AsSpan(_offset, n), buffer, 0);
            _offset += n;
        }

        _remaining -= n;
        return new CcwResult(UnitStatus.ChannelEndDeviceEnd, count - n, More: _remaining > 0);
    }
}
