namespace ChannelTape.Device;

/// <summary>
/// The Mode Set (0xDB) settings, which last one channel program (docs/reference/hercules-tape.md §1.1 step 1, §1.2
/// Mode Set; Hercules 3.13 tapeccws.c, tapedev.h MSET_*): supervisor-inhibit, which refuses the
/// supervisor commands (34 4B 5B 77 9F AF B7 C7 DB E3) for the rest of the program, and
/// tape-write-immediate, which flushes every write-type command before it ends. IDRC (bit 08) is
/// accepted without effect, as in Hercules.
/// </summary>
internal sealed class ChannelProgramModes
{
    private const byte WriteImmediateBit = 0x20;
    private const byte SupervisorInhibitBit = 0x10;

    /// <summary>Supervisor commands are refused until the channel program ends.</summary>
    public bool SupervisorInhibit { get; private set; }

    /// <summary>Every write-type command is flushed before it ends (Mode Set bit 20 or Set Tape-Write-Immediate).</summary>
    public bool WriteImmediate { get; private set; }

    /// <summary>
    /// True when supervisor-inhibit refuses <paramref name="command"/>: Sense Path Group ID (34), Set
    /// Diagnose (4B), Suspend Multipath Reconnection (5B), Perform Subsystem Function (77), Load Display
    /// (9F), Set Path Group ID (AF), Assign (B7), Unassign (C7) and Control Access (E3), with residual =
    /// count. Mode Set (DB) checks it itself (<see cref="ModeSet"/>).
    /// </summary>
    public bool Refuses(byte command) => SupervisorInhibit
        && (TapeCommand)command is TapeCommand.SensePathGroupId or TapeCommand.SetDiagnose
            or TapeCommand.SuspendMultipathReconnection or TapeCommand.PerformSubsystemFunction or TapeCommand.LoadDisplay
            or TapeCommand.SetPathGroupId or TapeCommand.Assign or TapeCommand.Unassign or TapeCommand.ControlAccess;

    /// <summary>A new channel program starts with neither.</summary>
    public void Reset()
    {
        SupervisorInhibit = false;
        WriteImmediate = false;
    }

    /// <summary>Set Tape-Write-Immediate (C3).</summary>
    public void SetWriteImmediate() => WriteImmediate = true;

    /// <summary>
    /// Mode Set (DB) with <paramref name="count"/> bytes of <paramref name="data"/>: rejected when the count is 0
    /// (with "more") or supervisor-inhibit is already on; else sets the bits given (it never clears one).
    /// </summary>
    public CommandOutcome ModeSet(ReadOnlySpan<byte> data, int count)
    {
        const int length = 1;
        if (count < length || data.Length < length || SupervisorInhibit)
        {
            return CommandOutcome.ForLength(TapeCondition.CommandReject, count, length);
        }

        if ((data[0] & SupervisorInhibitBit) != 0)
        {
            SupervisorInhibit = true;
        }

        if ((data[0] & WriteImmediateBit) != 0)
        {
            WriteImmediate = true;
        }

        return CommandOutcome.ForLength(TapeCondition.StatusOnly, count, length);
    }
}
