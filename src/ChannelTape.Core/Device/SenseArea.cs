using ChannelTape.Channel;

namespace ChannelTape.Device;

/// <summary>
/// The drive's sense bytes and whether they are pending (docs/reference/hercules-tape.md §2.1; Hercules 3.13
/// tapeccws.c <c>build_senseX</c>, DEVBLK <c>sense</c> and <c>sns_pending</c>): every completion
/// other than plain success clears and rebuilds the sense (<see cref="SenseBuilder"/>); a unit
/// check leaves it pending for Sense (04) or concurrent sense, which take it and clear it. There is
/// no contingent allegiance: later commands run normally and a new error replaces pending sense.
/// </summary>
internal sealed class SenseArea
{
    /// <summary>Bytes kept (Hercules keeps 256; 32 is the most any model returns).</summary>
    private const int Size = 32;

    /// <summary>Read Buffered Log (24) returns 32 bytes: the sense, zero-padded (§1.2).</summary>
    private const int BufferedLogLength = 32;

    private readonly byte[] _bytes = new byte[Size];

    // What Sense and Read Buffered Log return: the sense as it was when they took it.
    private readonly byte[] _copy = new byte[Size];
    private readonly TapeModel _model;

    public SenseArea(TapeModel model)
    {
        _model = model;
        Count = SenseBuilder.SenseCount(model);
    }

    /// <summary>Sense bytes the model reports: 24 for 3420 and 3480, 32 for 3490.</summary>
    public int Count { get; }

    /// <summary>The sense bytes the model reports.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes.AsSpan(0, Count);

    /// <summary>True while a unit check's sense waits for Sense or concurrent sense.</summary>
    public bool IsPending { get; private set; }

    /// <summary>
    /// The unit status a command ends with for <paramref name="condition"/>: sense is rebuilt for every
    /// condition but <see cref="TapeCondition.StatusOnly"/> (no longer pending, unless the new status
    /// has unit check, which leaves the new sense pending).
    /// </summary>
    public UnitStatus Complete(TapeCondition condition, in SenseBuilder.DriveState state)
    {
        var status = SenseBuilder.Build(_model, condition, state, _bytes);
        if (condition != TapeCondition.StatusOnly)
        {
            IsPending = (status & UnitStatus.UnitCheck) != 0;
        }

        return status;
    }

    /// <summary>
    /// Sense (04): the pending sense, or with nothing pending freshly built status-type sense (ERA 00);
    /// the sense is then cleared. The bytes returned stay valid until the next call.
    /// </summary>
    public ReadOnlySpan<byte> TakeForSense(in SenseBuilder.DriveState state)
    {
        if (!IsPending)
        {
            SenseBuilder.Build(_model, TapeCondition.Unsolicited, state, _bytes);
        }

        return _copy.AsSpan(0, Take(_copy));
    }

    /// <summary>Concurrent sense (SA22-7201): copies the sense out as it is and clears it.</summary>
    public int Take(Span<byte> destination)
    {
        int n = Math.Min(Count, destination.Length);
        _bytes.AsSpan(0, n).CopyTo(destination);
        Clear(pending: false);
        return n;
    }

    /// <summary>
    /// Read Buffered Log (24): a copy of the current sense, zero-padded to 32 bytes; the sense stays as it
    /// is. The bytes returned stay valid until the next call.
    /// </summary>
    public ReadOnlySpan<byte> BufferedLog()
    {
        _copy.AsSpan().Clear();
        Bytes.CopyTo(_copy);
        return _copy.AsSpan(0, BufferedLogLength);
    }

    /// <summary>
    /// A buffered Write failed after the host had been told it was done: sense byte 0 bit 02, deferred
    /// unit check (IBM 3490 Hardware Reference, "Deferred unit check"), pending for the next Sense.
    /// </summary>
    public void MarkDeferredUnitCheck()
    {
        _bytes[0] |= SenseBuilder.Sense0DeferredUnitCheck;
        IsPending = true;
    }

    /// <summary>
    /// Clears the sense (Hercules' device init). <paramref name="pending"/> says whether the cleared sense
    /// still counts as pending, so that the next Sense returns zeros (observed after an operator unload).
    /// </summary>
    public void Clear(bool pending)
    {
        _bytes.AsSpan().Clear();
        IsPending = pending;
    }
}
