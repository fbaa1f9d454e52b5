using ChannelTape.Channel;

namespace ChannelTape.Scripts.CcwScript;

/// <summary>What one CCW of a channel program did (its last execution, if a TIC loop ran it more than once).</summary>
/// <param name="Residual">Residual count the CCW ended with.</param>
/// <param name="Data">
/// For input commands, the bytes stored in the CCW's buffer over the transferred range, in storage order
/// (Read Backward: the tail of the buffer); with SKIP the buffer's unchanged contents over that range.
/// Empty for output and control commands.
/// </param>
public sealed record CcwOutcome(int Residual, byte[] Data);

/// <summary>
/// The end of a channel program as a guest sees it: the final interruption's unit status, channel
/// status, residual and CCW, what each CCW transferred, and the sense bytes read after a unit check.
/// </summary>
/// <param name="UnitStatus">Unit status of the final interruption.</param>
/// <param name="ChannelStatus">Channel (subchannel) status of the final interruption.</param>
/// <param name="Residual">Residual count of the final interruption.</param>
/// <param name="EndedAt">Index of the CCW the program ended on.</param>
/// <param name="Ccws">Per CCW index: what it did, or null if it never ran.</param>
/// <param name="Sense">Bytes the automatic Sense returned after a unit check; null when there was no unit check (or no automatic sense).</param>
/// <param name="Iterations">How many times the program was started (see <see cref="ChannelProgramStep.Repeat"/>).</param>
/// <param name="TimedOut">The program never ended (an endless TIC loop) and the channel stopped it.</param>
public sealed record ProgramOutcome(
    UnitStatus UnitStatus,
    ChannelStatus ChannelStatus,
    int Residual,
    int EndedAt,
    IReadOnlyList<CcwOutcome?> Ccws,
    byte[]? Sense,
    int Iterations,
    bool TimedOut = false)
{
    /// <summary>The data of the CCW the program ended on (what "expect data" after a program looks at).</summary>
    public byte[] FinalData => EndedAt >= 0 && EndedAt < Ccws.Count && Ccws[EndedAt] is { } ccw ? ccw.Data : [];
}

/// <summary>One expectation that did not hold (or a host action that failed), with where it is written.</summary>
/// <param name="Location">Line and column of the <c>expect</c> (or of the step).</param>
/// <param name="Expected">The expectation as written.</param>
/// <param name="Actual">What happened instead.</param>
public sealed record ExpectationFailure(ScriptLocation Location, string Expected, string Actual)
{
    public override string ToString() => $"line {Location.Line}: {Expected}: got {Actual}";
}

/// <summary>The result of one step: a channel program with its outcome, or a host action.</summary>
/// <param name="Step">The step as parsed.</param>
/// <param name="Description">Name shown in reports.</param>
/// <param name="Outcome">For channel programs, what the device did.</param>
/// <param name="Checked">How many expectations were checked.</param>
/// <param name="Failures">Expectations that did not hold.</param>
public sealed record StepResult(ScriptStep Step, string Description, ProgramOutcome? Outcome, int Checked, IReadOnlyList<ExpectationFailure> Failures)
{
    public bool Passed => Failures.Count == 0;
}

/// <summary>The result of a whole script run.</summary>
public sealed record ScriptResult(IReadOnlyList<StepResult> Steps)
{
    public int Checked => Steps.Sum(s => s.Checked);

    public IEnumerable<ExpectationFailure> Failures => Steps.SelectMany(s => s.Failures);

    public bool Passed => Steps.All(s => s.Passed);
}
