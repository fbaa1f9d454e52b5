using ChannelTape.Channel;

namespace ChannelTape.Device;

/// <summary>How a Perform Subsystem Function order ended and what it asks of the drive besides its ending status.</summary>
/// <param name="Outcome">Condition, residual and "more".</param>
/// <param name="LogicalWriteProtect">Activate (true) or Deactivate (false) Access Control with logical write protect (82/83, parameter bit 80); null leaves it as it is.</param>
/// <param name="ResetsVolumeFence">Reset Volume Fenced (90).</param>
internal readonly record struct SubsystemFunctionResult(CommandOutcome Outcome, bool? LogicalWriteProtect = null, bool ResetsVolumeFence = false);

/// <summary>
/// Perform Subsystem Function (0x77) orders and the data they prepare for Read Subsystem Data
/// (0x3E), docs/reference/hercules-tape.md §1.3 (Hercules 3.13 tapeccws.c, tapedev.h PSF_*; GA32-0127 IBM 3490E
/// Hardware Reference "Perform Subsystem Function", "Read Subsystem Data"). Byte 0 of the PSF data
/// is the order, byte 1 a flag byte that must be 0, byte 2 the order's parameter. Prepared data
/// lasts one channel program. Supervisor-inhibit is checked by the drive before it asks here.
/// </summary>
internal sealed class SubsystemData
{
    /// <summary>Bytes of the longest order (Message Not Supported).</summary>
    private const int LongestOrder = 20;

    // Orders (tapedev.h PSF_ORDER_*) and their data lengths.
    private const byte PrepareReadSubsystemData = 0x18;
    private const byte SetSpecialInterceptCondition = 0x1B;
    private const byte MessageNotSupported = 0x1C;
    private const byte ActivateForcedErrorLog = 0x80;
    private const byte DeactivateForcedErrorLog = 0x81;
    private const byte ActivateAccessControl = 0x82;
    private const byte DeactivateAccessControl = 0x83;
    private const byte ResetVolumeFenced = 0x90;
    private const byte PinDevice = 0xA1;
    private const byte UnpinDevice = 0xA2;

    private const int FlagOffset = 1;
    private const int ParameterOffset = 2;

    // Prepare for Read Subsystem Data: bytes 2-5 and 7 zero, byte 6 the kind of data, 8-11 a message id.
    private const int PrepareDataKindOffset = 6;
    private const byte PrepareAttentionMessage = 0x03;
    private const int MessageIdOffset = 8;
    private const int MessageIdLength = 4;

    // Activate / Deactivate Access Control parameter bits (tapedev.h PSF_ACC_*).
    private const byte AccessLogicalWriteProtect = 0x80;
    private const byte AccessDataCompactionDefault = 0x10;
    private const byte AccessDataCheckRecovery = 0x02;
    private const byte AccessExtendedRecovery = 0x01;
    private const byte AccessKnown = AccessLogicalWriteProtect | AccessDataCompactionDefault | AccessDataCheckRecovery | AccessExtendedRecovery;

    // Read Subsystem Data layout: length, format, message code, message id, (flags).
    private const int NoMessageLength = 9;
    private const int MessageIdStatusLength = 10;
    private const byte FormatNoMessage = 0x00;
    private const byte FormatMessageIdStatus = 0x02;
    private const byte MessageCodeDelayedResponse = 0x01;

    private readonly byte[] _prepared = new byte[MessageIdStatusLength];
    private int _preparedLength;

    /// <summary>True after a Prepare for Read Subsystem Data in this channel program.</summary>
    public bool HasPreparedData => _preparedLength > 0;

    /// <summary>The data Read Subsystem Data returns (empty when nothing is prepared).</summary>
    public ReadOnlySpan<byte> PreparedData => _prepared.AsSpan(0, _preparedLength);

    /// <summary>
    /// Read Subsystem Data (3E) may run: it is command-chained from the Perform Subsystem Function (or
    /// Set Interface Identifier, 73) that prepared data.
    /// </summary>
    public bool MayRead(in CcwRequest request) => request.IsCommandChained && HasPreparedData
        && request.PreviousCommand is (byte)TapeCommand.PerformSubsystemFunction or (byte)TapeCommand.SetInterfaceIdentifier;

    /// <summary>Prepared data lasts one channel program (§1.1 step 1).</summary>
    public void EndChannelProgram() => _preparedLength = 0;

    /// <summary>
    /// Performs the order in <paramref name="data"/> (<paramref name="count"/> bytes). Hercules computes the
    /// residual and "more" for the order's length before validating it; an unknown order or a non-zero
    /// flag byte is rejected with residual = count.
    /// </summary>
    public SubsystemFunctionResult Perform(ReadOnlySpan<byte> data, int count)
    {
        Span<byte> order = stackalloc byte[LongestOrder];
        data[..Math.Min(data.Length, LongestOrder)].CopyTo(order);
        if (order[FlagOffset] != 0)
        {
            return new(CommandOutcome.Rejected(count));
        }

        byte parameter = order[ParameterOffset];
        switch (order[0])
        {
            case ActivateForcedErrorLog:
            case DeactivateForcedErrorLog:
                // Forced error logging has no effect: the drive never logs errors to the host.
                return new(Ending(count, 3, valid: parameter is 0x01 or 0x02));

            case ActivateAccessControl:
            case DeactivateAccessControl:
            {
                var outcome = Ending(count, 4, valid: (parameter & ~AccessKnown) == 0 && (parameter & AccessKnown) != 0);
                // Data compaction default only switches HET compression in Hercules; volumes here
                // choose their compression when opened, so it is accepted without effect.
                bool changesWriteProtect = outcome.Condition == TapeCondition.StatusOnly && (parameter & AccessLogicalWriteProtect) != 0;
                return new(outcome, LogicalWriteProtect: changesWriteProtect ? order[0] == ActivateAccessControl : null);
            }

            case ResetVolumeFenced:
            {
                var outcome = Ending(count, 2, valid: true);
                return new(outcome, ResetsVolumeFence: outcome.Condition == TapeCondition.StatusOnly);
            }

            case PinDevice:
                return new(Ending(count, 3, valid: parameter <= 0x01));

            case UnpinDevice:
                return new(Ending(count, 2, valid: true));

            case PrepareReadSubsystemData:
                return new(Prepare(order, count));

            case MessageNotSupported:
                // The one order whose count Hercules does not check (§1.3).
                return parameter is not (0x01 or 0x02) || order[6] != 0 || order[7] != 0
                    ? new(CommandOutcome.Rejected(count))
                    : new(CommandOutcome.ForLength(TapeCondition.StatusOnly, count, LongestOrder));

            case SetSpecialInterceptCondition:
            default:
                // Set Special Intercept Condition is not offered in the 3480/3490 characteristics (no
                // SIC feature bit), so Hercules rejects it too.
                return new(CommandOutcome.Rejected(count));
        }
    }

    /// <summary>
    /// Prepare for Read Subsystem Data (18): only the attention-message kind (byte 6 = 03) with bytes
    /// 2-5 and 7 zero. A zero message id prepares the 9-byte "no message" data, any other the 10-byte
    /// message-id status (delayed response). Hercules 3.13 leaves the unit status 0 here, so the chain
    /// ends and Read Subsystem Data never runs (§8.1); this ends with CE+DE so that it does
    /// (docs/device-behaviour.md).
    /// </summary>
    private CommandOutcome Prepare(ReadOnlySpan<byte> order, int count)
    {
        const int length = 12;
        bool valid = count >= length && order[PrepareDataKindOffset] == PrepareAttentionMessage
            && !order[ParameterOffset..PrepareDataKindOffset].ContainsAnyExcept((byte)0) && order[PrepareDataKindOffset + 1] == 0;
        if (!valid)
        {
            return CommandOutcome.ForLength(TapeCondition.CommandReject, count, length);
        }

        var messageId = order.Slice(MessageIdOffset, MessageIdLength);
        bool noMessage = !messageId.ContainsAnyExcept((byte)0);
        _prepared.AsSpan().Clear();
        _preparedLength = noMessage ? NoMessageLength : MessageIdStatusLength;
        _prepared[1] = (byte)_preparedLength;
        _prepared[2] = noMessage ? FormatNoMessage : FormatMessageIdStatus;
        _prepared[3] = noMessage ? (byte)0x00 : MessageCodeDelayedResponse;
        messageId.CopyTo(_prepared.AsSpan(4));
        return CommandOutcome.ForLength(TapeCondition.StatusOnly, count, length);
    }

    /// <summary>An order of <paramref name="length"/> bytes: reject when the count is short or the order is not <paramref name="valid"/>.</summary>
    private static CommandOutcome Ending(int count, int length, bool valid) =>
        CommandOutcome.ForLength(count < length || !valid ? TapeCondition.CommandReject : TapeCondition.StatusOnly, count, length);
}
