using ChannelTape.Device;
using ChannelTape.Protocol.Messages;

namespace ChannelTape.Server.Streaming;

/// <summary>
/// Read-ahead of one drive (docs/protocol.md §5.2, §5.3): which blocks the last batch carried, the
/// window for the next one, and how a batch is filled from the drive and given back. It belongs to the
/// drive, not to a connection, so a host that reconnects can still give an unused batch back. Every
/// member runs under the drive's exclusive run.
/// </summary>
public sealed class ReadAheadBatcher
{
    /// <summary>Blocks in the first read-ahead batch, and again after a batch was not used up (§5.2).</summary>
    public const int InitialWindow = 4;

    /// <summary>Most blocks in one read-ahead batch (§5.2).</summary>
    public const int MaxWindow = 1024;

    /// <summary>Most data bytes carried inline in one batch (§5.2: 1 MiB; blocks referred to by offset, §5.3, do not count).</summary>
    public const int MaxInlineBytes = 1024 * 1024;

    // The lengths of the blocks of the last batch that the host has not reported on yet, and the mount
    // they were read from: a mount or unload ends the batch (§5.2).
    private readonly List<int> _batch = [];
    private long _batchMount = -1;

    /// <summary>
    /// Blocks the next batch may hold: doubles each time a batch was used up, back to
    /// <see cref="InitialWindow"/> when one was not.
    /// </summary>
    public int Window { get; private set; } = InitialWindow;

    /// <summary>Blocks of the last batch the host has not reported on, on the volume still mounted on <paramref name="drive"/>.</summary>
    public int Outstanding(TapeDrive drive) => _batchMount == drive.VolumeGeneration ? _batch.Count : 0;

    /// <summary>
    /// A frame reached the drive without a ReadAheadEnd before it: the host used the batch up (§5.2) and the
    /// next may be twice as large.
    /// </summary>
    public void BatchUsedUp(TapeDrive drive)
    {
        if (Outstanding(drive) > 0)
        {
            EndBatch(usedUp: true);
        }
    }

    /// <summary>
    /// ReadAheadEnd: moves the drive back over the <paramref name="unused"/> last blocks of the batch (they
    /// count as never read) and ends it; the next batch starts small again unless all were used.
    /// </summary>
    public void GiveBack(TapeDrive drive, int unused)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(unused, Outstanding(drive));
        long bytes = 0;
        for (var i = _batch.Count - unused; i < _batch.Count; i++)
        {
            bytes += _batch[i];
        }

        drive.UnreadBlocks(unused, bytes);
        EndBatch(usedUp: unused == 0);
    }

    /// <summary>
    /// Fills a batch after a Read that ended with CE+DE: up to <see cref="Window"/> data blocks as ReadAhead
    /// entries in <paramref name="entries"/> (inline, at most <see cref="MaxInlineBytes"/> of data, or by
    /// reference to the image when <paramref name="byReference"/> and the block lies there in one piece),
    /// stopping before anything that is not a data block. A block that does not fit is given back to the
    /// drive, so the next Read returns it.
    /// </summary>
    public ReadAheadBatch Fill(TapeDrive drive, bool byReference, Span<byte> entries)
    {
        _batch.Clear();
        _batchMount = drive.VolumeGeneration;
        int used = 0, referred = 0, inlineBytes = 0;
        while (_batch.Count < Window)
        {
            var space = entries.Length - used - ReadAheadMessage.EntryLengthSize;
            if (space <= 0)
            {
                break;
            }

            if (byReference && drive.TrySkipStoredDataBlock(out var offset, out var length))
            {
                if (entries.Length - used < ReadAheadMessage.ReferenceEntrySize)
                {
                    drive.UnreadBlocks(1, length); // does not fit this batch: the next Read gets it
                    break;
                }

                used += ReadAheadMessage.WriteReferenceEntry(entries[used..], length, offset);
                referred++;
                _batch.Add(length);
                continue;
            }

            var destination = entries.Slice(used + ReadAheadMessage.EntryLengthSize, Math.Min(space, ReadAheadMessage.MaxBlockBytes));
            if (!drive.TryReadDataBlock(destination, out length))
            {
                break;
            }

            var carried = Math.Min(length, ReadAheadMessage.MaxBlockBytes);
            if (carried > destination.Length || inlineBytes + carried > MaxInlineBytes)
            {
                drive.UnreadBlocks(1, length); // does not fit this batch: the next Read gets it
                break;
            }

            used += ReadAheadMessage.WriteEntryLength(entries[used..], length);
            inlineBytes += carried;
            _batch.Add(length);
        }

        return new ReadAheadBatch(_batch.Count, referred, used);
    }

    /// <summary>Largest encoded batch: every inline byte plus a reference entry per block of the largest window.</summary>
    public static int MaxEntriesLength => MaxInlineBytes + (MaxWindow * ReadAheadMessage.ReferenceEntrySize);

    private void EndBatch(bool usedUp)
    {
        Window = usedUp ? Math.Min(Window * 2, MaxWindow) : InitialWindow;
        _batch.Clear();
        _batchMount = -1;
    }
}

/// <summary>What <see cref="ReadAheadBatcher.Fill"/> put in a batch: blocks, of which referred to by offset, and encoded bytes.</summary>
public readonly record struct ReadAheadBatch(int Blocks, int Referred, int EncodedLength);
