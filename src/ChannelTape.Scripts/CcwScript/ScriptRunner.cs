using ChannelTape.Channel;

namespace ChannelTape.Scripts.CcwScript;

/// <summary>
/// What a script drives: one device behind a channel, and the operator's hands (mount, unload).
/// The in-process drive and a drive on a ChannelTape server both implement it.
/// </summary>
public interface IScriptDrive
{
    /// <summary>Starts <paramref name="program"/> (as many times as it says), then a Sense after a unit check if it asks for one.</summary>
    ProgramOutcome Run(ChannelProgramStep program);

    /// <summary>The operator mounts <paramref name="volume"/>; null when done, else why not.</summary>
    string? Mount(VolumeSpec volume);

    /// <summary>The operator unloads the drive; null when done, else why not.</summary>
    string? Unload();

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for unsolicited status containing all of <paramref name="status"/>
    /// (statuses presented since the previous wait count) and takes it; false if none came.
    /// </summary>
    bool WaitForUnsolicited(UnitStatus status, TimeSpan timeout);
}

/// <summary>Runs a parsed script step by step and checks every expectation.</summary>
public static class ScriptRunner
{
    /// <summary>
    /// Runs every step of <paramref name="script"/> on <paramref name="drive"/>. The initial volume
    /// (<c>tape</c>) is the drive's business (it is created with it); a failed host action is reported
    /// as a failure of that step and the script goes on, as an operator would.
    /// </summary>
    public static ScriptResult Run(Script script, IScriptDrive drive)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(drive);
        var results = new List<StepResult>(script.Steps.Count);
        foreach (var step in script.Steps)
        {
            results.Add(RunStep(step, drive));
        }

        return new ScriptResult(results);
    }

    private static StepResult RunStep(ScriptStep step, IScriptDrive drive)
    {
        switch (step)
        {
            case ChannelProgramStep program:
            {
                var outcome = drive.Run(program);
                var (count, failures) = ExpectationChecker.Check(program, outcome);
                if (outcome.TimedOut)
                {
                    failures.Insert(0, new ExpectationFailure(program.Location, "the channel program ends", "it did not end (endless TIC loop), stopped as by Clear Subchannel"));
                }

                return new StepResult(step, $"program \"{program.Name}\"", outcome, count, failures);
            }

            case MountStep mount:
            {
                var description = mount.Volume.Kind switch
                {
                    VolumeKind.File => $"mount \"{mount.Volume.Path}\"",
                    VolumeKind.Blocks => $"mount blocks ({mount.Volume.Blocks.Count})",
                    _ => $"mount {mount.Volume.Kind.ToString().ToLowerInvariant()}",
                };
                return HostAction(step, description, drive.Mount(mount.Volume));
            }

            case UnloadStep:
                return HostAction(step, "unload", drive.Unload());
            case WaitStatusStep wait:
            {
                var what = wait.Status == UnitStatus.DeviceEnd ? "device end" : ExpectationChecker.Describe(wait.Status);
                var description = $"wait {what} (timeout {wait.Timeout.TotalMilliseconds:0} ms)";
                return drive.WaitForUnsolicited(wait.Status, wait.Timeout)
                    ? new StepResult(step, description, null, 1, [])
                    : new StepResult(step, description, null, 1,
                        [new ExpectationFailure(step.Location, $"unsolicited {what}", $"nothing within {wait.Timeout.TotalMilliseconds:0} ms")]);
            }

            default:
                throw new InvalidOperationException($"unhandled script step {step.GetType().Name}");
        }
    }

    private static StepResult HostAction(ScriptStep step, string description, string? error) =>
        error is null
            ? new StepResult(step, description, null, 0, [])
            : new StepResult(step, description, null, 1, [new ExpectationFailure(step.Location, description, error)]);
}
