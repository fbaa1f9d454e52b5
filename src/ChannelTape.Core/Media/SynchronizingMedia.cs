namespace ChannelTape.Media;

/// <summary>Where a volume's written data is forced to stable storage besides the host's own Synchronize.</summary>
[Flags]
public enum SyncPoints
{
    /// <summary>Only when the host asks (Synchronize, tape-write-immediate): as Hercules' own drives.</summary>
    None = 0,
    /// <summary>After every Write Tape Mark: what was written before it survives a power loss.</summary>
    TapeMark = 1,
    /// <summary>When the volume is closed (Rewind Unload, an unload, a demount, shutdown).</summary>
    Close = 2,
}

/// <summary>
/// A volume whose Write Tape Mark and close are synchronisation points, as on a 3490 in buffered
/// mode (IBM 3490 Hardware Reference, "Buffered write mode": a tape mark and Rewind Unload write the
/// buffer to tape): the image is fsynced after a tape mark that follows writes, and when the volume is
/// closed after writes (docs/performance.md measures the cost; pools choose with <c>sync</c>). A tape
/// mark whose data cannot be made stable ends with a write error, as a failed Synchronize does.
/// </summary>
public sealed class SynchronizingMedia(ITapeMedia inner, SyncPoints points) : ITapeMedia
{
    private bool _dirty;

    /// <summary>The volume underneath.</summary>
    public ITapeMedia Inner => inner;

    public SyncPoints Points => points;

    /// <summary>Times the image was forced to stable storage by this decorator (the host's Synchronize not counted).</summary>
    public int Synchronizations { get; private set; }

    public string Path => inner.Path;

    public TapeImageFormat Format => inner.Format;

    public bool IsReadOnly => inner.IsReadOnly;

    public int MaxBlockSize => inner.MaxBlockSize;

    public TapePosition Position => inner.Position;

    public bool IsPastEarlyWarning => inner.IsPastEarlyWarning;

    public long WriteAllowanceBeforeWarning => inner.WriteAllowanceBeforeWarning;

    public long ImageSize => inner.ImageSize;

    public MediaStatus ReadForward(Span<byte> buffer, out int length) => inner.ReadForward(buffer, out length);

    public bool TryGetStoredExtent(long blockNumber, out long offset, out int length) => inner.TryGetStoredExtent(blockNumber, out offset, out length);

    public MediaStatus ReadBackward(Span<byte> buffer, out int length) => inner.ReadBackward(buffer, out length);

    public MediaStatus Write(ReadOnlySpan<byte> block) => Written(inner.Write(block));

    public MediaStatus WriteTapeMark()
    {
        var status = Written(inner.WriteTapeMark());
        if (status != MediaStatus.Ok || (points & SyncPoints.TapeMark) == 0)
        {
            return status;
        }

        return Flush();
    }

    public MediaStatus ForwardSpaceBlock() => inner.ForwardSpaceBlock();

    public MediaStatus BackspaceBlock() => inner.BackspaceBlock();

    public MediaStatus ForwardSpaceFile() => inner.ForwardSpaceFile();

    public MediaStatus BackspaceFile() => inner.BackspaceFile();

    public MediaStatus Rewind() => inner.Rewind();

    public MediaStatus Locate(long blockNumber) => inner.Locate(blockNumber);

    public MediaStatus Synchronize()
    {
        var status = inner.Synchronize();
        if (status == MediaStatus.Ok)
        {
            _dirty = false;
        }

        return status;
    }

    public MediaStatus EraseGap() => inner.EraseGap();

    public MediaStatus EraseToEnd() => Written(inner.EraseToEnd());

    public void Dispose()
    {
        if ((points & SyncPoints.Close) != 0)
        {
            // Nothing to report to: a close that cannot be made stable is as a power loss after it.
            Flush();
        }

        inner.Dispose();
    }

    private MediaStatus Written(MediaStatus status)
    {
        if (status == MediaStatus.Ok)
        {
            _dirty = true;
        }

        return status;
    }

    private MediaStatus Flush()
    {
        if (!_dirty || inner.IsReadOnly)
        {
            return MediaStatus.Ok;
        }

        var status = inner.Synchronize();
        if (status != MediaStatus.Ok)
        {
            return MediaStatus.WriteError;
        }

        _dirty = false;
        Synchronizations++;
        return MediaStatus.Ok;
    }
}
