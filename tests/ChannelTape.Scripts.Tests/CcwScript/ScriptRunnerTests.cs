using ChannelTape.Channel;
using ChannelTape.Scripts.CcwScript;

namespace ChannelTape.Scripts.Tests.CcwScript;

/// <summary>The runner and the expectation checker, against a recorded-outcome drive.</summary>
public class ScriptRunnerTests
{
    /// <summary>Answers each program with the next queued outcome and records host actions.</summary>
    private sealed class RecordedDrive(params ProgramOutcome[] outcomes) : IScriptDrive
    {
        private readonly Queue<ProgramOutcome> _outcomes = new(outcomes);

        public List<string> Actions { get; } = [];

        public int UnsolicitedDeviceEnds { get; set; }

        public ProgramOutcome Run(ChannelProgramStep program)
        {
            Actions.Add("run " + program.Name);
            return _outcomes.Dequeue();
        }

        public string? Mount(VolumeSpec volume)
        {
            Actions.Add("mount " + volume.Path);
            return volume.Path == "missing.aws" ? "missing.aws: no such file" : null;
        }

        public string? Unload()
        {
            Actions.Add("unload");
            return null;
        }

        public bool WaitForUnsolicited(UnitStatus status, TimeSpan timeout)
        {
            Actions.Add($"wait {status}");
            if (UnsolicitedDeviceEnds == 0 || status != UnitStatus.DeviceEnd)
            {
                return false;
            }

            UnsolicitedDeviceEnds--;
            return true;
        }
    }

    private static Script Parse(string source)
    {
        Assert.True(ScriptParser.TryParse(source, out var script, out var error), error?.ToString());
        return script;
    }

    private static ProgramOutcome Outcome(UnitStatus unit, int residual, byte[]? data = null, byte[]? sense = null, ChannelStatus channel = ChannelStatus.None, int endedAt = 0, int ccws = 1)
    {
        var perCcw = new CcwOutcome?[ccws];
        perCcw[endedAt] = new CcwOutcome(residual, data ?? []);
        return new ProgramOutcome(unit, channel, residual, endedAt, perCcw, sense, 1);
    }

    [Fact]
    public void PassingExpectationsAreCountedAndNothingFails()
    {
        var script = Parse("""
            READ 100 SLI
            expect status CE DE
            expect channel none
            expect residual 95
            expect data E'HELLO'
            expect data prefix E'HE'
            expect data length 5
            expect sense none
            """);
        var result = ScriptRunner.Run(script, new RecordedDrive(Outcome(UnitStatus.ChannelEndDeviceEnd, 95, ChannelTape.Text.Ebcdic.GetBytes("HELLO"))));
        Assert.True(result.Passed);
        Assert.Equal(7, result.Checked);
    }

    [Fact]
    public void EveryFailedExpectationIsReportedWithItsLine()
    {
        var script = Parse("""
            WTM
            expect status CE DE
            expect residual 1
            expect sense prefix X'8042'
            expect sense[3] = X'30'
            expect channel IL
            """);
        var sense = Convert.FromHexString("804220300000002000");
        var result = ScriptRunner.Run(script, new RecordedDrive(Outcome(UnitStatus.ChannelEnd | UnitStatus.DeviceEnd | UnitStatus.UnitCheck, 1, sense: sense)));
        Assert.False(result.Passed);
        var failures = result.Failures.ToList();
        Assert.Equal([2, 6], failures.Select(f => f.Location.Line));
        Assert.Equal("expect status CE DE", failures[0].Expected);
        Assert.Equal("CE DE UC (0E)", failures[0].Actual);
        Assert.Equal("none (00)", failures[1].Actual);

        var report = new StringWriter();
        ScriptReport.Write(report, "t.ccw", script, result, verbose: false);
        Assert.Contains("line 2: expect status CE DE: got CE DE UC (0E)", report.ToString());
        Assert.Contains("t.ccw: 1 programs, 5 expectations, 2 failed (FAIL)", report.ToString());
    }

    [Fact]
    public void BlockExpectationsCheckTheirOwnCcwAndCcwsThatNeverRanFail()
    {
        var script = Parse("""
            program "two reads" {
              READ 4 CD
              expect data E'ABCD'
              READ 40 SLI
              expect residual 38
            }
            expect ended-at 0
            """);
        var outcome = new ProgramOutcome(UnitStatus.ChannelEnd | UnitStatus.DeviceEnd | UnitStatus.UnitException, ChannelStatus.None, 4, 0,
            [new CcwOutcome(4, []), null], null, 1);
        var result = ScriptRunner.Run(script, new RecordedDrive(outcome));
        var failures = result.Failures.ToList();
        Assert.Equal([3, 5], failures.Select(f => f.Location.Line));
        Assert.Equal("nothing", failures[0].Actual);
        Assert.Contains("did not run", failures[1].Actual);
    }

    [Fact]
    public void HostActionsRunInOrderAndMissingDeviceEndFails()
    {
        var script = Parse("""
            tape none
            mount "a.aws"
            wait device-end timeout 10ms
            unload
            mount "missing.aws"
            wait device-end timeout 10ms
            """);
        var drive = new RecordedDrive { UnsolicitedDeviceEnds = 1 };
        var result = ScriptRunner.Run(script, drive);
        Assert.Equal(["mount a.aws", "wait DeviceEnd", "unload", "mount missing.aws", "wait DeviceEnd"], drive.Actions);
        var failures = result.Failures.ToList();
        Assert.Equal([5, 6], failures.Select(f => f.Location.Line));
        Assert.Equal("missing.aws: no such file", failures[0].Actual);
    }

    [Fact]
    public void AProgramThatNeverEndsFailsEvenWithoutExpectations()
    {
        var script = Parse("program { L: NOP  TIC L }");
        var outcome = Outcome(UnitStatus.None, 0, ccws: 2) with { TimedOut = true };
        var result = ScriptRunner.Run(script, new RecordedDrive(outcome));
        Assert.Contains("did not end", Assert.Single(result.Failures).Actual);
    }
}
