using System.Globalization;

namespace ChannelTape.Scripts.CcwScript;

/// <summary>Writes a script result for people: every failed expectation with its line, and a summary.</summary>
public static class ScriptReport
{
    /// <summary>
    /// Writes the report of <paramref name="result"/>. Failed steps always appear with what happened;
    /// passing steps only when <paramref name="verbose"/>.
    /// </summary>
    public static void Write(TextWriter writer, string scriptName, Script script, ScriptResult result, bool verbose)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(result);
        writer.WriteLine($"{scriptName}: {(ushort)script.Device.Model:X4} at {script.Device.DeviceNumber:X4}");
        foreach (var step in result.Steps)
        {
            if (step.Passed && !verbose)
            {
                continue;
            }

            writer.WriteLine($"  line {step.Step.Location.Line,-4} {(step.Passed ? "ok  " : "FAIL")}  {step.Description}");
            if (step.Outcome is { } outcome && !step.Passed)
            {
                writer.WriteLine($"             ended {Summary(outcome)}");
            }

            foreach (var failure in step.Failures)
            {
                writer.WriteLine($"             line {failure.Location.Line}: {failure.Expected}: got {failure.Actual}");
            }
        }

        var failed = result.Failures.Count();
        var programs = result.Steps.Count(s => s.Step is ChannelProgramStep);
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{scriptName}: {programs} programs, {result.Checked} expectations, {failed} failed{(failed == 0 ? "" : " (FAIL)")}"));
    }

    /// <summary>One line: status, channel status, residual, CCW, sense.</summary>
    public static string Summary(ProgramOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var text = string.Create(CultureInfo.InvariantCulture,
            $"status {ExpectationChecker.Describe(outcome.UnitStatus)}, channel {ExpectationChecker.Describe(outcome.ChannelStatus)}, residual {outcome.Residual}, at CCW {outcome.EndedAt}");
        if (outcome.FinalData.Length > 0)
        {
            text += $", data {ExpectationChecker.Hex(outcome.FinalData)}";
        }

        if (outcome.Sense is { } sense)
        {
            text += $", sense {ExpectationChecker.Hex(sense)}";
        }

        return text;
    }
}
