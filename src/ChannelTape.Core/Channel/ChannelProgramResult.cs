namespace ChannelTape.Channel;

/// <summary>How a channel program ended.</summary>
public enum ChannelCompletion
{
    /// <summary>The channel presented final status (good or not).</summary>
    Ok,

    /// <summary>
    /// The program executed more CCWs than <see cref="ChannelProgramOptions.MaxCcws"/> (an endless
    /// TIC loop); the channel stopped it as a Clear Subchannel would. Hercules 3.13 never returns
    /// from such an SSCH (reference runner sample 11_timeout).
    /// </summary>
    Timeout,
}

/// <summary>What one executed CCW did (merged write data chains count as one, on their last CCW).</summary>
/// <param name="CcwAddress">Storage address of the CCW.</param>
/// <param name="Command">Command code the device saw (the first CCW's code throughout a data chain).</param>
/// <param name="Flags">This CCW's flags as the channel used them (CD removed for immediate commands).</param>
/// <param name="Count">Byte count handed to the device (merged total for write/control data chains).</param>
/// <param name="Residual">Residual the device returned.</param>
/// <param name="Transferred">Bytes moved between storage and the device: for input commands the bytes stored (0 with SKIP), for output commands the count.</param>
/// <param name="UnitStatus">Device status of this CCW.</param>
/// <param name="ChannelStatus">Channel status of this CCW.</param>
public readonly record struct CcwExecution(
    long CcwAddress,
    byte Command,
    CcwFlags Flags,
    int Count,
    int Residual,
    int Transferred,
    UnitStatus UnitStatus,
    ChannelStatus ChannelStatus);

/// <summary>Final status of a channel program: the SCSW fields a guest would see.</summary>
/// <param name="Completion">Whether the program ended normally.</param>
/// <param name="UnitStatus">Unit status of the final SCSW.</param>
/// <param name="ChannelStatus">Channel status of the final SCSW.</param>
/// <param name="Residual">Residual count of the final SCSW.</param>
/// <param name="CcwAddress">SCSW CCW address: the address after the last CCW fetched (+8 more after status modifier).</param>
/// <param name="Executions">Every CCW passed to the device, in order.</param>
/// <param name="ProgramControlledInterruptions">Intermediate interrupts raised by CCWs with the PCI flag.</param>
/// <param name="ConcurrentSense">Sense bytes moved to the ECW on unit check when concurrent sense is on, else null.</param>
public sealed record ChannelProgramResult(
    ChannelCompletion Completion,
    UnitStatus UnitStatus,
    ChannelStatus ChannelStatus,
    int Residual,
    long CcwAddress,
    IReadOnlyList<CcwExecution> Executions,
    int ProgramControlledInterruptions,
    byte[]? ConcurrentSense);

/// <summary>Operation-request-block and subchannel settings of one start.</summary>
public sealed record ChannelProgramOptions
{
    /// <summary>CCW format (ORB F bit).</summary>
    public CcwFormat Format { get; init; } = CcwFormat.Format1;

    /// <summary>
    /// Incorrect-length suppression mode. Hercules 3.13 <c>channel.c</c> suppresses IL when the ORB
    /// has the format-1 bit and ORB byte 5 bit 08 (its <c>ORB5_U</c>) set; golden case immediate_il.
    /// </summary>
    public bool SuppressIncorrectLength { get; init; }

    /// <summary>Concurrent sense enabled in the PMCW: on unit check the sense moves to <see cref="ChannelProgramResult.ConcurrentSense"/>.</summary>
    public bool ConcurrentSense { get; init; }

    /// <summary>
    /// Command-reject shortcut of SDL Hyperion 4.x (docs/reference/hercules-tape.md §5): unit check with
    /// residual = count and sense byte 0 bit 80 forces residual 0. Hercules 3.13, the golden
    /// reference, does not do this (07_errors program 0: residual 1), so it is off by default.
    /// </summary>
    public bool CommandRejectResidualZero { get; init; }

    /// <summary>CCWs executed before the channel gives up on an endless program.</summary>
    public int MaxCcws { get; init; } = 1 << 20;

    /// <summary>Format-1 defaults.</summary>
    public static ChannelProgramOptions Default { get; } = new();
}
