using System.Buffers.Binary;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;
using Microsoft.Win32.SafeHandles;

namespace ChannelTape.Client;

/// <summary>
/// Write-behind and read-ahead (docs/protocol.md §5), the host rules of the Hercules module
/// (hercules/cthost.c write_behind, deferred_loss, ra_accept, ra_take, cthost_end_read_ahead, ra_image).
/// The request lock guards what only <see cref="Execute"/> touches; <see cref="_streamLock"/> guards
/// what the receive loop changes too (credit and batch: Unsolicited device end, ReadAhead, ReadAheadImage).
/// </summary>
public sealed partial class RemoteDevice
{
    /// <summary>Sense byte 0 bit: deferred unit check (3490 Hardware Reference, "Deferred unit check"; §5.1).</summary>
    public const byte DeferredUnitCheck = 0x02;


    private readonly Lock _streamLock = new();
    private ProtocolFeatures _granted;

    // §5.1: bytes of Writes this host may still acknowledge itself; set by each CcwReply, 0 after a mount.
    private long _writeCredit;

    // §5.1: buffered Writes sent since the last CcwReply (request lock); a lost connection reports them.
    private int _unconfirmedWrites;

    // §5.2: the last ReadAhead body (copied out of the frame), the next entry's offset in it, the
    // blocks not yet used, and whether a Read with sequence number 0 was answered from it.
    private byte[] _batch = [];
    private int _batchOffset;
    private int _batchLeft;
    private bool _batchProgramBegan;

    // §5.3: the image ReadAheadImage named (null: none, or it could not be opened), a reference that
    // could not be read (the batch is given back with flag 02), and whether flag 02 was sent.
    private SafeFileHandle? _image;
    private bool _referenceFailed;
    private bool _referencesStopped;

    // Request lock: the unit check before this CCW was made here, not by the server (§4); its
    // sense is this host's to give to a Sense. _localDeferred: it was a deferred unit check.
    private bool _localSense;
    private bool _localDeferred;

    private long _writesBehind;
    private long _readsFromReadAhead;

    /// <summary>The §5 features in effect on the current connection (HelloReply), a subset of those asked for.</summary>
    public ProtocolFeatures GrantedFeatures
    {
        get
        {
            lock (_streamLock)
            {
                return _granted;
            }
        }
    }

    /// <summary>Writes acknowledged here and sent as BufferedCcw (§5.1), since the device was connected.</summary>
    public long WritesBehind => Interlocked.Read(ref _writesBehind);

    /// <summary>Reads answered from a read-ahead batch without a round trip (§5.2), since the device was connected.</summary>
    public long ReadsFromReadAhead => Interlocked.Read(ref _readsFromReadAhead);

    /// <summary>A Read (02) without data chaining into or out of it (§5.2): the batch may answer it.</summary>
    private static bool IsReadAheadCandidate(in CcwRequest request) =>
        request.Command == (byte)TapeCommand.Read && ((request.Flags | request.PreviousFlags) & CcwFlags.ChainData) == 0;

    /// <summary>A new connection grants its own credit and starts with references again (hercules/cthost.c cthost_connected_locked).</summary>
    private void BeginConnection(ServerLink link, ProtocolFeatures granted)
    {
        lock (_streamLock)
        {
            _granted = ProtocolFeatureRules.Agree(granted, _options.Features); // those granted of those asked for
            _writeCredit = 0;
            _referenceFailed = false;
            _referencesStopped = false;
            link.Features = _granted;
        }

        link.ReadAheadFrame = OnReadAheadFrame;
    }

    /// <summary>
    /// §5.2: answers a Read from the batch as the drive would have: <c>min(count, L)</c> bytes, residual,
    /// more when the block is longer, channel end and device end (hercules/cthost.c ra_take). False when the
    /// batch cannot answer it (empty, a reference that cannot be read, a block cut at 65535 bytes that the
    /// count would read past); then the Read goes to the server after ReadAheadEnd.
    /// </summary>
    private bool TryTakeReadAhead(in CcwRequest request, Span<byte> buffer, out CcwResult result)
    {
        result = default;
        var count = request.Count;
        lock (_streamLock)
        {
            if (_batchLeft == 0 || _referenceFailed)
            {
                return false;
            }

            var entry = _batch.AsSpan(_batchOffset);
            var word = BinaryPrimitives.ReadUInt32BigEndian(entry);
            long length;
            int stored;
            if ((word & ReadAheadMessage.ReferenceFlag) != 0)
            {
                // §5.3: the block's bytes lie in the announced image; read them straight into the buffer.
                length = word & ~ReadAheadMessage.ReferenceFlag;
                stored = (int)Math.Min(count, length);
                var at = (long)BinaryPrimitives.ReadUInt64BigEndian(entry[ReadAheadMessage.EntryLengthSize..]);
                if (_image is null || !ReadFully(_image, buffer[..stored], at))
                {
                    _referenceFailed = true;
                    return false;
                }

                _batchOffset += ReadAheadMessage.ReferenceEntrySize;
            }
            else
            {
                length = word;
                var carried = (int)Math.Min(length, ReadAheadMessage.MaxBlockBytes);
                stored = (int)Math.Min(count, length);
                if (stored > carried)
                {
                    return false;
                }

                entry.Slice(ReadAheadMessage.EntryLengthSize, stored).CopyTo(buffer);
                _batchOffset += ReadAheadMessage.EntryLengthSize + carried;
            }

            _batchLeft--;
            if (request.Sequence == 0)
            {
                _batchProgramBegan = true;
            }

            result = new CcwResult(UnitStatus.ChannelEndDeviceEnd, count - stored, length > count);
        }

        Interlocked.Increment(ref _readsFromReadAhead);
        return true;
    }

    private static bool ReadFully(SafeFileHandle image, Span<byte> destination, long offset)
    {
        try
        {
            while (!destination.IsEmpty)
            {
                var read = RandomAccess.Read(image, destination, offset);
                if (read <= 0)
                {
                    return false;
                }

                destination = destination[read..];
                offset += read;
            }

            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>
    /// §5.1: a Write whose <c>count + 32</c> fits the credit goes out as a BufferedCcw and ends at once with
    /// channel end and device end, as on a 3490 with tape-write-immediate off (hercules/cthost.c write_behind).
    /// Only while no read-ahead batch is open (its ReadAheadEnd must go first). True when it answered the CCW.
    /// </summary>
    private bool TryWriteBehind(in CcwRequest request, ReadOnlySpan<byte> buffer, out CcwResult result)
    {
        result = default;
        if (request.Command != (byte)TapeCommand.Write || _localSense || _link is not { IsFailed: false } link)
        {
            return false;
        }

        var cost = (long)request.Count + WriteAllowance.PerBlock;
        lock (_streamLock)
        {
            if ((_granted & ProtocolFeatures.WriteBehind) == 0 || _batchLeft != 0 || _batchProgramBegan || cost > _writeCredit)
            {
                return false;
            }

            _writeCredit -= cost; // spent even if the send fails
        }

        var write = new CcwMessage(request.Command, request.Flags, request.PreviousFlags, request.PreviousCommand, (uint)request.Sequence, (uint)request.Count, buffer[..request.Count]);
        if (!link.TrySend(new BufferedCcwMessage(write)))
        {
            result = Lost(request, default);
            return true;
        }

        _unconfirmedWrites++;
        Interlocked.Increment(ref _writesBehind);
        result = new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0);
        return true;
    }

    /// <summary>
    /// §5.2: before a frame that reaches the drive, gives the unused blocks back and says whether a channel
    /// program began among the Reads answered here (flag 01), or that references could not be read
    /// (flag 02). The batch is dropped only once that was sent: after a lost connection the next
    /// connection says it again, since the batch belongs to the drive (hercules/cthost.c cthost_end_read_ahead).
    /// </summary>
    private void EndReadAhead(ServerLink link)
    {
        ReadAheadEndMessage end;
        bool send, stop;
        lock (_streamLock)
        {
            stop = _referenceFailed && !_referencesStopped;
            send = (_batchLeft > 0 || _batchProgramBegan || stop) && (_granted & ProtocolFeatures.ReadAhead) != 0;
            end = new ReadAheadEndMessage((uint)_batchLeft,
                (_batchProgramBegan ? ReadAheadEndFlags.ProgramStarted : ReadAheadEndFlags.None)
                | (stop ? ReadAheadEndFlags.StopReferences : ReadAheadEndFlags.None));
        }

        if (send && !link.TrySend(end))
        {
            return; // kept for the reconnect; the frame after it fails too
        }

        lock (_streamLock)
        {
            if (stop)
            {
                _referencesStopped = true;
            }

            _referenceFailed = false;
            DropBatch();
        }
    }

    /// <summary>Forgets the batch (stream lock held).</summary>
    private void DropBatch()
    {
        _batchLeft = 0;
        _batchOffset = 0;
        _batchProgramBegan = false;
    }

    /// <summary>§5.1, §5.2: a mount or unload ends the credit and the batch (the server forgets it too).</summary>
    private void EndVolumeStreaming()
    {
        lock (_streamLock)
        {
            DropBatch();
            _writeCredit = 0;
        }
    }

    /// <summary>The credit a CcwReply carries; every buffered Write before it has run (§5.1).</summary>
    private void ConfirmWrites(in CcwReplyMessage reply)
    {
        lock (_streamLock)
        {
            _writeCredit = reply.HasWriteCredit && (_granted & ProtocolFeatures.WriteBehind) != 0 ? reply.WriteCredit : 0;
        }

        _unconfirmedWrites = 0;
    }

    /// <summary>Unsolicited status: device end means a mount or unload (§5.1, §5.2; hercules/cthost.c cthost_unsolicited_locked).</summary>
    private void OnUnsolicitedStreaming(UnitStatus status)
    {
        if ((status & UnitStatus.DeviceEnd) != 0)
        {
            EndVolumeStreaming();
        }
    }

    /// <summary>ReadAhead and ReadAheadImage from the receive loop (hercules/cthost.c ra_accept, ra_image).</summary>
    private void OnReadAheadFrame(MessageType type, ReadOnlySpan<byte> body)
    {
        if (type == MessageType.ReadAheadImage)
        {
            OpenImage(ReadAheadImageMessage.Parse(body).Path);
            return;
        }

        var message = ReadAheadMessage.Parse(body);
        lock (_streamLock)
        {
            foreach (var block in message)
            {
                if (block.IsReference && (_granted & ProtocolFeatures.ReadAheadByReference) == 0)
                {
                    throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                        "ReadAhead refers to the image, but read-ahead by reference is not in effect");
                }
            }

            if (_batch.Length < body.Length)
            {
                _batch = new byte[Math.Max(body.Length, _batch.Length * 2)];
            }

            body.CopyTo(_batch); // the frame is valid only until the next read
            _batchOffset = ReadAheadMessage.EntriesOffset;
            _batchLeft = message.Count;
        }
    }

    /// <summary>§5.3: opens the named image read-only; one that cannot be opened makes its references fail.</summary>
    private void OpenImage(string path)
    {
        SafeFileHandle? image;
        try
        {
            image = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            image = null;
        }

        SafeFileHandle? previous;
        lock (_streamLock)
        {
            previous = _image;
            _image = image;
        }

        previous?.Dispose();
    }

    private void CloseImage()
    {
        SafeFileHandle? image;
        lock (_streamLock)
        {
            image = _image;
            _image = null;
        }

        image?.Dispose();
    }

    /// <summary>The connection failed during this CCW: a deferred unit check for unconfirmed Writes, else not ready.</summary>
    private CcwResult Lost(in CcwRequest request, Span<byte> buffer) =>
        TryDeferredLoss(request, out var deferred) ? deferred : NotReady(request, buffer);

    /// <summary>
    /// §5.1: the connection ended while buffered Writes were unconfirmed, so the server may never have
    /// received them. This CCW is not run and ends with a deferred unit check made here: channel end,
    /// device end, unit check, residual = count, sense intervention required with byte 0 bit 02; a Sense
    /// right after returns that sense (hercules/cthost.c deferred_loss).
    /// </summary>
    private bool TryDeferredLoss(in CcwRequest request, out CcwResult result)
    {
        result = default;
        if (_unconfirmedWrites == 0)
        {
            return false;
        }

        _unconfirmedWrites = 0;
        lock (_streamLock)
        {
            _writeCredit = 0;
        }

        SetNotReadySense(deferred: true);
        _localSense = true;
        _localDeferred = true;
        result = new CcwResult(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck, request.Count);
        return true;
    }
}
