namespace ChannelTape.Channel;

/// <summary>
/// What a channel hands the device for one CCW: the same arguments Hercules passes to a
/// device handler's exec entry (docs/reference/hercules-tape.md §7.1, Hercules <c>devtype.h</c> DEVXF).
/// </summary>
/// <param name="Command">CCW command code.</param>
/// <param name="Flags">This CCW's flags.</param>
/// <param name="PreviousFlags">Chaining flags (CD/CC) of the previous CCW; <see cref="CcwFlags.None"/> for the first.</param>
/// <param name="Count">Byte count (for write/control data chains: the merged total).</param>
/// <param name="PreviousCommand">Command code of the previous CCW (0 for the first).</param>
/// <param name="Sequence">Number of this CCW in the channel program, 0 for the first.</param>
public readonly record struct CcwRequest(
    byte Command,
    CcwFlags Flags,
    CcwFlags PreviousFlags,
    int Count,
    byte PreviousCommand,
    int Sequence)
{
    public bool IsDataChained => (PreviousFlags & CcwFlags.ChainData) != 0;
    public bool IsCommandChained => (PreviousFlags & CcwFlags.ChainCommand) != 0;
}

/// <summary>
/// What the device gives back for one CCW (the out-arguments of Hercules' exec).
/// For input commands the device filled <c>Count - Residual</c> bytes of the buffer: from the
/// start for forward reads, ending at the end of the count for Read Backward (the channel then
/// stores them ending at the CCW's address). Sense bytes, when unit check is set, are read from
/// <see cref="IChannelDevice.Sense"/>.
/// </summary>
public readonly record struct CcwResult(UnitStatus Status, int Residual, bool More = false);

/// <summary>
/// A device attached to a channel: the in-process channel, the wire server and the tests all
/// drive a device through this contract, one CCW at a time, never concurrently.
/// </summary>
public interface IChannelDevice
{
    /// <summary>Device number (e.g. 0x0580).</summary>
    ushort DeviceNumber { get; }

    /// <summary>Largest byte count the device accepts for one CCW's buffer.</summary>
    int MaxTransfer { get; }

    /// <summary>True if the command is immediate (CE at initiation, no data transfer; Hercules' immed table).</summary>
    bool IsImmediate(byte command);

    /// <summary>
    /// Executes one CCW. <paramref name="buffer"/> holds <see cref="CcwRequest.Count"/> bytes:
    /// write/control data on entry, or the area to fill for input commands.
    /// Device outcomes (unit check, unit exception) are return values; this never throws for
    /// anything a guest or a volume image can cause.
    /// </summary>
    CcwResult Execute(in CcwRequest request, Span<byte> buffer);

    /// <summary>
    /// The sense bytes the device reports (length = the model's sense count: 24 or 32). Valid after a
    /// unit check until the next Sense, or concurrent sense, consumes it.
    /// </summary>
    ReadOnlySpan<byte> Sense { get; }

    /// <summary>Concurrent sense: copies the pending sense out and clears it (SA22-7201 "Concurrent Sense").</summary>
    int TakeConcurrentSense(Span<byte> destination);

    /// <summary>Called by the channel before the first CCW of a channel program (Hercules DEVHND start).</summary>
    void StartChannelProgram();

    /// <summary>Called by the channel after the last CCW of a channel program (Hercules DEVHND end).</summary>
    void EndChannelProgram();

    /// <summary>Halt / clear subchannel or a system reset (Hercules DEVHND halt).</summary>
    void Halt();

    /// <summary>
    /// Raised when the device presents status on its own (device end after a volume becomes ready,
    /// attention). Hercules' <c>device_attention</c>.
    /// </summary>
    event Action<IChannelDevice, UnitStatus>? UnsolicitedStatus;
}
