namespace ChannelTape.Channel;

/// <summary>CCW flag byte (ESA/390 Principles of Operation SA22-7201, "Channel-Command Word").</summary>
[Flags]
public enum CcwFlags : byte
{
    None = 0x00,
    /// <summary>CD: chain data — the next CCW continues this one's data.</summary>
    ChainData = 0x80,
    /// <summary>CC: chain command.</summary>
    ChainCommand = 0x40,
    /// <summary>SLI: suppress incorrect-length indication.</summary>
    SuppressLength = 0x20,
    /// <summary>SKIP: suppress transfer of input data to storage.</summary>
    Skip = 0x10,
    /// <summary>PCI: program-controlled interruption.</summary>
    ProgramControlledInterruption = 0x08,
    /// <summary>IDA: indirect data addressing.</summary>
    IndirectData = 0x04,
    /// <summary>S: suspend.</summary>
    Suspend = 0x02,
    /// <summary>MIDA: modified indirect data addressing (format 1 only).</summary>
    ModifiedIndirectData = 0x01,
}

/// <summary>Unit status byte of the SCSW (SA22-7201 "Unit Status").</summary>
[Flags]
public enum UnitStatus : byte
{
    None = 0x00,
    Attention = 0x80,
    StatusModifier = 0x40,
    ControlUnitEnd = 0x20,
    Busy = 0x10,
    ChannelEnd = 0x08,
    DeviceEnd = 0x04,
    UnitCheck = 0x02,
    UnitException = 0x01,

    /// <summary>Normal ending status: CE+DE.</summary>
    ChannelEndDeviceEnd = ChannelEnd | DeviceEnd,
}

/// <summary>Subchannel (channel) status byte of the SCSW.</summary>
[Flags]
public enum ChannelStatus : byte
{
    None = 0x00,
    ProgramControlledInterruption = 0x80,
    IncorrectLength = 0x40,
    ProgramCheck = 0x20,
    ProtectionCheck = 0x10,
    ChannelDataCheck = 0x08,
    ChannelControlCheck = 0x04,
    InterfaceControlCheck = 0x02,
    ChainingCheck = 0x01,
}
