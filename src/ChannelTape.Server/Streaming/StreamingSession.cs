using System.Buffers;
using System.Runtime.InteropServices;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;
using ChannelTape.Runtime;
using ChannelTape.Runtime.Events;
using ChannelTape.Server.Sessions;

namespace ChannelTape.Server.Streaming;

/// <summary>
/// What docs/protocol.md §5 keeps for one drive across connections: its read-ahead batcher, and the sense
/// of a buffered Write that failed, reported at the next Ccw even to a host that reconnected meanwhile.
/// Used under the drive's executor only.
/// </summary>
internal sealed class DriveStreamingState
{
    private byte[]? _deferredSense;
    private bool _dropReported;

    public ReadAheadBatcher ReadAhead { get; } = new();

    /// <summary>What write-behind and read-ahead did on this drive since the server started, over every connection.</summary>
    public StreamingCounts Totals => new(_bufferedWrites, _readAheadSent, _readAheadReferred, _readAheadReturned);

    // Counted under the drive's executor, read by anyone (metrics): whole longs, never torn on 64-bit.
    private long _bufferedWrites;
    private long _readAheadSent;
    private long _readAheadReferred;
    private long _readAheadReturned;

    public void CountBufferedWrite() => _bufferedWrites++;

    public void CountReadAhead(int sent, int referred)
    {
        _readAheadSent += sent;
        _readAheadReferred += referred;
    }

    public void CountReturned(uint blocks) => _readAheadReturned += blocks;

    /// <summary>A buffered Write failed and no Ccw has reported it yet: later buffered Writes are dropped.</summary>
    public bool HasDeferredUnitCheck => _deferredSense is not null;

    /// <summary>A buffered Write failed with <paramref name="sense"/>: the next Ccw reports it.</summary>
    public void Defer(byte[] sense) => _deferredSense = sense;

    /// <summary>The deferred sense for the Ccw that reports it; null when none. Clears it.</summary>
    public byte[]? TakeDeferred()
    {
        var sense = _deferredSense;
        _deferredSense = null;
        _dropReported = false;
        return sense;
    }

    /// <summary>True the first time a buffered Write is dropped after a failure (it is said once).</summary>
    public bool FirstDrop()
    {
        var first = !_dropReported;
        _dropReported = true;
        return first;
    }
}

/// <summary>
/// Write-behind and read-ahead (docs/protocol.md §5) on one connection: the features in effect, the write
/// credit the host has left, whether the host still reads blocks by reference, which mount's image it was
/// told of, and what was done (for the detach line). Its members that touch the drive run under the
/// drive's executor; <see cref="TakeBufferedWrite"/> runs in the read loop while no Ccw is outstanding.
/// </summary>
internal sealed class StreamingSession(string connection, ProtocolFeatures features, long creditLimit, TapeEventHub events)
{
    // Set by each CcwReply, spent by BufferedCcw: written by the CCW task before it clears the session's
    // outstanding flag, read by the read loop only while no Ccw is outstanding.
    private long _writeCredit;
    private bool _referencesStopped;
    private long _announcedVolume = -1;
    private long _bufferedWrites;
    private long _readAheadSent;
    private long _readAheadReferred;
    private long _readAheadReturned;

    public ProtocolFeatures Features { get; } = features;

    /// <summary>What write-behind and read-ahead did on this connection.</summary>
    public StreamingCounts Counts => new(_bufferedWrites, _readAheadSent, _readAheadReferred, _readAheadReturned);

    public bool Granted(ProtocolFeatures feature) => (Features & feature) != 0;

    /// <summary>
    /// Checks a BufferedCcw (§5.1: a Write within the credit) and spends its credit; returns the request and
    /// its data, still in the frame. Anything else is a protocol error (Error 1).
    /// </summary>
    public (CcwRequest Request, ReadOnlyMemory<byte> Data) TakeBufferedWrite(ReadOnlyMemory<byte> body)
    {
        var ccw = BufferedCcwMessage.Parse(body.Span).Ccw;
        if (ccw.Command != (byte)TapeCommand.Write)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                $"BufferedCcw with command {ccw.Command:X2}: only Write (01) may be buffered");
        }

        var cost = (long)ccw.Count + WriteAllowance.PerBlock;
        if (cost > _writeCredit)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                $"BufferedCcw Write of {ccw.Count} bytes needs {cost} bytes of credit, {_writeCredit} left");
        }

        _writeCredit -= cost;
        var request = new CcwRequest(ccw.Command, ccw.Flags, ccw.PreviousFlags, (int)ccw.Count, ccw.PreviousCommand,
            (int)Math.Min(ccw.Sequence, int.MaxValue));
        // The block stays in the frame reader's buffer: the write runs before the next frame is read.
        return (request, body.Slice(CcwMessage.DataOffset, ccw.Data.Length));
    }

    /// <summary>
    /// Runs a buffered Write (under the executor). One that does not end with exactly CE+DE, residual 0
    /// becomes the drive's deferred unit check: its sense, with byte 0 bit 02, is kept for the next Ccw, and
    /// later BufferedCcw frames are dropped until then.
    /// </summary>
    public void RunBufferedWrite(ServedDrive served, object owner, in CcwRequest request, ReadOnlyMemory<byte> data)
    {
        _bufferedWrites++;
        var streaming = served.Streaming;
        streaming.CountBufferedWrite();
        var runtime = served.Runtime;
        if (streaming.HasDeferredUnitCheck)
        {
            if (streaming.FirstDrop())
            {
                events.Publish(new BufferedWritesDropped(connection, runtime.DeviceNumber));
            }

            return;
        }

        streaming.ReadAhead.BatchUsedUp(runtime.Drive);
        runtime.StartProgram(owner, request.Sequence == 0);
        // A Write only reads its buffer; the frame's own bytes serve, without a copy.
        var result = runtime.Device.Execute(in request, MemoryMarshal.AsMemory(data).Span);
        if (result == new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0))
        {
            return;
        }

        runtime.Drive.MarkDeferredUnitCheck();
        var sense = runtime.Device.Sense.ToArray();
        if (sense.Length > 0)
        {
            sense[0] |= SenseBuilder.Sense0DeferredUnitCheck;
        }

        streaming.Defer(sense);
        events.Publish(new DeferredUnitCheck(connection, runtime.DeviceNumber, request.Count, result.Status, result.Residual, Convert.ToHexString(sense)));
    }

    /// <summary>
    /// ReadAheadEnd (§5.2, under the executor): moves the drive back over the blocks the host did not use and,
    /// for flag 01, starts a new channel program as a Ccw with sequence number 0 would have.
    /// </summary>
    public void EndReadAhead(ServedDrive served, object owner, ReadAheadEndMessage end)
    {
        var runtime = served.Runtime;
        var batcher = served.Streaming.ReadAhead;
        var outstanding = batcher.Outstanding(runtime.Drive);
        if (outstanding == 0)
        {
            if (end.UnusedBlocks > 0)
            {
                // A server restart, or a mount the host had not heard of yet, ended the batch.
                events.Publish(new ReadAheadReturned(connection, runtime.DeviceNumber, end.UnusedBlocks, Known: false));
            }
        }
        else if (end.UnusedBlocks > (uint)outstanding)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                $"ReadAheadEnd with {end.UnusedBlocks} unused blocks, the last batch had {outstanding}");
        }
        else
        {
            batcher.GiveBack(runtime.Drive, (int)end.UnusedBlocks);
            _readAheadReturned += end.UnusedBlocks;
            served.Streaming.CountReturned(end.UnusedBlocks);
            if (end.UnusedBlocks > 0)
            {
                events.Publish(new ReadAheadReturned(connection, runtime.DeviceNumber, end.UnusedBlocks, Known: true));
            }
        }

        if ((end.Flags & ReadAheadEndFlags.StopReferences) != 0 && !_referencesStopped)
        {
            // §5.3: the host could not read a referred block; every later block of this connection goes inline.
            _referencesStopped = true;
            events.Publish(new ReferencesStopped(connection, runtime.DeviceNumber, runtime.Drive.Media?.Path));
        }

        if ((end.Flags & ReadAheadEndFlags.ProgramStarted) != 0)
        {
            runtime.StartProgram(owner, sequenceZero: true);
            runtime.Drive.ResetChannelProgramSettings();
        }
    }

    /// <summary>
    /// After a Read (under the executor): when read-ahead is in effect and the Read had no data chaining into
    /// or out of it and ended with exactly CE+DE (§5.2), the batch of following blocks, and before it a
    /// ReadAheadImage when the batch refers to an image this connection has not been told of since the last
    /// mount (§5.3). Both null when nothing follows.
    /// </summary>
    public (OutgoingFrame? Image, OutgoingFrame? Batch) ReadAheadAfter(ServedDrive served, in CcwRequest request, CcwResult result, FrameOutbox outbox)
    {
        if (!Granted(ProtocolFeatures.ReadAhead) || request.Command != (byte)TapeCommand.Read
            || ((request.Flags | request.PreviousFlags) & CcwFlags.ChainData) != 0 || result.Status != UnitStatus.ChannelEndDeviceEnd)
        {
            return (null, null);
        }

        var drive = served.Runtime.Drive;
        var byReference = Granted(ProtocolFeatures.ReadAheadByReference) && !_referencesStopped;
        var room = Math.Min(outbox.MaxFrameLength - 1 - ReadAheadMessage.FixedSize, ReadAheadBatcher.MaxEntriesLength);
        var entries = ArrayPool<byte>.Shared.Rent(room);
        try
        {
            var batch = served.Streaming.ReadAhead.Fill(drive, byReference, entries.AsSpan(0, room));
            OutgoingFrame? image = null;
            if (batch.Referred > 0 && drive.VolumeGeneration != _announcedVolume && drive.Media is { } media)
            {
                // §5.3: before the first batch that refers to an image, and again after every mount or unload.
                image = outbox.Serialize(new ReadAheadImageMessage(Path.GetFullPath(media.Path)));
                _announcedVolume = drive.VolumeGeneration;
            }

            _readAheadSent += batch.Blocks;
            _readAheadReferred += batch.Referred;
            served.Streaming.CountReadAhead(batch.Blocks, batch.Referred);
            return (image, batch.Blocks == 0 ? null : outbox.Serialize(new ReadAheadMessage((ushort)batch.Blocks, entries.AsSpan(0, batch.EncodedLength))));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(entries);
        }
    }

    /// <summary>
    /// The credit a CcwReply carries (under the executor): with write-behind in effect, flag 02 and the
    /// drive's write credit, which becomes the host's; without it, none.
    /// </summary>
    public (CcwReplyFlags Flag, long Credit) ReplyCredit(TapeDrive drive)
    {
        if (!Granted(ProtocolFeatures.WriteBehind))
        {
            return (CcwReplyFlags.None, 0);
        }

        _writeCredit = WriteCredit.For(drive, creditLimit);
        return (CcwReplyFlags.WriteCredit, _writeCredit);
    }

    /// <summary>A reply that carries no credit (the deferred unit check's): with write-behind in effect, credit 0.</summary>
    public CcwReplyFlags NoCredit()
    {
        if (!Granted(ProtocolFeatures.WriteBehind))
        {
            return CcwReplyFlags.None;
        }

        _writeCredit = 0;
        return CcwReplyFlags.WriteCredit;
    }
}

/// <summary>A drive as the server serves it: its runtime and its §5 state.</summary>
internal sealed class ServedDrive(DriveRuntime runtime)
{
    public DriveRuntime Runtime { get; } = runtime;

    public DriveStreamingState Streaming { get; } = new();

    public string Name => $"{Runtime.DeviceNumber:X4}";
}
