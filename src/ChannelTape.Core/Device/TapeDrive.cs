using System.Buffers.Binary;
using ChannelTape.Channel;
using ChannelTape.Media;

namespace ChannelTape.Device;

/// <summary>
/// A channel-level IBM 3420 / 3480 / 3490 tape drive: the CCW interpreter of Hercules 3.13's
/// <c>tapedev_execute_ccw</c> (tapeccws.c; docs/reference/hercules-tape.md §1) over an <see cref="ITapeMedia"/>,
/// with the deliberate improvements listed in docs/device-behaviour.md ("## Device").
/// One CCW at a time; never concurrently (the <see cref="IChannelDevice"/> contract).
/// </summary>
/// <remarks>
/// This file holds the dispatch in Hercules' check order, data transfer and motion. The drive's other
/// state machines are its components: <see cref="SenseArea"/> (sense and pending sense),
/// <see cref="ChannelProgramModes"/> (Mode Set), <see cref="BlockRemainder"/> (data chaining),
/// <see cref="MessageDisplay"/> (Load Display), <see cref="PathGroup"/> (path group, Assign, Control
/// Access) and <see cref="SubsystemData"/> (Perform Subsystem Function, Read Subsystem Data).
/// TapeDrive.Host.cs holds what the operator, the library and the server do outside channel programs.
/// </remarks>
public sealed partial class TapeDrive : IChannelDevice, IDisposable
{
    /// <summary>Largest CCW byte count (16-bit count field).</summary>
    public const int MaxCcwCount = 0xFFFF;

    private const int LocateDataLength = 4;

    /// <summary>
    /// Read Message ID (4E) data, only CC-chained from a write-type command (§1.2): length 10, format
    /// 02, message code 01 (delayed response), message id 0, flags 0.
    /// </summary>
    private static ReadOnlySpan<byte> MessageIdNone => [0x00, 0x0A, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

    private readonly SenseArea _sense;
    private readonly ChannelProgramModes _modes = new();
    private readonly BlockRemainder _remainder = new();
    private readonly MessageDisplay _display;
    private readonly PathGroup _pathGroup = new();
    private readonly SubsystemData _subsystemData = new();

    private ITapeMedia? _media;
    private byte[] _blockBuffer = [];
    private bool _fenced;
    private bool _logicalWriteProtect;

    public TapeDrive(TapeModel model, ushort deviceNumber)
    {
        if (!Enum.IsDefined(model))
        {
            throw new ArgumentOutOfRangeException(nameof(model), model, "unsupported tape model");
        }

        Model = model;
        DeviceNumber = deviceNumber;
        _sense = new SenseArea(model);
        _display = new MessageDisplay(model);
    }

    public TapeModel Model { get; }

    public ushort DeviceNumber { get; }

    public int MaxTransfer => MaxCcwCount;

    /// <summary>The mounted volume; null when the drive is empty.</summary>
    public ITapeMedia? Media => _media;

    public bool IsLoaded => _media is not null;

    public DriveCounters Counters { get; } = new();

    /// <summary>Sense bytes the model reports (24 or 32).</summary>
    public ReadOnlySpan<byte> Sense => _sense.Bytes;

    /// <summary>True while a unit check's sense waits for Sense or concurrent sense (§2.1).</summary>
    public bool IsSensePending => _sense.IsPending;

    /// <summary>True while the volume is fenced (§1.5).</summary>
    public bool IsFenced => _fenced;

    /// <summary>
    /// The 8 characters the drive's message display shows now (§4.1): a host message from Load Display,
    /// else " READY  " with a volume or blanks without. The 3420 has no display: always blanks.
    /// </summary>
    public string DisplayText => _display.Text(IsLoaded);

    public event Action<IChannelDevice, UnitStatus>? UnsolicitedStatus;

    /// <summary>Every Load Display the host sends, parsed (mount / demount / keep requests, §4.2-4.3).</summary>
    public event Action<TapeDrive, LoadDisplayMessage>? LoadDisplayReceived;

    /// <summary>Raised after a Rewind Unload took the volume out (the library may release it).</summary>
    public event Action<TapeDrive>? VolumeUnloaded;

    public bool IsImmediate(byte command) => CommandTables.IsImmediate(command);

    public void StartChannelProgram()
    {
    }

    public void EndChannelProgram()
    {
    }

    /// <summary>Tapes have no halt entry in Hercules: position and mount survive (§5 "Reset").</summary>
    public void Halt() => _remainder.Clear();

    public int TakeConcurrentSense(Span<byte> destination) => _sense.Take(destination);

    public void Dispose() => RemoveVolume();

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
            return _remainder.Continue(count, buffer);
        }

        _remainder.Clear();

        // §1.1 step 3: data chaining is only allowed on read-type commands.
        if ((request.Flags & CcwFlags.ChainData) != 0 && !CommandType.IsRead(code) && !CommandType.IsReadBackward(code))
        {
            return Reject(code, count);
        }

        // §1.1 step 4: after a PSF that prepared subsystem data only Read Subsystem Data may follow.
        if (request.PreviousCommand == (byte)TapeCommand.PerformSubsystemFunction && _subsystemData.HasPreparedData
            && code != (byte)TapeCommand.ReadSubsystemData)
        {
            return Reject(code, count);
        }

        // §1.1 steps 5-6: the model's validity table.
        switch (CommandTables.Validity(Model, code))
        {
            case CommandValidity.Reject:
                return Reject(code, count);
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

        // §1.1 step 7: the command; one that passes the table without a case is rejected. Hercules
        // checks supervisor-inhibit first in each supervisor command's case.
        if (_modes.Refuses(code))
        {
            return Reject(code, count);
        }

        ReadOnlySpan<byte> data = buffer[..Math.Min(count, buffer.Length)];
        return (TapeCommand)code switch
        {
            TapeCommand.Write => Write(data, count),
            TapeCommand.Read or TapeCommand.ReadBackward => ReadBlock(code, count, buffer),
            TapeCommand.NoOperation => Done(_fenced ? TapeCondition.Fenced : TapeCondition.StatusOnly, code, count),
            // Sense: the pending sense, or fresh status-type sense (§2.1); then sense is cleared.
            TapeCommand.Sense => Input(code, _sense.TakeForSense(CurrentState()), count, buffer),
            TapeCommand.Rewind => Rewind(count),
            TapeCommand.RewindUnload => RewindUnload(count),
            TapeCommand.ReadBuffer or TapeCommand.Synchronize or TapeCommand.SetTapeWriteImmediate => FlushCommand(code, count),
            TapeCommand.EraseGap or TapeCommand.WriteTapeMark or TapeCommand.DataSecurityErase => WriteTypeControl(request, count),
            TapeCommand.ReadBlockId => ReadBlockId(count, buffer),
            TapeCommand.ReadBufferedLog => Input(code, _sense.BufferedLog(), count, buffer),
            TapeCommand.BackspaceBlock => Motion(code, count, media => media.BackspaceBlock()),
            TapeCommand.BackspaceFile => Motion(code, count, media => FileMotion(media.BackspaceFile())),
            // Sense Path Group ID must come first in the chain (§1.2).
            TapeCommand.SensePathGroupId => request.IsCommandChained ? Reject(code, count) : Input(code, _pathGroup.SenseData, count, buffer),
            TapeCommand.ForwardSpaceBlock => Motion(code, count, media => media.ForwardSpaceBlock()),
            TapeCommand.ReadSubsystemData => _subsystemData.MayRead(request) ? Input(code, _subsystemData.PreparedData, count, buffer) : Reject(code, count),
            TapeCommand.ForwardSpaceFile => Motion(code, count, media => FileMotion(media.ForwardSpaceFile())),
            TapeCommand.ReadMessageId => request.IsCommandChained && CommandType.IsWrite(request.PreviousCommand)
                ? Input(code, MessageIdNone, count, buffer) : Reject(code, count),
            TapeCommand.LocateBlock => LocateBlock(data, count),
            TapeCommand.SuspendMultipathReconnection => Done(TapeCondition.StatusOnly, code, count),
            TapeCommand.SenseId or TapeCommand.ReadDeviceCharacteristics or TapeCommand.ReadConfigurationData => Identification(code, count, buffer),
            TapeCommand.PerformSubsystemFunction => PerformSubsystemFunction(data, count),
            TapeCommand.LoadDisplay => LoadDisplay(data, count),
            TapeCommand.SetPathGroupId or TapeCommand.Assign or TapeCommand.Unassign or TapeCommand.ControlAccess
                => Done(code, _pathGroup.Execute((TapeCommand)code, request.IsCommandChained, data, count)),
            TapeCommand.ModeSet => _fenced ? Done(TapeCondition.Fenced, code, count) : Done(code, _modes.ModeSet(data, count)),
            // Set Diagnose (Hercules AUTOMOUNT) is refused like Hercules without AUTOMOUNT statements;
            // 3420 codes 0B 1B 8B F3 FD pass its table but have no handler (§1.2).
            _ => Reject(code, count),
        };
    }

    // ---- data transfer ------------------------------------------------------------------------

    /// <summary>
    /// Read (02) and Read Backward (0C), §1.2. Forward: the first min(count, length) bytes of the next
    /// block from the start of the buffer. Backward: the volume moves back over the previous block and
    /// the channel gets its last min(count, length) bytes, in their original order, ending at the end
    /// of the count (the channel stores them ending at the CCW address). Either way the rest of the
    /// block stays for data chaining, the residual is count - n and "more" says the block was longer.
    /// A tape mark, or a zero-length block (Hercules: read length 0 -> READTM), ends with unit exception
    /// and transfers nothing: residual = count (an improvement for Read Backward, where Hercules reports
    /// 0 and the channel then stores stale buffer bytes; docs/device-behaviour.md).
    /// </summary>
    private CcwResult ReadBlock(byte code, int count, Span<byte> buffer)
    {
        bool backward = code == (byte)TapeCommand.ReadBackward;
        var media = _media!;

        // Hercules does not check the fence for Read Backward (§8.13); neither do we, to stay comparable.
        if (_fenced && !backward)
        {
            return Done(TapeCondition.Fenced, code, count);
        }

        _display.EndUntilMotionMessage();
        var block = BlockBuffer(media);
        int length;
        var status = backward ? media.ReadBackward(block, out length) : media.ReadForward(block, out length);
        if (status == MediaStatus.TapeMark || (status == MediaStatus.Ok && length == 0))
        {
            return Done(TapeCondition.TapeMarkRead, code, count);
        }

        if (status != MediaStatus.Ok)
        {
            return Done(SenseBuilder.FromMedia(status), code, count);
        }

        CountRead(length);
        int n = Math.Min(count, length);
        if (backward)
        {
            ChannelBuffer.CopyOut(block.AsSpan(length - n, n), buffer, count - n);
            _remainder.Keep(block, 0, length - n, backward: true);
        }
        else
        {
            ChannelBuffer.CopyOut(block.AsSpan(0, n), buffer, 0);
            _remainder.Keep(block, n, length - n, backward: false);
        }

        return Done(TapeCondition.StatusOnly, code, count - n, more: length > count);
    }

    private CcwResult Write(ReadOnlySpan<byte> data, int count)
    {
        const byte code = (byte)TapeCommand.Write;
        if (RefuseWrite(code, count) is { } refused)
        {
            return refused;
        }

        var status = _media!.Write(data);
        if (status != MediaStatus.Ok)
        {
            return Done(SenseBuilder.FromMedia(status), code, count);
        }

        Counters.BlocksWritten++;
        Counters.BytesWritten += data.Length;
        return FinishWrite(code, residual: 0);
    }

    /// <summary>
    /// Erase Gap (17), Write Tape Mark (1F) and Data Security Erase (97, only CC-chained from Erase
    /// Gap): fence, write protect, the operation, write-immediate flush, +UX. Improvement: Data Security
    /// Erase erases the volume from here to the end (Hercules leaves it untouched, §8.4).
    /// </summary>
    private CcwResult WriteTypeControl(in CcwRequest request, int count)
    {
        byte code = request.Command;
        if (code == (byte)TapeCommand.DataSecurityErase
            && (!request.IsCommandChained || request.PreviousCommand != (byte)TapeCommand.EraseGap))
        {
            return Reject(code, count);
        }

        if (RefuseWrite(code, count) is { } refused)
        {
            return refused;
        }

        var status = (TapeCommand)code switch
        {
            TapeCommand.WriteTapeMark => _media!.WriteTapeMark(),
            TapeCommand.DataSecurityErase => _media!.EraseToEnd(),
            _ => _media!.EraseGap(),
        };
        if (status != MediaStatus.Ok)
        {
            return Done(SenseBuilder.FromMedia(status), code, count);
        }

        if (code == (byte)TapeCommand.WriteTapeMark)
        {
            Counters.TapeMarksWritten++;
        }

        return FinishWrite(code, count);
    }

    /// <summary>
    /// The checks every write-type operation makes before it touches the volume (fence, write
    /// protect; docs/reference/hercules-tape.md §1.2, §1.5): null when it may go on (an "until motion" display
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

        _display.EndUntilMotionMessage();
        return null;
    }

    /// <summary>
    /// After a good write-type operation: flush if write-immediate, then CE+DE (+UX via
    /// <see cref="Done(TapeCondition, byte, int, bool)"/>).
    /// </summary>
    private CcwResult FinishWrite(byte code, int residual)
    {
        if (_modes.WriteImmediate)
        {
            var flush = Flush();
            if (flush != TapeCondition.StatusOnly)
            {
                return Done(flush, code, residual);
            }
        }

        return Done(TapeCondition.StatusOnly, code, residual);
    }

    /// <summary>
    /// Hercules' <c>sync</c> media call: a read-only volume fails with write protect and an empty
    /// drive with a write data check (§8.3 quirks kept, docs/reference/hercules-tape.md §1.2).
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

        return _media.Synchronize() == MediaStatus.Ok ? TapeCondition.StatusOnly : TapeCondition.WriteFailed;
    }

    /// <summary>
    /// Synchronize (43), Set Tape-Write-Immediate (C3) and Read Buffer (12): refused while fenced, else
    /// a flush. Read Buffer then has no buffered data left, so nothing is transferred; improvement:
    /// Hercules leaves its unit status 0, we end with CE+DE (docs/device-behaviour.md).
    /// </summary>
    private CcwResult FlushCommand(byte code, int count)
    {
        if (_fenced)
        {
            return Done(TapeCondition.Fenced, code, count);
        }

        if (code == (byte)TapeCommand.Synchronize)
        {
            _display.EndUntilMotionMessage();
        }
        else if (code == (byte)TapeCommand.SetTapeWriteImmediate)
        {
            _modes.SetWriteImmediate();
        }

        return Done(Flush(), code, count);
    }

    // ---- motion -------------------------------------------------------------------------------

    private CcwResult Motion(byte code, int count, Func<ITapeMedia, MediaStatus> operation)
    {
        if (_fenced)
        {
            return Done(TapeCondition.Fenced, code, count);
        }

        _display.EndUntilMotionMessage();
        var status = operation(_media!);
        return Done(SenseBuilder.FromMedia(status), code, count);
    }

    /// <summary>Spacing a file ends on its tape mark by definition: no unit exception (§1.2 FSF/BSF).</summary>
    private static MediaStatus FileMotion(MediaStatus status) => status == MediaStatus.TapeMark ? MediaStatus.Ok : status;

    private CcwResult Rewind(int count)
    {
        const byte code = (byte)TapeCommand.Rewind;
        _display.EndUntilMotionMessage();
        if (_media!.Rewind() != MediaStatus.Ok)
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
        _display.EndUntilMotionMessage();
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
            return Reject(code, count);
        }

        uint blockId = BinaryPrimitives.ReadUInt32BigEndian(data);
        if ((blockId & BlockIdFormat.FormatMask) == BlockIdFormat.FormatMask)
        {
            return Reject(code, count);
        }

        _display.EndUntilMotionMessage();
        if (_media!.Locate(BlockIdFormat.BlockNumber(blockId)) != MediaStatus.Ok)
        {
            _fenced = true; // position lost (§1.5)
            return Done(TapeCondition.LocateFailed, code, count - LocateDataLength);
        }

        return Done(TapeCondition.StatusOnly, code, count - LocateDataLength);
    }

    private CcwResult ReadBlockId(int count, Span<byte> buffer)
    {
        const byte code = (byte)TapeCommand.ReadBlockId;
        if (_fenced)
        {
            return Done(TapeCondition.Fenced, code, count);
        }

        Span<byte> id = stackalloc byte[BlockIdFormat.ReadBlockIdLength];
        BlockIdFormat.WriteReadBlockIdData(_media!.Position.BlockNumber, id);
        return Input(code, id, count, buffer);
    }

    // ---- identification, subsystem functions, Load Display ---------------------------------------

    /// <summary>
    /// Sense ID (E4), Read Device Characteristics (64) and Read Configuration Data (FA): the model's
    /// identification data (§3, <see cref="DeviceIdentity"/>); a model without it rejects the command.
    /// </summary>
    private CcwResult Identification(byte code, int count, Span<byte> buffer)
    {
        ReadOnlySpan<byte> data = (TapeCommand)code switch
        {
            TapeCommand.SenseId => DeviceIdentity.SenseId(Model),
            TapeCommand.ReadDeviceCharacteristics => DeviceIdentity.DeviceCharacteristics(Model),
            _ => DeviceIdentity.ConfigurationData(Model, DeviceNumber),
        };
        return data.IsEmpty ? Reject(code, count) : Input(code, data, count, buffer);
    }

    private CcwResult PerformSubsystemFunction(ReadOnlySpan<byte> data, int count)
    {
        const byte code = (byte)TapeCommand.PerformSubsystemFunction;
        var result = _subsystemData.Perform(data, count);
        _logicalWriteProtect = result.LogicalWriteProtect ?? _logicalWriteProtect;
        _fenced &= !result.ResetsVolumeFence;
        return Done(code, result.Outcome);
    }

    /// <summary>Load Display (9F): a supervisor command; count below 17 ends with "more" (IL unless SLI), §4.1.</summary>
    private CcwResult LoadDisplay(ReadOnlySpan<byte> data, int count)
    {
        const byte code = (byte)TapeCommand.LoadDisplay;
        int n = Math.Min(count, LoadDisplayParser.DataLength);
        if (n > 0)
        {
            var message = LoadDisplayParser.Parse(data, n);
            _display.Apply(message, IsLoaded);
            LoadDisplayReceived?.Invoke(this, message);
        }

        return Done(TapeCondition.StatusOnly, code, count - n, more: count < LoadDisplayParser.DataLength);
    }

    // ---- helpers ------------------------------------------------------------------------------

    /// <summary>
    /// Completes a command: status and sense from the <see cref="SenseArea"/>, UX for a good write,
    /// erase gap or tape mark past the end-of-tape warning (§2.1).
    /// </summary>
    private CcwResult Done(TapeCondition condition, byte code, int residual, bool more = false)
    {
        var status = _sense.Complete(condition, CurrentState());
        if (condition == TapeCondition.StatusOnly
            && code is (byte)TapeCommand.Write or (byte)TapeCommand.EraseGap or (byte)TapeCommand.WriteTapeMark
            && _media is { IsPastEarlyWarning: true })
        {
            status |= UnitStatus.UnitException;
        }

        if ((status & UnitStatus.UnitCheck) != 0)
        {
            Counters.UnitChecks++;
        }

        return new CcwResult(status, residual, more);
    }

    private CcwResult Done(byte code, CommandOutcome outcome) => Done(outcome.Condition, code, outcome.Residual, outcome.More);

    /// <summary>Command reject (ERA 27) with residual = count.</summary>
    private CcwResult Reject(byte code, int count) => Done(TapeCondition.CommandReject, code, count);

    /// <summary>
    /// An input command returning <paramref name="data"/> (Hercules RESIDUAL_CALC + copy). Only Read and
    /// Read Backward keep a rest for data chaining; a data-chained CCW after any other read-type
    /// command transfers nothing, as in Hercules (which only keeps the rest of the last block read).
    /// </summary>
    private CcwResult Input(byte code, ReadOnlySpan<byte> data, int count, Span<byte> buffer)
    {
        int n = Math.Min(count, data.Length);
        ChannelBuffer.CopyOut(data[..n], buffer, 0);
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
}
