namespace ChannelTape.Device;

/// <summary>
/// Tape channel command codes (docs/reference/hercules-tape.md §1.2; IBM 3490E Hardware Reference GA32-0127,
/// 3420 codes from GX20-1850 "S/370 Reference Summary").
/// </summary>
public enum TapeCommand : byte
{
    /// <summary>0x00: table no-op on 3480/3490 (channel usually rejects it first).</summary>
    Zero = 0x00,
    Write = 0x01,
    Read = 0x02,
    NoOperation = 0x03,
    Sense = 0x04,
    Rewind = 0x07,
    ReadBackward = 0x0C,
    RewindUnload = 0x0F,
    ReadBuffer = 0x12,
    /// <summary>0x13..0xBB: 3420 7-track mode sets; no-ops.</summary>
    ModeSet7Track13 = 0x13,
    EraseGap = 0x17,
    WriteTapeMark = 0x1F,
    ReadBlockId = 0x22,
    ReadBufferedLog = 0x24,
    BackspaceBlock = 0x27,
    BackspaceFile = 0x2F,
    SensePathGroupId = 0x34,
    ForwardSpaceBlock = 0x37,
    ReadSubsystemData = 0x3E,
    ForwardSpaceFile = 0x3F,
    Synchronize = 0x43,
    /// <summary>Hercules AUTOMOUNT extension; not supported (no host file names from the guest).</summary>
    SetDiagnose = 0x4B,
    ReadMessageId = 0x4E,
    LocateBlock = 0x4F,
    SuspendMultipathReconnection = 0x5B,
    ReadDeviceCharacteristics = 0x64,
    /// <summary>Set Interface Identifier on 3490; 7-track mode set on 3420.</summary>
    SetInterfaceIdentifier = 0x73,
    PerformSubsystemFunction = 0x77,
    DataSecurityErase = 0x97,
    LoadDisplay = 0x9F,
    SetPathGroupId = 0xAF,
    Assign = 0xB7,
    /// <summary>Set Tape-Write-Immediate on 3480/3490; 9-track 1600 bpi mode set on 3420.</summary>
    SetTapeWriteImmediate = 0xC3,
    Unassign = 0xC7,
    /// <summary>9-track 800 bpi mode set (3420); no-op on 3480.</summary>
    ModeSet800Bpi = 0xCB,
    /// <summary>9-track 6250 bpi mode set (3420).</summary>
    ModeSet6250Bpi = 0xD3,
    /// <summary>3480/3490 Mode Set (write-immediate, supervisor-inhibit, IDRC).</summary>
    ModeSet = 0xDB,
    ControlAccess = 0xE3,
    SenseId = 0xE4,
    ReadConfigurationData = 0xFA,
}
