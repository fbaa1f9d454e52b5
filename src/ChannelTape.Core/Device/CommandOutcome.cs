namespace ChannelTape.Device;

/// <summary>
/// How a command handled by one of the drive's components (<see cref="PathGroup"/>,
/// <see cref="SubsystemData"/>, <see cref="ChannelProgramModes"/>) ends, before <see cref="TapeDrive"/>
/// turns it into unit status and sense (<see cref="SenseBuilder"/>): the condition, the residual
/// count, and whether the CCW's count was too short for the command's data (Hercules sets "more" then).
/// </summary>
internal readonly record struct CommandOutcome(TapeCondition Condition, int Residual, bool More = false)
{
    /// <summary>Normal end, CE+DE.</summary>
    public static CommandOutcome Ended(int residual) => new(TapeCondition.StatusOnly, residual);

    /// <summary>Command reject, ERA 27.</summary>
    public static CommandOutcome Rejected(int residual, bool more = false) => new(TapeCondition.CommandReject, residual, more);

    /// <summary>
    /// The residual and "more" of a command with <paramref name="length"/> bytes of output data
    /// given <paramref name="count"/> bytes (Hercules RESIDUAL_CALC), ending with <paramref name="condition"/>.
    /// </summary>
    public static CommandOutcome ForLength(TapeCondition condition, int count, int length) =>
        new(condition, count - Math.Min(count, length), count < length);
}
