namespace ChannelTape.Device;

/// <summary>
/// The drive's path group, assignment and access-control state (docs/reference/hercules-tape.md §1.2 SNID 34,
/// SPG AF, Assign B7, Unassign C7, §1.4 Control Access E3; Hercules 3.13 tapeccws.c): the path
/// group id, the path state byte (tapedev.h SPG_*), and the Control Access password. As in
/// Hercules these commands only store values: nothing is really grouped, assigned, enabled or
/// disabled (§8.7). Supervisor-inhibit is checked by the drive before it asks here.
/// </summary>
internal sealed class PathGroup
{
    /// <summary>Bytes of a path group id and of a password.</summary>
    public const int IdLength = 11;

    /// <summary>Set Path Group ID and Control Access data: a function byte, then an id or password.</summary>
    public const int FunctionDataLength = 1 + IdLength;

    /// <summary>Sense Path Group ID data: the path state byte, then the path group id.</summary>
    public const int SenseDataLength = 1 + IdLength;

    // Path state byte (tapedev.h SPG_PATHSTAT_GROUPED, SPG_PARTSTAT_XENABLED).
    private const byte PathStateGrouped = 0xC0;
    private const byte PartitionExplicitlyEnabled = 0x30;

    // Set Path Group ID function byte bits 60 (tapedev.h SPG_SET_*); 40 and 60 resign.
    private const byte SetPathCommandMask = 0x60;
    private const byte SetPathEstablish = 0x00;
    private const byte SetPathDisband = 0x20;

    // Control Access functions (tapedev.h CAC_*).
    private const byte ControlAccessSetPassword = 0x00;
    private const byte ControlAccessConditionalEnable = 0x80;
    private const byte ControlAccessConditionalDisable = 0x40;

    // Sense Path Group ID data as it is kept: the path state byte, then the path group id.
    private readonly byte[] _senseData = new byte[SenseDataLength];
    private readonly byte[] _password = new byte[IdLength];

    /// <summary>The path state byte (grouped C0, explicitly enabled 30).</summary>
    public byte PathState => _senseData[0];

    /// <summary>The stored path group id (zeros when none).</summary>
    public ReadOnlySpan<byte> PathGroupId => _senseData.AsSpan(1);

    /// <summary>What Sense Path Group ID (34) returns: the path state byte, then the path group id.</summary>
    public ReadOnlySpan<byte> SenseData => _senseData;

    private ref byte PathStateByte => ref _senseData[0];

    private Span<byte> Id => _senseData.AsSpan(1);

    /// <summary>
    /// What Hercules' device init (tapedev.c tapedev_init_handler, at every mount and unload) clears:
    /// the path group id and the password. The path state byte survives.
    /// </summary>
    public void ClearIdAndPassword()
    {
        Id.Clear();
        _password.AsSpan().Clear();
    }

    /// <summary>
    /// Set Path Group ID (AF), Assign (B7), Unassign (C7) or Control Access (E3) with
    /// <paramref name="count"/> bytes of <paramref name="data"/>.
    /// </summary>
    public CommandOutcome Execute(TapeCommand command, bool commandChained, ReadOnlySpan<byte> data, int count) => command switch
    {
        TapeCommand.SetPathGroupId => SetPathGroupId(commandChained, data, count),
        TapeCommand.Assign => Assign(data, count),
        TapeCommand.Unassign => Unassign(data, count),
        TapeCommand.ControlAccess => ControlAccess(data, count),
        _ => throw new ArgumentOutOfRangeException(nameof(command), command, "not a path group command"),
    };

    /// <summary>
    /// Set Path Group ID (AF): it must come first (rejected with residual = count when command-chained
    /// into); 00 establishes the group (rejected when a different id is already set), 20 disbands it,
    /// 40 and 60 resign from it (the id is forgotten).
    /// </summary>
    private CommandOutcome SetPathGroupId(bool commandChained, ReadOnlySpan<byte> data, int count)
    {
        if (commandChained)
        {
            return CommandOutcome.Rejected(count);
        }

        if (!HasData(data, count, FunctionDataLength, out var outcome))
        {
            return outcome;
        }

        var id = data.Slice(1, IdLength);
        switch (data[0] & SetPathCommandMask)
        {
            case SetPathEstablish:
                if (!IsZero(Id) && !id.SequenceEqual(Id))
                {
                    return CommandOutcome.Rejected(outcome.Residual);
                }

                id.CopyTo(Id);
                PathStateByte = PathStateGrouped;
                break;
            case SetPathDisband:
                PathStateByte = 0;
                break;
            default: // resign
                PathStateByte = 0;
                Id.Clear();
                break;
        }

        return outcome;
    }

    /// <summary>Assign (B7): data all zero or equal to the path group id explicitly enables the path; else reject.</summary>
    private CommandOutcome Assign(ReadOnlySpan<byte> data, int count)
    {
        if (!HasData(data, count, IdLength, out var outcome))
        {
            return outcome;
        }

        var id = data[..IdLength];
        if (!IsZero(id) && !id.SequenceEqual(Id))
        {
            return CommandOutcome.Rejected(outcome.Residual);
        }

        PathStateByte |= PartitionExplicitlyEnabled;
        return outcome;
    }

    /// <summary>Unassign (C7): path state 0, path group id and password cleared.</summary>
    private CommandOutcome Unassign(ReadOnlySpan<byte> data, int count)
    {
        if (!HasData(data, count, IdLength, out var outcome))
        {
            return outcome;
        }

        PathStateByte = 0;
        ClearIdAndPassword();
        return outcome;
    }

    /// <summary>
    /// Control Access (E3), §1.4: 00 Set Password needs a non-zero password and an explicitly enabled
    /// path, and stores it if none is set, else it must match; 80 Conditional Enable needs a set,
    /// matching password; 40 Conditional Disable needs a matching password if one is set. Other
    /// functions are rejected.
    /// </summary>
    private CommandOutcome ControlAccess(ReadOnlySpan<byte> data, int count)
    {
        if (!HasData(data, count, FunctionDataLength, out var outcome))
        {
            return outcome;
        }

        var password = data.Slice(1, IdLength);
        bool matches = password.SequenceEqual(_password);
        bool accepted = data[0] switch
        {
            ControlAccessSetPassword => !IsZero(password)
                && (PathStateByte & PartitionExplicitlyEnabled) == PartitionExplicitlyEnabled
                && (IsZero(_password) || matches),
            ControlAccessConditionalEnable => !IsZero(_password) && matches,
            ControlAccessConditionalDisable => IsZero(_password) || matches,
            _ => false,
        };

        if (!accepted)
        {
            return CommandOutcome.Rejected(outcome.Residual);
        }

        if (data[0] == ControlAccessSetPassword)
        {
            password.CopyTo(_password);
        }

        return outcome;
    }

    /// <summary>
    /// The length check every command here starts with: a count below <paramref name="length"/> is a
    /// command reject with the residual of what was transferred and "more" set, as Hercules computes
    /// residual and "more" before it looks at the data; otherwise true with the outcome of a normal end.
    /// </summary>
    private static bool HasData(ReadOnlySpan<byte> data, int count, int length, out CommandOutcome outcome)
    {
        bool present = count >= length && data.Length >= length;
        outcome = CommandOutcome.ForLength(present ? TapeCondition.StatusOnly : TapeCondition.CommandReject, count, length);
        return present;
    }

    private static bool IsZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);
}
