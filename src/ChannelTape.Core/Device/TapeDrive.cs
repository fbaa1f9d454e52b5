using System.Buffers.Binary;
using ChannelTape.Channel;
using ChannelTape.Media;

namespace ChannelTape.Device;

/// <summary>
/// A channel-level IBM 3420 / 3480 / 3490 tape drive: the CCW interpreter of Hercules 3.13's
/// <c>tapedev_execute_ccw</c> (tapeccws.c; hercules-tape.md §1) over an <see cref="ITapeMedia"/>,
/// with the deliberate improvements listed in docs/device-behaviour.md ("## Device").
/// One CCW at a time; never concurrently (the <see cref="IChannelDevice"/> contract).
/// </summary>
public sealed class TapeDrive : IChannelDevice, IDisposable
{
    /// <summary>Largest CCW byte count (16-bit count field).</summary>
    public const int MaxCcwCount = 0xFFFF;

    private const int SenseAreaSize = 32;
    private const int PathGroupIdLength = 11;
    private const int BlockIdLength = 8;
    private const int ReadBufferedLogLength = 32;
    private const int ReadMessageIdLength = 10;
    private const int LocateDataLength = 4;

    // Path group state byte (tapedev.h SPG_*).
    private const byte PathStateGrouped = 0xC0;
    private const byte PartitionExplicitlyEnabled = 0x30;
    private const byte SetPathCommandMask = 0x60;
    private const byte SetPathEstablish = 0x00;
    private const byte SetPathDisband = 0x20;

    // Mode Set (0xDB) bits (tapedev.h MSET_*).
    private const byte ModeSetWriteImmediate = 0x20;
    private const byte ModeSetSupervisorInhibit = 0x10;

    // Control Access (0xE3) functions (tapedev.h CAC_*).
    private const byte ControlAccessSetPassword = 0x00;
    private const byte ControlAccessConditionalEnable = 0x80;
    private const byte ControlAccessConditionalDisable = 0x40;

    // Perform Subsystem Function orders (tapedev.h PSF_*).
    private const byte PsfPrepareReadSubsystemData = 0x18;
    private const byte PsfAttentionMessage = 0x03;
    private const byte PsfSetSpecialIntercept = 0x1B;
    private const byte PsfMessageNotSupported = 0x1C;
    private const byte PsfActivateForcedErrorLog = 0x80;
    private const byte PsfDeactivateForcedErrorLog = 0x81;
    private const byte PsfActivateAccessControl = 0x82;
    private const byte PsfDeactivateAccessControl = 0x83;
    private const byte PsfResetVolumeFenced = 0x90;
    private const byte PsfPinDevice = 0xA1;
    private const byte PsfUnpinDevice = 0xA2;
    private const byte AccessLogicalWriteProtect = 0x80;
    private const byte AccessDataCompactionDefault = 0x10;
    private const byte AccessDataCheckRecovery = 0x02;
    private const byte AccessExtendedRecovery = 0x01;

    private const string BlankDisplay = "        ";
    private const string ReadyDisplay = " READY  ";

    private readonly byte[] _sense = new byte[SenseAreaSize];
    private readonly int _senseCount;
    private readonly byte[] _pathGroupId = new byte[PathGroupIdLength];
    private readonly byte[] _password = new byte[PathGroupIdLength];
    private readonly byte[] _subsystemData = new byte[10];

    private ITapeMedia? _media;
    private byte[] _blockBuffer = [];
    private bool _sensePending;
    private bool _fenced;
    private bool _supervisorInhibit;
    private bool _writeImmediate;
    private bool _logicalWriteProtect;
    private byte _pathState;
    private int _subsystemDataLength;

    // Data not yet given to the channel by the last input CCW (for data chaining, §1.1 step 2).
    private byte[] _chainSource = [];
    private int _chainOffset;
    private int _chainRemaining;
    private bool _chainBackward;

    // Display state (tapedev.c GetDisplayMsg; TAPEDISPTYP_* and TAPEDISPFLG_*).
    private DisplayState _displayState = DisplayState.Idle;
    private string _displayMessage1 = BlankDisplay;
    private string _displayMessage2 = BlankDisplay;
    private bool _displayMessage2Shown;

    public TapeDrive(TapeModel model, ushort deviceNumber)
    {
        if (!Enum.IsDefined(model))
        {
            throw new ArgumentOutOfRangeException(nameof(model), model, "unsupported tape model");
        }

        Model = model;
        DeviceNumber = deviceNumber;
        _senseCount = SenseBuilder.SenseCount(model);
    }

    private enum DisplayState
    {
        /// <summary>Unit message (blank or READY).</summary>
        Idle,
        /// <summary>Host message until the next tape motion (FCB 000).</summary>
        UntilMotion,
        /// <summary>Host message 1 until the volume is unloaded (FCB 001).</summary>
        UntilUnloaded,
        /// <summary>Host message until a volume is loaded (FCB 010, or 111 on an empty drive).</summary>
        UntilLoaded,
        /// <summary>Message 1 until unloaded, then message 2 until loaded (FCB 111).</summary>
        UnloadedThenLoaded,
    }

    public TapeModel Model { get; }

    public ushort DeviceNumber { get; }

    public int MaxTransfer => MaxCcwCount;

    /// <summary>The mounted volume; null when the drive is empty.</summary>
    public ITapeMedia? Media => _media;

    /// <summary>
    /// Changes at every mount and unload, so whoever remembers something about the mounted volume (which
    /// image holds it, blocks read ahead of the host) can tell that it is no longer the same mount, even
    /// for a volume at the same path.
    /// </summary>
    public long VolumeGeneration { get; private set; }

    public bool IsLoaded => _media is not null;

    public DriveCounters Counters { get; } = new();

    /// <summary>Sense bytes the model reports (24 or 32).</summary>
    public ReadOnlySpan<byte> Sense => _sense.AsSpan(0, _senseCount);

    /// <summary>True while a unit check's sense waits for Sense or concurrent sense (§2.1).</summary>
    public bool IsSensePending => _sensePending;

    /// <summary>True while the volume is fenced (§1.5).</summary>
    public bool IsFenced => _fenced;

    /// <summary>
    /// The 8 characters the drive's message display shows now (§4.1): a host message from Load Display,
    /// else " READY  " with a volume or blanks without. The 3420 has no display: always blanks.
    /// </summary>
    public string DisplayText
    {
        get
        {
            if (Model == TapeModel.Ibm3420)
            {
                return BlankDisplay;
            }

            if (_displayState == DisplayState.Idle)
            {
                return IsLoaded ? ReadyDisplay : BlankDisplay;
            }

            return _displayMessage2Shown ? _displayMessage2 : _displayMessage1;
        }
    }

    public event Action<IChannelDevice, UnitStatus>? UnsolicitedStatus;

    /// <summary>Every Load Display the host sends, parsed (mount / demount / keep requests, §4.2-4.3).</summary>
    public event Action<TapeDrive, LoadDisplayMessage>? LoadDisplayReceived;

    /// <summary>Raised after a Rewind Unload took the volume out (the library may release it).</summary>
    public event Action<TapeDrive>? VolumeUnloaded;

    public bool IsImmediate(byte command) => CommandTables.IsImmediate(command);

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
        ReinitializeDevice();
        _sensePending = false;
        Counters.Mounts++;
        _displayState = DisplayState.Idle; // mountnewtape: a loaded tape shows the unit message
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
        ReinitializeDevice();
        _sensePending = true;
        UnsolicitedStatus?.Invoke(this, UnitStatus.DeviceEnd);
    }

    /// <summary>What Hercules' device init resets besides the volume (tapedev.c tapedev_init_handler).</summary>
    private void ReinitializeDevice()
    {
        ResetVolumeState();
        _sense.AsSpan().Clear();
        _pathGroupId.AsSpan().Clear();
        _password.AsSpan().Clear();
    }

    public void StartChannelProgram()
    {
    }

    public void EndChannelProgram()
    {
    }

    /// <summary>Tapes have no halt entry in Hercules: position and mount survive (§5 "Reset").</summary>
    public void Halt()
    {
        _chainRemaining = 0;
    }

    public int TakeConcurrentSense(Span<byte> destination)
    {
        int n = Math.Min(_senseCount, destination.Length);
        _sense.AsSpan(0, n).CopyTo(destination);
        _sense.AsSpan().Clear();
        _sensePending = false;
        return n;
    }

    public void Dispose() => RemoveVolume();

    // ---- reading ahead for a host, buffered writes -------------------------------------------

    /// <summary>True when the volume is read-only or logically write protected (PSF Activate Access Control).</summary>
    public bool IsWriteProtected => _media is { } media && IsVolumeWriteProtected(media);

    /// <summary>
    /// Tape-write-immediate is in effect (Mode Set bit 20 or Set Tape-Write-Immediate in this channel
    /// program): every write-type command is flushed before it ends, as in a 3490 out of buffered mode.
    /// </summary>
    public bool IsWriteImmediate => _writeImmediate;

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
                // Only a tape mark (or a zero-length block, read as one) moves; it is passed and indexed, so Locate is exact.
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
    public void MarkDeferredUnitCheck()
    {
        _sense[0] |= SenseBuilder.Sense0DeferredUnitCheck;
        _sensePending = true;
    }

    /// <summary>
    /// What starting a channel program resets (§1.1 step 1): Mode Set settings (supervisor inhibit,
    /// tape-write-immediate) and prepared subsystem data last one channel program. Execute does this
    /// at sequence number 0; whoever starts a channel program whose first CCW never reaches the drive
    /// (a Read answered from blocks read ahead) asks for it.
    /// </summary>
    public void ResetChannelProgramSettings()
    {
        _supervisorInhibit = false;
        _writeImmediate = false;
        _subsystemDataLength = 0;
    }

    public CcwResult Execute(in CcwRequest request, Span<byte> buffer)
    {
        Counters.Ccws++;
        int count = Math.Clamp(request.Count, 0, MaxCcwCount);
        byte code = request.Command;

        // §1.1 step 1: Mode Set settings and prepared subsystem data last one channel program.
        if (request.Sequence == 0)
        {
            ResetChannelProgramSettings();
        }

        // §1.1 step 2: data-chained continuation of an input command.
        if (request.IsDataChained)
        {
            return ContinueDataChain(count, buffer);
        }

        _chainRemaining = 0;

        // §1.1 step 3: data chaining is only allowed on read-type commands.
        if ((request.Flags & CcwFlags.ChainData) != 0 && !CommandType.IsRead(code) && !CommandType.IsReadBackward(code))
        {
            return Done(TapeCondition.CommandReject, code, count);
        }

        // §1.1 step 4: after a PSF that prepared subsystem data only Read Subsystem Data may follow.
        if (request.PreviousCommand == (byte)TapeCommand.PerformSubsystemFunction && _subsystemDataLength > 0
            && code != (byte)TapeCommand.ReadSubsystemData)
        {
            return Done(TapeCondition.CommandReject, code, count);
        }

        // §1.1 steps 5-6: the model's validity table.
        switch (CommandTables.Validity(Model, code))
        {
            case CommandValidity.Reject:
                return Done(TapeCondition.CommandReject, code, count);
            case CommandValidity.NoOperation:
            case CommandValidity.VirtualNoOperation:
                return Done(_fenced ? TapeCondition.Fenced : TapeCondition.StatusOnly, code, count);
            case CommandValidity.NeedsVolume:
            case CommandValidity.NeedsVolumeAddDeviceEnd:
                if (_media is null)
                {
                    return Done(TapeCondition.TapeUnloaded, code, count);
                }

                break;
        }

        ReadOnlySpan<byte> data = buffer[..Math.Min(count, buffer.Length)];
        return (TapeCommand)code switch
        {
            TapeCommand.Write => Write(data, count),
            TapeCommand.Read => Read(count, buffer),
            TapeCommand.NoOperation => Done(_fenced ? TapeCondition.Fenced : TapeCondition.StatusOnly, code, count),
            TapeCommand.Sense => SenseCommand(count, buffer),
            TapeCommand.Rewind => Rewind(count),
            TapeCommand.ReadBackward => ReadBackward(count, buffer),
            TapeCommand.RewindUnload => RewindUnload(count),
            TapeCommand.ReadBuffer => ReadBuffer(count),
            TapeCommand.EraseGap => WriteTypeControl(code, count, tapeMark: false),
            TapeCommand.WriteTapeMark => WriteTypeControl(code, count, tapeMark: true),
            TapeCommand.ReadBlockId => ReadBlockId(count, buffer),
            TapeCommand.ReadBufferedLog => ReadBufferedLog(count, buffer),
            TapeCommand.BackspaceBlock => Motion(code, count, media => media.BackspaceBlock()),
            TapeCommand.BackspaceFile => Motion(code, count, media => FileMotion(media.BackspaceFile())),
            TapeCommand.SensePathGroupId => SensePathGroupId(request, count, buffer),
            TapeCommand.ForwardSpaceBlock => Motion(code, count, media => media.ForwardSpaceBlock()),
            TapeCommand.ReadSubsystemData => ReadSubsystemData(request, count, buffer),
            TapeCommand.ForwardSpaceFile => Motion(code, count, media => FileMotion(media.ForwardSpaceFile())),
            TapeCommand.Synchronize => Synchronize(code, count),
            TapeCommand.ReadMessageId => ReadMessageId(request, count, buffer),
            TapeCommand.LocateBlock => LocateBlock(data, count),
            TapeCommand.SuspendMultipathReconnection => SupervisorCommand(code, count),
            TapeCommand.ReadDeviceCharacteristics => ReadDeviceCharacteristics(count, buffer),
            TapeCommand.PerformSubsystemFunction => PerformSubsystemFunction(data, count),
            TapeCommand.DataSecurityErase => DataSecurityErase(request, count),
            TapeCommand.LoadDisplay => LoadDisplay(data, count),
            TapeCommand.SetPathGroupId => SetPathGroupId(request, data, count),
            TapeCommand.Assign => Assign(data, count),
            TapeCommand.SetTapeWriteImmediate => SetTapeWriteImmediate(code, count),
            TapeCommand.Unassign => Unassign(data, count),
            TapeCommand.ModeSet => ModeSet(data, count),
            TapeCommand.ControlAccess => ControlAccess(data, count),
            TapeCommand.SenseId => SenseId(count, buffer),
            TapeCommand.ReadConfigurationData => ReadConfigurationData(count, buffer),
            // Set Diagnose (Hercules AUTOMOUNT) is refused like Hercules without AUTOMOUNT statements;
            // 3420 codes 0B 1B 8B F3 FD pass its table but have no handler (§1.2).
            _ => Done(TapeCondition.CommandReject, code, count),
        };
    }

    // ---- data transfer commands -------------------------------------------------------------

    private CcwResult Read(int count, Span<byte> buffer)
    {
        const byte code = (byte)TapeCommand.Read;
        var media = _media!;
        if (_fenced)
        {
            return Done(TapeCondition.Fenced, code, count);
        }

        EndUntilMotionMessage();
        var block = BlockBuffer(media);
        var status = media.ReadForward(block, out int length);
        if (status == MediaStatus.TapeMark || (status == MediaStatus.Ok && length == 0))
        {
            // A zero-length block reads as a tape mark (Hercules: read length 0 -> READTM).
            return Done(TapeCondition.TapeMarkRead, code, count);
        }

        if (status != MediaStatus.Ok)
        {
            return Done(SenseBuilder.FromMedia(status), code, count);
        }

        CountRead(length);
        int n = Math.Min(count, length);
        CopyOut(block.AsSpan(0, n), buffer, 0);
        KeepChainData(block, n, length - n, backward: false);
        return Done(TapeCondition.StatusOnly, code, count - n, more: length > count);
    }

    private CcwResult ReadBackward(int count, Span<byte> buffer)
    {
        // Hercules does not check the fence here (§8.13); neither do we, to stay comparable.
        const byte code = (byte)TapeCommand.ReadBackward;
        var media = _media!;
        EndUntilMotionMessage();
        var block = BlockBuffer(media);
        var status = media.ReadBackward(block, out int length);
        if (status == MediaStatus.TapeMark)
        {
            // Improvement: nothing is transferred, so the residual is the whole count (Hercules
            // reports 0 and the channel then stores stale buffer bytes). docs/device-behaviour.md.
            return Done(TapeCondition.TapeMarkRead, code, count);
        }

        if (status != MediaStatus.Ok)
        {
            return Done(SenseBuilder.FromMedia(status), code, count);
        }

        CountRead(length);
        int n = Math.Min(count, length);

        // The last n bytes of the block, stored ending at the end of the count (original byte order).
        CopyOut(block.AsSpan(length - n, n), buffer, count - n);
        KeepChainData(block, 0, length - n, backward: true);
        return Done(TapeCondition.StatusOnly, code, count - n, more: length > count);
    }

    private CcwResult ContinueDataChain(int count, Span<byte> buffer)
    {
        int n = Math.Min(count, _chainRemaining);
        if (_chainBackward)
        {
            // Reading backward continues toward the start of the block.
            CopyOut(_chainSource.AsSpan(_chainOffset + _chainRemaining - n, n), buffer, count - n);
            _chainRemaining -= n;
        }
        else
        {
            CopyOut(_chainSource.AsSpan(_chainOffset, n), buffer, 0);
            _chainOffset += n;
            _chainRemaining -= n;
        }

        return new CcwResult(UnitStatus.ChannelEndDeviceEnd, count - n, More: _chainRemaining > 0);
    }

    private CcwResult Write(ReadOnlySpan<byte> data, int count)
    {
        const byte code = (byte)TapeCommand.Write;
        if (RefuseWrite(code, count) is { } refused)
        {
            return refused;
        }

        var media = _media!;
        var status = media.Write(data);
        if (status != MediaStatus.Ok)
        {
            return Done(SenseBuilder.FromMedia(status), code, count);
        }

        Counters.BlocksWritten++;
        Counters.BytesWritten += data.Length;
        return FinishWrite(code, residual: 0);
    }

    /// <summary>Erase Gap and Write Tape Mark: fence, write protect, operation, write-immediate flush, +UX.</summary>
    private CcwResult WriteTypeControl(byte code, int count, bool tapeMark)
    {
        if (RefuseWrite(code, count) is { } refused)
        {
            return refused;
        }

        var media = _media!;
        var status = tapeMark ? media.WriteTapeMark() : media.EraseGap();
        if (status != MediaStatus.Ok)
        {
            return Done(SenseBuilder.FromMedia(status), code, count);
        }

        if (tapeMark)
        {
            Counters.TapeMarksWritten++;
        }

        return FinishWrite(code, count);
    }

    private CcwResult DataSecurityErase(in CcwRequest request, int count)
    {
        const byte code = (byte)TapeCommand.DataSecurityErase;
        if (!request.IsCommandChained || request.PreviousCommand != (byte)TapeCommand.EraseGap)
        {
            return Done(TapeCondition.CommandReject, code, count);
        }

        if (RefuseWrite(code, count) is { } refused)
        {
            return refused;
        }

        var media = _media!;
        // Improvement: the volume is erased from here to the end (Hercules leaves it untouched).
        var status = media.EraseToEnd();
        if (status != MediaStatus.Ok)
        {
            return Done(SenseBuilder.FromMedia(status), code, count);
        }

        return FinishWrite(code, count);
    }

    /// <summary>
    /// The checks every write-type operation makes before it touches the volume (fence, write
    /// protect; hercules-tape.md §1.2, §1.5): null when it may go on (an "until motion" display
    /// message then ends), else the unit check it ends with.
    /// </summary>
    private CcwResult? RefuseWrite(byte code, int count)
    {
        if (_fenced)
        {
            return Done(TapeCondition.Fenced, code, count);
        }

        if (IsVolumeWriteProtected(_media!))
        {
            return Done(TapeCondition.WriteProtected, code, count);
        }

        EndUntilMotionMessage();
        return null;
    }

    /// <summary>After a good write-type operation: flush if write-immediate, then CE+DE (+UX via <see cref="Done"/>).</summary>
    private CcwResult FinishWrite(byte code, int residual)
    {
        if (_writeImmediate)
        {
            var flush = Flush();
            if (flush != TapeCondition.StatusOnly)
            {
                return Done(flush, code, residual);
            }
        }

        return Done(TapeCondition.StatusOnly, code, residual);
    }

    // ---- motion -----------------------------------------------------------------------------

    private CcwResult Motion(byte code, int count, Func<ITapeMedia, MediaStatus> operation)
    {
        if (_fenced)
        {
            return Done(TapeCondition.Fenced, code, count);
        }

        EndUntilMotionMessage();
        var status = operation(_media!);
        return Done(SenseBuilder.FromMedia(status), code, count);
    }

    /// <summary>Spacing a file ends on its tape mark by definition: no unit exception (§1.2 FSF/BSF).</summary>
    private static MediaStatus FileMotion(MediaStatus status) => status == MediaStatus.TapeMark ? MediaStatus.Ok : status;

    private CcwResult Rewind(int count)
    {
        const byte code = (byte)TapeCommand.Rewind;
        EndUntilMotionMessage();
        var status = _media!.Rewind();
        if (status != MediaStatus.Ok)
        {
            _fenced = true;
            return Done(TapeCondition.RewindFailed, code, count);
        }

        _fenced = false;
        return Done(TapeCondition.StatusOnly, code, count);
    }

    private CcwResult RewindUnload(int count)
    {
        const byte code = (byte)TapeCommand.RewindUnload;
        EndUntilMotionMessage();
        RemoveVolume();

        // Merged completion as Hercules (§1.2, §8.2): MVS depends on it.
        var result = Done(TapeCondition.RewindUnloadDone, code, count);
        VolumeUnloaded?.Invoke(this);
        return result;
    }

    private CcwResult LocateBlock(ReadOnlySpan<byte> data, int count)
    {
        const byte code = (byte)TapeCommand.LocateBlock;
        if (_fenced)
        {
            return Done(TapeCondition.Fenced, code, count);
        }

        if (count < LocateDataLength || data.Length < LocateDataLength)
        {
            return Done(TapeCondition.CommandReject, code, count);
        }

        uint blockId = BinaryPrimitives.ReadUInt32BigEndian(data);
        if ((blockId & BlockIdFormat.FormatMask) == BlockIdFormat.FormatMask)
        {
            return Done(TapeCondition.CommandReject, code, count);
        }

        EndUntilMotionMessage();
        var status = _media!.Locate(BlockIdFormat.BlockNumber(blockId));
        if (status != MediaStatus.Ok)
        {
            _fenced = true; // position lost (§1.5)
            return Done(TapeCondition.LocateFailed, code, count - LocateDataLength);
        }

        return Done(TapeCondition.StatusOnly, code, count - LocateDataLength);
    }

    // ---- flush-type commands ----------------------------------------------------------------

    /// <summary>
    /// Hercules' <c>sync</c> media call: a read-only volume fails with write protect and an empty
    /// drive with a write data check (§8.3 quirks kept, hercules-tape.md §1.2).
    /// </summary>
    private TapeCondition Flush()
    {
        if (_media is null)
        {
            return TapeCondition.WriteFailed;
        }

        if (_media.IsReadOnly)
        {
            return TapeCondition.WriteProtected;
        }

        var status = _media.Synchronize();
        return status == MediaStatus.Ok ? TapeCondition.StatusOnly : TapeCondition.WriteFailed;
    }

    private CcwResult Synchronize(byte code, int count)
    {
        if (_fenced)
        {
            return Done(TapeCondition.Fenced, code, count);
        }

        EndUntilMotionMessage();
        return Done(Flush(), code, count);
    }

    private CcwResult SetTapeWriteImmediate(byte code, int count)
    {
        if (_fenced)
        {
            return Done(TapeCondition.Fenced, code, count);
        }

        _writeImmediate = true;
        return Done(Flush(), code, count);
    }

    private CcwResult ReadBuffer(int count)
    {
        const byte code = (byte)TapeCommand.ReadBuffer;
        if (_fenced)
        {
            return Done(TapeCondition.Fenced, code, count);
        }

        // Everything is flushed, so no buffered data is left: nothing transferred. Improvement:
        // Hercules leaves the unit status 0 here; we end with CE+DE (docs/device-behaviour.md).
        return Done(Flush(), code, count);
    }

    // ---- sense and identification -------------------------------------------------------------

    private CcwResult SenseCommand(int count, Span<byte> buffer)
    {
        // Pending sense, or fresh status-type sense (§2.1); then sense is cleared.
        if (!_sensePending)
        {
            SenseBuilder.Build(Model, TapeCondition.Unsolicited, CurrentState(), _sense);
        }

        int n = Math.Min(count, _senseCount);
        CopyOut(_sense.AsSpan(0, n), buffer, 0);
        _sense.AsSpan().Clear();
        _sensePending = false;
        return new CcwResult(UnitStatus.ChannelEndDeviceEnd, count - n, More: _senseCount > count);
    }

    private CcwResult SenseId(int count, Span<byte> buffer)
    {
        var id = DeviceIdentity.SenseId(Model);
        return id.IsEmpty
            ? Done(TapeCondition.CommandReject, (byte)TapeCommand.SenseId, count)
            : Input((byte)TapeCommand.SenseId, id, count, buffer);
    }

    private CcwResult ReadDeviceCharacteristics(int count, Span<byte> buffer)
    {
        var rdc = DeviceIdentity.DeviceCharacteristics(Model);
        return rdc is null
            ? Done(TapeCondition.CommandReject, (byte)TapeCommand.ReadDeviceCharacteristics, count)
            : Input((byte)TapeCommand.ReadDeviceCharacteristics, rdc, count, buffer);
    }

    private CcwResult ReadConfigurationData(int count, Span<byte> buffer) =>
        Input((byte)TapeCommand.ReadConfigurationData, DeviceIdentity.ConfigurationData(Model, DeviceNumber), count, buffer);

    private CcwResult ReadBufferedLog(int count, Span<byte> buffer)
    {
        // A copy of the current sense, zero-padded to 32 bytes; sense is not cleared (§1.2).
        Span<byte> log = stackalloc byte[ReadBufferedLogLength];
        _sense.AsSpan(0, _senseCount).CopyTo(log);
        return Input((byte)TapeCommand.ReadBufferedLog, log, count, buffer);
    }

    private CcwResult ReadBlockId(int count, Span<byte> buffer)
    {
        const byte code = (byte)TapeCommand.ReadBlockId;
        if (_fenced)
        {
            return Done(TapeCondition.Fenced, code, count);
        }

        Span<byte> id = stackalloc byte[BlockIdLength];
        uint blockId = BlockIdFormat.Encode(_media!.Position.BlockNumber);
        BinaryPrimitives.WriteUInt32BigEndian(id, blockId);   // channel block id
        BinaryPrimitives.WriteUInt32BigEndian(id[4..], blockId); // device block id
        return Input(code, id, count, buffer);
    }

    private CcwResult ReadMessageId(in CcwRequest request, int count, Span<byte> buffer)
    {
        const byte code = (byte)TapeCommand.ReadMessageId;
        if (!request.IsCommandChained || !CommandType.IsWrite(request.PreviousCommand))
        {
            return Done(TapeCondition.CommandReject, code, count);
        }

        // Length 10, format 02, message code 01 (delayed response), message id 0, flags 0.
        ReadOnlySpan<byte> messageId = [0x00, 0x0A, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        return Input(code, messageId, count, buffer);
    }

    // ---- path group, assignment, access control ----------------------------------------------

    private CcwResult SensePathGroupId(in CcwRequest request, int count, Span<byte> buffer)
    {
        const byte code = (byte)TapeCommand.SensePathGroupId;
        if (_supervisorInhibit || request.IsCommandChained)
        {
            return Done(TapeCondition.CommandReject, code, count);
        }

        Span<byte> data = stackalloc byte[1 + PathGroupIdLength];
        data[0] = _pathState;
        _pathGroupId.CopyTo(data[1..]);
        return Input(code, data, count, buffer);
    }

    private CcwResult SetPathGroupId(in CcwRequest request, ReadOnlySpan<byte> data, int count)
    {
        const byte code = (byte)TapeCommand.SetPathGroupId;
        const int length = 1 + PathGroupIdLength;
        if (!TryFixedLengthSupervisorData(code, data, count, length, request.IsCommandChained, out int residual, out var rejected))
        {
            return rejected;
        }

        var pgid = data.Slice(1, PathGroupIdLength);
        switch (data[0] & SetPathCommandMask)
        {
            case SetPathEstablish:
                if (!IsZero(_pathGroupId) && !pgid.SequenceEqual(_pathGroupId))
                {
                    return Done(TapeCondition.CommandReject, code, residual);
                }

                pgid.CopyTo(_pathGroupId);
                _pathState = PathStateGrouped;
                break;
            case SetPathDisband:
                _pathState = 0;
                break;
            default: // resign
                _pathState = 0;
                _pathGroupId.AsSpan().Clear();
                break;
        }

        return Done(TapeCondition.StatusOnly, code, residual);
    }

    /// <summary>
    /// The common start of the path-group commands with fixed-length data (Set PGID, Assign,
    /// Unassign, Control Access; hercules-tape.md §1.2): command reject with residual = count under
    /// supervisor-inhibit (or when <paramref name="rejectAnyway"/>), command reject when the count
    /// is below <paramref name="length"/> (Hercules leaves the residual of what was transferred and
    /// sets "more"); otherwise true with the residual of a normal end.
    /// </summary>
    private bool TryFixedLengthSupervisorData(byte code, ReadOnlySpan<byte> data, int count, int length, bool rejectAnyway,
        out int residual, out CcwResult rejected)
    {
        if (_supervisorInhibit || rejectAnyway)
        {
            residual = count;
            rejected = Done(TapeCondition.CommandReject, code, count);
            return false;
        }

        residual = count - Math.Min(count, length);
        if (count < length || data.Length < length)
        {
            rejected = Done(TapeCondition.CommandReject, code, residual, more: count < length);
            return false;
        }

        rejected = default;
        return true;
    }

    private CcwResult Assign(ReadOnlySpan<byte> data, int count)
    {
        const byte code = (byte)TapeCommand.Assign;
        if (!TryFixedLengthSupervisorData(code, data, count, PathGroupIdLength, rejectAnyway: false, out int residual, out var rejected))
        {
            return rejected;
        }

        var id = data[..PathGroupIdLength];
        if (!IsZero(id) && !id.SequenceEqual(_pathGroupId))
        {
            return Done(TapeCondition.CommandReject, code, residual);
        }

        _pathState |= PartitionExplicitlyEnabled;
        return Done(TapeCondition.StatusOnly, code, residual);
    }

    private CcwResult Unassign(ReadOnlySpan<byte> data, int count)
    {
        const byte code = (byte)TapeCommand.Unassign;
        if (!TryFixedLengthSupervisorData(code, data, count, PathGroupIdLength, rejectAnyway: false, out int residual, out var rejected))
        {
            return rejected;
        }

        _pathState = 0;
        _pathGroupId.AsSpan().Clear();
        _password.AsSpan().Clear();
        return Done(TapeCondition.StatusOnly, code, residual);
    }

    private CcwResult ControlAccess(ReadOnlySpan<byte> data, int count)
    {
        const byte code = (byte)TapeCommand.ControlAccess;
        const int length = 1 + PathGroupIdLength;
        if (!TryFixedLengthSupervisorData(code, data, count, length, rejectAnyway: false, out int residual, out var rejected))
        {
            return rejected;
        }

        var password = data.Slice(1, PathGroupIdLength);
        bool ok;
        switch (data[0])
        {
            case ControlAccessSetPassword:
                ok = !IsZero(password) && (_pathState & PartitionExplicitlyEnabled) == PartitionExplicitlyEnabled
                    && (IsZero(_password) || password.SequenceEqual(_password));
                if (ok && IsZero(_password))
                {
                    password.CopyTo(_password);
                }

                break;
            case ControlAccessConditionalEnable:
                ok = !IsZero(_password) && password.SequenceEqual(_password);
                break;
            case ControlAccessConditionalDisable:
                ok = IsZero(_password) || password.SequenceEqual(_password);
                break;
            default:
                ok = false;
                break;
        }

        return Done(ok ? TapeCondition.StatusOnly : TapeCondition.CommandReject, code, residual);
    }

    private CcwResult SupervisorCommand(byte code, int count) =>
        Done(_supervisorInhibit ? TapeCondition.CommandReject : TapeCondition.StatusOnly, code, count);

    private CcwResult ModeSet(ReadOnlySpan<byte> data, int count)
    {
        const byte code = (byte)TapeCommand.ModeSet;
        if (_fenced)
        {
            return Done(TapeCondition.Fenced, code, count);
        }

        int residual = count - Math.Min(count, 1);
        if (count < 1 || data.Length < 1 || _supervisorInhibit)
        {
            return Done(TapeCondition.CommandReject, code, residual, more: count < 1);
        }

        // 0x08 (IDRC) is accepted without effect, as in Hercules.
        if ((data[0] & ModeSetSupervisorInhibit) != 0)
        {
            _supervisorInhibit = true;
        }

        if ((data[0] & ModeSetWriteImmediate) != 0)
        {
            _writeImmediate = true;
        }

        return Done(TapeCondition.StatusOnly, code, residual);
    }

    // ---- subsystem functions ------------------------------------------------------------------

    private CcwResult PerformSubsystemFunction(ReadOnlySpan<byte> data, int count)
    {
        const byte code = (byte)TapeCommand.PerformSubsystemFunction;
        const int longestOrder = 20;
        var padded = new byte[longestOrder];
        data[..Math.Min(data.Length, longestOrder)].CopyTo(padded);
        byte At(int i) => padded[i];
        if (_supervisorInhibit || At(1) != 0)
        {
            return Done(TapeCondition.CommandReject, code, count);
        }

        byte order = At(0);
        byte parameter = At(2);
        int Residual(int length) => count - Math.Min(count, length);

        // Hercules computes residual and "more" for the order's length before validating it.
        CcwResult Finish(TapeCondition condition, int length) =>
            Done(condition, code, Residual(length), more: count < length);
        switch (order)
        {
            case PsfActivateForcedErrorLog:
            case PsfDeactivateForcedErrorLog:
                if (count < 3 || parameter is not (0x01 or 0x02))
                {
                    return Finish(TapeCondition.CommandReject, 3);
                }

                // Forced error logging has no effect: the drive never logs errors to the host.
                return Finish(TapeCondition.StatusOnly, 3);

            case PsfActivateAccessControl:
            case PsfDeactivateAccessControl:
            {
                const byte known = AccessLogicalWriteProtect | AccessDataCompactionDefault
                    | AccessDataCheckRecovery | AccessExtendedRecovery;
                if (count < 4 || (parameter & ~known) != 0 || (parameter & known) == 0)
                {
                    return Finish(TapeCondition.CommandReject, 4);
                }

                // Data compaction default only switches HET compression in Hercules; volumes here
                // choose their compression when opened, so it is accepted without effect.
                if ((parameter & AccessLogicalWriteProtect) != 0)
                {
                    _logicalWriteProtect = order == PsfActivateAccessControl;
                }

                return Finish(TapeCondition.StatusOnly, 4);
            }

            case PsfResetVolumeFenced:
                if (count < 2)
                {
                    return Finish(TapeCondition.CommandReject, 2);
                }

                _fenced = false;
                return Finish(TapeCondition.StatusOnly, 2);

            case PsfPinDevice:
                return Finish(count < 3 || parameter > 0x01 ? TapeCondition.CommandReject : TapeCondition.StatusOnly, 3);

            case PsfUnpinDevice:
                return Finish(count < 2 ? TapeCondition.CommandReject : TapeCondition.StatusOnly, 2);

            case PsfPrepareReadSubsystemData:
            {
                if (count < 12 || At(6) != PsfAttentionMessage || At(2) != 0 || At(3) != 0 || At(4) != 0
                    || At(5) != 0 || At(7) != 0)
                {
                    return Finish(TapeCondition.CommandReject, 12);
                }

                // Hercules 3.13 prepares the data but leaves the unit status 0, so the chain ends and
                // Read Subsystem Data never runs (§8.1). We end with CE+DE so that it does.
                var messageId = padded.AsSpan(8, 4);
                _subsystemData.AsSpan().Clear();
                if (IsZero(messageId))
                {
                    _subsystemDataLength = 9;
                    _subsystemData[1] = 9;      // length
                    _subsystemData[2] = 0x00;   // format: no message
                    _subsystemData[3] = 0x00;   // message code: none
                    messageId.CopyTo(_subsystemData.AsSpan(4));
                }
                else
                {
                    _subsystemDataLength = 10;
                    _subsystemData[1] = 10;     // length
                    _subsystemData[2] = 0x02;   // format: message id status
                    _subsystemData[3] = 0x01;   // message code: delayed response
                    messageId.CopyTo(_subsystemData.AsSpan(4));
                }

                return Finish(TapeCondition.StatusOnly, 12);
            }

            case PsfMessageNotSupported:
                if (parameter is not (0x01 or 0x02) || At(6) != 0 || At(7) != 0)
                {
                    return Done(TapeCondition.CommandReject, code, count);
                }

                return Finish(TapeCondition.StatusOnly, 20);

            default:
                // Including Set Special Intercept Condition: not offered in the 3480/3490
                // characteristics (no SIC feature bit), so Hercules rejects it too.
                return Done(TapeCondition.CommandReject, code, count);
        }
    }

    private CcwResult ReadSubsystemData(in CcwRequest request, int count, Span<byte> buffer)
    {
        const byte code = (byte)TapeCommand.ReadSubsystemData;
        if (!request.IsCommandChained
            || request.PreviousCommand is not ((byte)TapeCommand.PerformSubsystemFunction or (byte)TapeCommand.SetInterfaceIdentifier)
            || _subsystemDataLength == 0)
        {
            return Done(TapeCondition.CommandReject, code, count);
        }

        return Input(code, _subsystemData.AsSpan(0, _subsystemDataLength), count, buffer);
    }

    // ---- Load Display -------------------------------------------------------------------------

    private CcwResult LoadDisplay(ReadOnlySpan<byte> data, int count)
    {
        const byte code = (byte)TapeCommand.LoadDisplay;
        if (_supervisorInhibit)
        {
            return Done(TapeCondition.CommandReject, code, count);
        }

        int n = Math.Min(count, LoadDisplayParser.DataLength);
        if (n > 0)
        {
            var message = LoadDisplayParser.Parse(data, n);
            ApplyDisplay(message);
            LoadDisplayReceived?.Invoke(this, message);
        }

        return Done(TapeCondition.StatusOnly, code, count - n, more: count < LoadDisplayParser.DataLength);
    }

    /// <summary>Display state changes of Hercules' <c>load_display</c> (tapeccws.c; §4.1).</summary>
    private void ApplyDisplay(LoadDisplayMessage message)
    {
        byte fcb = message.FormatControl;
        bool loaded = IsLoaded;
        bool message2 = false;
        switch (fcb & LoadDisplayParser.FunctionMask)
        {
            case LoadDisplayParser.FunctionUntilMotion:
                _displayMessage1 = message.Message1;
                _displayMessage2 = message.Message2;
                _displayState = DisplayState.UntilMotion;
                break;
            case LoadDisplayParser.FunctionUntilUnloaded:
                if (loaded)
                {
                    _displayState = DisplayState.UntilUnloaded;
                    _displayMessage1 = message.Message1;
                }

                break;
            case LoadDisplayParser.FunctionUntilLoaded:
                if (!loaded)
                {
                    _displayState = DisplayState.UntilLoaded;
                    _displayMessage1 = message.Message1;
                }

                break;
            case LoadDisplayParser.FunctionResetDisplay:
                _displayState = DisplayState.Idle;
                break;
            case LoadDisplayParser.FunctionDemountThenMount:
                _displayMessage1 = message.Message1;
                _displayMessage2 = message.Message2;
                if (loaded)
                {
                    _displayState = DisplayState.UnloadedThenLoaded;
                }
                else
                {
                    _displayState = DisplayState.UntilLoaded;
                    message2 = true;
                }

                break;
            default: // 011 no-op and undefined functions change nothing
                return;
        }

        int function = fcb & LoadDisplayParser.FunctionMask;
        bool index = (fcb & LoadDisplayParser.IndexAutoloader) != 0;
        if (index && function == LoadDisplayParser.FunctionUntilLoaded)
        {
            fcb &= unchecked((byte)~(LoadDisplayParser.AlternateMessages | LoadDisplayParser.BlinkMessage | LoadDisplayParser.Message2Only));
            message2 = false;
        }

        if (index && function == LoadDisplayParser.FunctionDemountThenMount)
        {
            fcb &= unchecked((byte)~(LoadDisplayParser.AlternateMessages | LoadDisplayParser.BlinkMessage | LoadDisplayParser.Message2Only));
            message2 = true;
        }

        // Alternating shows message 1 first; blinking does not change the text.
        if ((fcb & LoadDisplayParser.AlternateMessages) == 0 && (fcb & LoadDisplayParser.Message2Only) != 0)
        {
            message2 = true;
        }

        _displayMessage2Shown = message2;
    }

    /// <summary>Tape motion ends an FCB-000 message (Hercules TAPEDISPTYP_WAITACT -> IDLE).</summary>
    private void EndUntilMotionMessage()
    {
        if (_displayState == DisplayState.UntilMotion)
        {
            _displayState = DisplayState.Idle;
        }
    }

    // ---- helpers ------------------------------------------------------------------------------

    /// <summary>
    /// Completes a command: status and sense from <see cref="SenseBuilder"/>, UX for a good write,
    /// erase gap or tape mark past the end-of-tape warning (§2.1), pending sense on unit check.
    /// </summary>
    private CcwResult Done(TapeCondition condition, byte code, int residual, bool more = false)
    {
        var status = SenseBuilder.Build(Model, condition, CurrentState(), _sense);
        if (condition != TapeCondition.StatusOnly)
        {
            _sensePending = false;
        }

        if (condition == TapeCondition.StatusOnly
            && code is (byte)TapeCommand.Write or (byte)TapeCommand.EraseGap or (byte)TapeCommand.WriteTapeMark
            && _media is { IsPastEarlyWarning: true })
        {
            status |= UnitStatus.UnitException;
        }

        if ((status & UnitStatus.UnitCheck) != 0)
        {
            _sensePending = true;
            Counters.UnitChecks++;
        }

        return new CcwResult(status, residual, more);
    }

    /// <summary>
    /// An input command returning <paramref name="data"/> (Hercules RESIDUAL_CALC + copy). Only Read and
    /// Read Backward keep a rest for data chaining; a data-chained CCW after any other read-type
    /// command transfers nothing, as in Hercules (which only keeps the rest of the last block read).
    /// </summary>
    private CcwResult Input(byte code, ReadOnlySpan<byte> data, int count, Span<byte> buffer)
    {
        int n = Math.Min(count, data.Length);
        CopyOut(data[..n], buffer, 0);
        return Done(TapeCondition.StatusOnly, code, count - n, more: data.Length > count);
    }

    private SenseBuilder.DriveState CurrentState()
    {
        var media = _media;
        return media is null
            ? new SenseBuilder.DriveState(false, false, false, false, DeviceNumber)
            : new SenseBuilder.DriveState(true, media.Position.AtLoadPoint, IsVolumeWriteProtected(media),
                media.IsPastEarlyWarning, DeviceNumber);
    }

    private bool IsVolumeWriteProtected(ITapeMedia media) => media.IsReadOnly || _logicalWriteProtect;

    private void CountRead(int length)
    {
        Counters.BlocksRead++;
        Counters.BytesRead += length;
    }

    private byte[] BlockBuffer(ITapeMedia media)
    {
        int size = Math.Max(media.MaxBlockSize, MaxCcwCount);
        if (_blockBuffer.Length < size)
        {
            _blockBuffer = new byte[size];
        }

        return _blockBuffer;
    }

    private void KeepChainData(byte[] source, int offset, int remaining, bool backward)
    {
        _chainSource = source;
        _chainOffset = offset;
        _chainRemaining = remaining;
        _chainBackward = backward;
    }

    /// <summary>Copies into the channel buffer at <paramref name="offset"/>, clipped to its length.</summary>
    private static void CopyOut(ReadOnlySpan<byte> source, Span<byte> buffer, int offset)
    {
        if (offset >= buffer.Length)
        {
            return;
        }

        int n = Math.Min(source.Length, buffer.Length - offset);
        source[..n].CopyTo(buffer[offset..]);
    }

    private static bool IsZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);

    private void ResetVolumeState()
    {
        _fenced = false;
        _logicalWriteProtect = false;
        _chainRemaining = 0;
    }

    private void RemoveVolume()
    {
        _media?.Dispose();
        _media = null;
        VolumeGeneration++;
        ResetVolumeState();
        switch (_displayState)
        {
            case DisplayState.UntilUnloaded:
                _displayState = DisplayState.Idle;
                break;
            case DisplayState.UnloadedThenLoaded:
                _displayState = DisplayState.UntilLoaded;
                _displayMessage1 = _displayMessage2;
                _displayMessage2Shown = false;
                break;
        }
    }
}
