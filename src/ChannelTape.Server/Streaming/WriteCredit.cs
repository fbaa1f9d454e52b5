using ChannelTape.Device;
using ChannelTape.Media;

namespace ChannelTape.Server.Streaming;

/// <summary>The write credit of docs/protocol.md §5.1, a pure function of the drive's state.</summary>
public static class WriteCredit
{
    /// <summary>
    /// Bytes of Writes (<see cref="WriteAllowance"/> units: length + 32 per block) the host may acknowledge
    /// on its own, at most <paramref name="limit"/>: 0 unless a Write would now pass every check of the
    /// drive and end with exactly CE+DE (a volume loaded, not fenced, not write protected,
    /// tape-write-immediate off, so no flush can fail), and no run of Writes within the credit reaches the
    /// end-of-tape warning (no unit exception; <see cref="ITapeMedia.WriteAllowanceBeforeWarning"/>).
    /// IBM 3490 Hardware Reference, "Buffered write mode": a 3490 acknowledges into its buffer the same way.
    /// </summary>
    public static long For(TapeDrive drive, long limit)
    {
        if (drive.Media is not { } media || drive.IsFenced || drive.IsWriteProtected || drive.IsWriteImmediate
            || media.IsPastEarlyWarning)
        {
            return 0;
        }

        var allowance = media.WriteAllowanceBeforeWarning;
        return Math.Clamp(allowance < 0 ? limit : allowance, 0, Math.Max(limit, 0));
    }
}
