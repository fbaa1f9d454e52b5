using ChannelTape.Channel;
using ChannelTape.Media;

namespace ChannelTape.Device;

/// <summary>
/// Completion conditions of a tape command: Hercules' <c>TAPE_BSENSE_*</c> codes
/// (tapedev.h), each mapped per model to unit status, sense bits and ERA by <see cref="SenseBuilder"/>.
/// </summary>
public enum TapeCondition
{
    /// <summary>Normal completion, CE+DE; sense left as it is.</summary>
    StatusOnly,
    /// <summary>Sense with nothing pending: status-type sense (ERA 00).</summary>
    Unsolicited,
    /// <summary>Tape mark read or spaced over: CE+DE+UX, sense rebuilt.</summary>
    TapeMarkRead,
    /// <summary>No volume: UC, intervention required, ERA 43.</summary>
    TapeUnloaded,
    /// <summary>Command reject, ERA 27.</summary>
    CommandReject,
    /// <summary>Write-type command on a read-only volume, ERA 30.</summary>
    WriteProtected,
    /// <summary>Read error / corrupt image, data check ERA 23.</summary>
    ReadFailed,
    /// <summary>Write or flush error, data check ERA 25.</summary>
    WriteFailed,
    /// <summary>End of recorded data ("tape void"), data check ERA 31.</summary>
    EmptyTape,
    /// <summary>Physical end of tape, equipment check ERA 38.</summary>
    EndOfTape,
    /// <summary>Truncated image, equipment check ERA 36.</summary>
    BlockShort,
    /// <summary>Backward motion at load point, ERA 39 (byte 0 = 0).</summary>
    LoadPointError,
    /// <summary>Locate failed / seek error, equipment check ERA 44.</summary>
    LocateFailed,
    /// <summary>Volume fenced, equipment check + deferred UC, ERA 47.</summary>
    Fenced,
    /// <summary>Rewind failed, equipment check ERA 2C.</summary>
    RewindFailed,
    /// <summary>Open/load failure, ERA 33.</summary>
    LoadFailed,
    /// <summary>Rewind Unload completed: merged CE+DE+UC (3420 +CUE), ERA 2B, format 22.</summary>
    RewindUnloadDone,
}

/// <summary>
/// Builds status and sense for every completion, in one place (Hercules <c>build_senseX</c>,
/// <c>build_sense_3410_3420</c>, <c>build_sense_3420</c>, <c>build_sense_3480_etal</c>; tapeccws.c).
/// Layouts: docs/reference/hercules-tape.md §2.2 (3480/3490) and §2.4 (3420).
/// </summary>
public static class SenseBuilder
{
    // Sense byte 0 (both layouts).
    public const byte Sense0CommandReject = 0x80;
    public const byte Sense0InterventionRequired = 0x40;
    public const byte Sense0EquipmentCheck = 0x10;
    public const byte Sense0DataCheck = 0x08;
    public const byte Sense0DeferredUnitCheck = 0x02;

    // 3480/3490 byte 1.
    public const byte Sense1Online = 0x40;
    public const byte Sense1BeginningOfTape = 0x08;
    public const byte Sense1FileProtect = 0x02;

    // 3420 byte 1.
    public const byte Sense1TapeUnitStatusA = 0x40;
    public const byte Sense1TapeUnitStatusB = 0x20;
    public const byte Sense1LoadPoint = 0x08;

    public const byte Sense2ReportingChannelA = 0x20;

    public const int EraOffset = 3;
    public const int FormatOffset = 7;
    public const byte Format20 = 0x20;
    public const byte Format22EndOfVolumeStatistics = 0x22;

    // ERA codes (tapedev.h TAPE_ERA_*).
    public const byte EraUnsolicitedSense = 0x00;
    public const byte EraReadDataCheck = 0x23;
    public const byte EraWriteDataCheck = 0x25;
    public const byte EraCommandReject = 0x27;
    public const byte EraEnvironmentalDataPresent = 0x2B;
    public const byte EraPermanentEquipmentCheck = 0x2C;
    public const byte EraWriteProtected = 0x30;
    public const byte EraTapeVoid = 0x31;
    public const byte EraLoadFailure = 0x33;
    public const byte EraEndOfData = 0x36;
    public const byte EraPhysicalEndOfTape = 0x38;
    public const byte EraBackwardAtBot = 0x39;
    public const byte EraDriveNotReady = 0x43;
    public const byte EraLocateBlockFailed = 0x44;
    public const byte EraVolumeFenced = 0x47;

    /// <summary>An error recovery action (sense byte 3) in words, as tapedev.h's TAPE_ERA_* names it.</summary>
    public static string EraDescription(byte era) => era switch
    {
        EraUnsolicitedSense => "unsolicited sense",
        EraReadDataCheck => "read data check",
        EraWriteDataCheck => "write data check",
        EraCommandReject => "command reject",
        EraEnvironmentalDataPresent => "environmental data present",
        EraPermanentEquipmentCheck => "permanent equipment check",
        EraWriteProtected => "write protected",
        EraTapeVoid => "tape void (end of data)",
        EraLoadFailure => "load failure",
        EraEndOfData => "end of data",
        EraPhysicalEndOfTape => "physical end of tape",
        EraBackwardAtBot => "backward at load point",
        EraDriveNotReady => "intervention required (drive not ready)",
        EraLocateBlockFailed => "locate block failed",
        EraVolumeFenced => "volume fenced",
        _ => $"ERA {era:X2}",
    };

    /// <summary>Sense bytes the model returns: 24 for 3420 and 3480, 32 for 3490 (§1.2 Sense).</summary>
    public static int SenseCount(TapeModel model) => model == TapeModel.Ibm3490 ? 32 : 24;

    /// <summary>Maps a media outcome to a condition (docs/reference/hercules-tape.md §2.3). Ok and TapeMark are not errors.</summary>
    public static TapeCondition FromMedia(MediaStatus status) => status switch
    {
        MediaStatus.Ok => TapeCondition.StatusOnly,
        MediaStatus.TapeMark => TapeCondition.TapeMarkRead,
        MediaStatus.LoadPoint => TapeCondition.LoadPointError,
        MediaStatus.EndOfData => TapeCondition.EmptyTape,
        MediaStatus.EndOfTape => TapeCondition.EndOfTape,
        MediaStatus.WriteProtected => TapeCondition.WriteProtected,
        MediaStatus.DataCheck => TapeCondition.ReadFailed,
        MediaStatus.BlockShort => TapeCondition.BlockShort,
        MediaStatus.WriteError => TapeCondition.WriteFailed,
        MediaStatus.LocateFailed => TapeCondition.LocateFailed,
        _ => TapeCondition.ReadFailed,
    };

    /// <summary>What the drive looks like when sense is built.</summary>
    /// <param name="Loaded">A volume is mounted.</param>
    /// <param name="AtLoadPoint">Positioned at load point.</param>
    /// <param name="ReadOnly">Volume or logical write protect.</param>
    /// <param name="PastEarlyWarning">Past the end-of-tape warning point (3420 byte 4).</param>
    /// <param name="DeviceNumber">For the 3480/3490 pseudo serial bytes 28-30.</param>
    public readonly record struct DriveState(bool Loaded, bool AtLoadPoint, bool ReadOnly, bool PastEarlyWarning, ushort DeviceNumber);

    /// <summary>
    /// Sets the unit status for <paramref name="condition"/> and, for anything but
    /// <see cref="TapeCondition.StatusOnly"/>, clears and rebuilds <paramref name="sense"/> (at least 32 bytes).
    /// Returns the unit status; the caller marks sense pending when it has unit check.
    /// </summary>
    public static UnitStatus Build(TapeModel model, TapeCondition condition, in DriveState state, Span<byte> sense)
    {
        if (condition == TapeCondition.StatusOnly)
        {
            return UnitStatus.ChannelEndDeviceEnd;
        }

        sense.Clear();
        return model == TapeModel.Ibm3420
            ? Build3420(condition, state, sense)
            : Build3480(model, condition, state, sense);
    }

    private static UnitStatus Build3480(TapeModel model, TapeCondition condition, in DriveState state, Span<byte> sense)
    {
        const UnitStatus ceDeUc = UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck;
        byte format = Format20;
        UnitStatus status;
        (status, sense[0], sense[EraOffset]) = condition switch
        {
            TapeCondition.TapeUnloaded => (UnitStatus.UnitCheck, Sense0InterventionRequired, EraDriveNotReady),
            TapeCondition.RewindUnloadDone => (ceDeUc, Sense0InterventionRequired, EraEnvironmentalDataPresent),
            TapeCondition.LoadFailed => (ceDeUc, (byte)(Sense0InterventionRequired | Sense0DeferredUnitCheck), EraLoadFailure),
            TapeCondition.ReadFailed => (ceDeUc, Sense0DataCheck, EraReadDataCheck),
            TapeCondition.WriteFailed => (ceDeUc, Sense0DataCheck, EraWriteDataCheck),
            TapeCondition.CommandReject => (UnitStatus.UnitCheck, Sense0CommandReject, EraCommandReject),
            TapeCondition.WriteProtected => (ceDeUc, Sense0CommandReject, EraWriteProtected),
            TapeCondition.EmptyTape => (ceDeUc, Sense0DataCheck, EraTapeVoid),
            TapeCondition.EndOfTape => (ceDeUc, Sense0EquipmentCheck, EraPhysicalEndOfTape),
            TapeCondition.LoadPointError => (ceDeUc, (byte)0, EraBackwardAtBot),
            TapeCondition.Fenced => (ceDeUc, (byte)(Sense0EquipmentCheck | Sense0DeferredUnitCheck), EraVolumeFenced),
            TapeCondition.LocateFailed => (ceDeUc, Sense0EquipmentCheck, EraLocateBlockFailed),
            TapeCondition.BlockShort => (ceDeUc, Sense0EquipmentCheck, EraEndOfData),
            TapeCondition.RewindFailed => (ceDeUc, Sense0EquipmentCheck, EraPermanentEquipmentCheck),
            TapeCondition.TapeMarkRead => (UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitException, (byte)0, EraUnsolicitedSense),
            _ => (UnitStatus.ChannelEndDeviceEnd, (byte)0, EraUnsolicitedSense), // Unsolicited
        };

        if (condition == TapeCondition.RewindUnloadDone)
        {
            format = Format22EndOfVolumeStatistics;
        }

        sense[FormatOffset] = format;
        if (format == Format20)
        {
            sense[25] = 0x06; // IDRC installed, upgraded buffer (no automatic cartridge loader)
        }

        sense[27] = (byte)((model == TapeModel.Ibm3480 ? 0xF0 : 0xE0) | 0x0C);
        sense[28] = (byte)(state.DeviceNumber >> 12);
        sense[29] = (byte)(state.DeviceNumber >> 4);
        sense[30] = (byte)((state.DeviceNumber & 0x0F) | ((state.DeviceNumber & 0x0F) << 4));

        if (!state.Loaded)
        {
            sense[0] |= Sense0InterventionRequired;
            sense[1] |= Sense1FileProtect;
        }
        else
        {
            sense[0] &= unchecked((byte)~Sense0InterventionRequired);
            if (state.AtLoadPoint)
            {
                sense[1] |= Sense1BeginningOfTape;
            }

            if (state.ReadOnly)
            {
                sense[1] |= Sense1FileProtect;
            }
        }

        sense[1] |= Sense1Online;
        sense[2] |= Sense2ReportingChannelA;
        return status;
    }

    private static UnitStatus Build3420(TapeCondition condition, in DriveState state, Span<byte> sense)
    {
        const UnitStatus ceDeUc = UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck;
        UnitStatus status;
        switch (condition)
        {
            case TapeCondition.TapeUnloaded:
                status = UnitStatus.UnitCheck;
                sense[0] = Sense0InterventionRequired;
                sense[1] = Sense1TapeUnitStatusB;
                break;
            case TapeCondition.RewindUnloadDone:
                status = ceDeUc | UnitStatus.ControlUnitEnd;
                sense[0] = Sense0InterventionRequired;
                sense[1] = Sense1TapeUnitStatusB;
                break;
            case TapeCondition.RewindFailed:
            case TapeCondition.Fenced:
            case TapeCondition.EmptyTape:
            case TapeCondition.EndOfTape:
            case TapeCondition.BlockShort:
            case TapeCondition.LocateFailed:
            case TapeCondition.LoadFailed:
                status = ceDeUc;
                sense[0] = Sense0EquipmentCheck;
                sense[1] = Sense1TapeUnitStatusB;
                sense[7] = 0x60;
                break;
            case TapeCondition.ReadFailed:
                status = ceDeUc;
                sense[0] = Sense0DataCheck;
                sense[3] = 0xC0; // vertical CRC check and multitrack error
                break;
            case TapeCondition.WriteFailed:
                status = ceDeUc;
                sense[0] = Sense0DataCheck;
                sense[3] = 0x60; // longitudinal CRC check and multitrack error
                break;
            case TapeCondition.CommandReject:
                status = UnitStatus.UnitCheck;
                sense[0] = Sense0CommandReject;
                sense[4] = 0x01;
                break;
            case TapeCondition.WriteProtected:
                status = ceDeUc;
                sense[0] = Sense0CommandReject;
                break;
            case TapeCondition.LoadPointError:
                status = ceDeUc;
                break;
            case TapeCondition.TapeMarkRead:
                status = UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitException;
                break;
            default:
                status = UnitStatus.ChannelEndDeviceEnd;
                break;
        }

        if (!state.Loaded)
        {
            sense[0] |= Sense0InterventionRequired;
            sense[1] |= Sense1FileProtect;
            sense[1] &= unchecked((byte)~Sense1TapeUnitStatusA);
            sense[1] |= Sense1TapeUnitStatusB;
        }
        else
        {
            sense[0] &= unchecked((byte)~Sense0InterventionRequired);
            if (state.AtLoadPoint)
            {
                sense[1] |= Sense1LoadPoint;
            }

            if (state.ReadOnly)
            {
                sense[1] |= Sense1FileProtect;
            }

            sense[1] |= Sense1TapeUnitStatusA;
            sense[1] &= unchecked((byte)~Sense1TapeUnitStatusB);
        }

        if (state.PastEarlyWarning)
        {
            sense[4] |= 0x40; // Hercules sets 40 (tapedev.h defines tape indicate as 20)
        }

        // build_sense_3420 constants.
        sense[5] |= 0xC0;
        sense[6] |= 0x03;
        sense[13] = 0x80;
        sense[14] = 0x01;
        sense[15] = 0x00;
        sense[16] = 0x01;
        sense[19] = 0xFF;
        sense[20] = 0xFF;
        return status;
    }
}
