using ChannelTape.Channel;
using ChannelTape.Media;

namespace ChannelTape.Device;

/// <summary>
/// What the operator, the library and the server do to the drive outside channel programs: mount
/// and unload volumes (Hercules <c>devinit</c>), read data blocks ahead of the host and give back
/// those it did not use (the 3480/3490 control unit's buffer), and report a buffered Write that
/// failed later (deferred unit check).
/// </summary>
public sealed partial class TapeDrive
{
    /// <summary>
    /// Changes at every mount and unload, so whoever remembers something about the mounted volume (which
    /// image holds it, blocks read ahead of the host) can tell that it is no longer the same mount, even
    /// for a volume at the same path.
    /// </summary>
    public long VolumeGeneration { get; private set; }

    /// <summary>True when the volume is read-only or logically write protected (PSF Activate Access Control).</summary>
    public bool IsWriteProtected => _media is { } media && IsVolumeWriteProtected(media);

    /// <summary>
    /// Tape-write-immediate is in effect (Mode Set bit 20 or Set Tape-Write-Immediate in this channel
    /// program): every write-type command is flushed before it ends, as in a 3490 out of buffered mode.
    /// </summary>
    public bool IsWriteImmediate => _modes.WriteImmediate;

    /// <summary>
    /// Operator or library mount (Hercules <c>devinit</c>): replaces any volume (disposing it), resets
    /// position state, the fence, logical write protect, sense, the path group id and the password
    /// as Hercules' <c>tapedev_init_handler</c> does, and presents unsolicited device end (§5 "Ready").
    /// </summary>
    public void Mount(ITapeMedia media)
    {
        ArgumentNullException.ThrowIfNull(media);
        if (!ReferenceEquals(media, _media))
        {
            _media?.Dispose();
        }

        _media = media;
        VolumeGeneration++;
        ReinitializeDevice(sensePending: false);
        Counters.Mounts++;
        _display.VolumeLoaded();
        UnsolicitedStatus?.Invoke(this, UnitStatus.DeviceEnd);
    }

    /// <summary>
    /// Operator unload (Hercules <c>devinit *</c>): disposes the volume and presents unsolicited device
    /// end. As observed on Hercules 3.13, the next Sense then returns all zeros (sense cleared but still
    /// pending); the one after it reports intervention required.
    /// </summary>
    public void Unload()
    {
        RemoveVolume();
        ReinitializeDevice(sensePending: true);
        UnsolicitedStatus?.Invoke(this, UnitStatus.DeviceEnd);
    }

    /// <summary>
    /// What starting a channel program resets (§1.1 step 1): Mode Set settings (supervisor inhibit,
    /// tape-write-immediate) and prepared subsystem data last one channel program. Execute does this
    /// at sequence number 0; whoever starts a channel program whose first CCW never reaches the drive
    /// (a Read answered from blocks read ahead) asks for it.
    /// </summary>
    public void ResetChannelProgramSettings()
    {
        _modes.Reset();
        _subsystemData.EndChannelProgram();
    }

    /// <summary>
    /// Reads the next block, only if it is a data block longer than 0 that a Read would now return with
    /// CE+DE (a volume loaded, not fenced): copies <c>min(length, destination.Length)</c> bytes and gives
    /// the block's true length. Anything else (tape mark, end of data, a zero-length block, an unreadable
    /// block) leaves the position as it was and changes nothing else: no sense, no pending sense, no
    /// counters. Counted as read. This is how a 3480/3490 control unit fills its buffer ahead of the
    /// host's Reads (IBM 3490 Hardware Reference, "Buffered read"); <see cref="UnreadBlocks"/> gives back
    /// what the host did not take.
    /// </summary>
    public bool TryReadDataBlock(Span<byte> destination, out int length)
    {
        length = 0;
        if (_media is not { } media || _fenced)
        {
            return false;
        }

        var before = media.Position.BlockNumber;
        var block = BlockBuffer(media);
        var status = media.ReadForward(block, out var read);
        if (status != MediaStatus.Ok || read == 0)
        {
            if (media.Position.BlockNumber != before)
            {
                // A tape mark (or a zero-length block, read as one) moves, and so does a block whose data
                // cannot be read (ITapeMedia.ReadForward); it is passed and indexed, so Locate is exact.
                media.Locate(before);
            }

            return false;
        }

        CountRead(read);
        block.AsSpan(0, Math.Min(read, destination.Length)).CopyTo(destination);
        length = read;
        return true;
    }

    /// <summary>
    /// As <see cref="TryReadDataBlock"/> for a reader that takes the block's bytes from the image file
    /// itself: when the next block is a data block stored there in one uncompressed piece
    /// (<see cref="ITapeMedia.TryGetStoredExtent"/>), moves past it without reading it and gives where its
    /// <paramref name="length"/> bytes start in <see cref="ITapeMedia.Path"/>; false, changing nothing,
    /// for any other block. Counted as read.
    /// </summary>
    public bool TrySkipStoredDataBlock(out long offset, out int length)
    {
        offset = -1;
        length = 0;
        if (_media is not { } media || _fenced
            || !media.TryGetStoredExtent(media.Position.BlockNumber, out var stored, out var storedLength)
            || media.ForwardSpaceBlock() != MediaStatus.Ok)
        {
            return false;
        }

        CountRead(storedLength);
        offset = stored;
        length = storedLength;
        return true;
    }

    /// <summary>
    /// Moves back over the last <paramref name="blocks"/> blocks read by <see cref="TryReadDataBlock"/> or
    /// <see cref="TrySkipStoredDataBlock"/> (<paramref name="bytes"/> bytes in all) that the reader did
    /// not use: they count as never read, and the next Read returns the first of them. If the volume
    /// cannot be positioned there, it is fenced, as after a failed Locate Block (§1.5).
    /// </summary>
    public void UnreadBlocks(int blocks, long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(blocks);
        if (blocks == 0 || _media is not { } media)
        {
            return;
        }

        Counters.BlocksRead -= blocks;
        Counters.BytesRead -= bytes;
        if (media.Locate(media.Position.BlockNumber - blocks) != MediaStatus.Ok)
        {
            _fenced = true;
        }
    }

    /// <summary>
    /// A buffered Write failed after the host had been told it was done: the pending sense gets sense
    /// byte 0 bit 02, deferred unit check (IBM 3490 Hardware Reference, "Deferred unit check"), so the
    /// next Sense returns it.
    /// </summary>
    public void MarkDeferredUnitCheck() => _sense.MarkDeferredUnitCheck();

    /// <summary>
    /// What Hercules' device init resets besides the volume (tapedev.c tapedev_init_handler): position
    /// state, the fence, logical write protect, sense, the path group id and the password.
    /// </summary>
    private void ReinitializeDevice(bool sensePending)
    {
        ResetVolumeState();
        _sense.Clear(sensePending);
        _pathGroup.ClearIdAndPassword();
    }

    private void ResetVolumeState()
    {
        _fenced = false;
        _logicalWriteProtect = false;
        _remainder.Clear();
    }

    private void RemoveVolume()
    {
        _media?.Dispose();
        _media = null;
        VolumeGeneration++;
        ResetVolumeState();
        _display.VolumeUnloaded();
    }
}
