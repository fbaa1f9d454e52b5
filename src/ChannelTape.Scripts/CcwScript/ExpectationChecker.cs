using System.Text;
using ChannelTape.Channel;

namespace ChannelTape.Scripts.CcwScript;

/// <summary>Compares a channel program's outcome with the expectations written after it (and inside its block).</summary>
public static class ExpectationChecker
{
    /// <summary>Checks every expectation of <paramref name="program"/>; returns how many were checked and the ones that failed.</summary>
    public static (int Checked, List<ExpectationFailure> Failures) Check(ChannelProgramStep program, ProgramOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(outcome);
        var failures = new List<ExpectationFailure>();
        var count = 0;
        foreach (var expectation in program.Expectations)
        {
            count++;
            if (CheckProgramExpectation(expectation, outcome) is { } actual)
            {
                failures.Add(new ExpectationFailure(expectation.Location, expectation.Text, actual));
            }
        }

        for (var i = 0; i < program.Ccws.Count; i++)
        {
            foreach (var expectation in program.Ccws[i].Expectations)
            {
                count++;
                var ccw = i < outcome.Ccws.Count ? outcome.Ccws[i] : null;
                var actual = ccw is null
                    ? $"CCW {i} did not run (program ended at CCW {outcome.EndedAt})"
                    : expectation switch
                    {
                        ResidualExpectation r => r.Residual == ccw.Residual ? null : ccw.Residual.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        BytesExpectation b => CheckBytes(b, ccw.Data, "data"),
                        _ => $"'{expectation.Text}' cannot be checked for one CCW",
                    };
                if (actual is not null)
                {
                    failures.Add(new ExpectationFailure(expectation.Location, expectation.Text, actual));
                }
            }
        }

        return (count, failures);
    }

    /// <summary>Null when the expectation holds, else a description of what happened.</summary>
    private static string? CheckProgramExpectation(Expectation expectation, ProgramOutcome outcome) => expectation switch
    {
        UnitStatusExpectation u => u.Status == outcome.UnitStatus ? null : Describe(outcome.UnitStatus),
        ChannelStatusExpectation c => c.Status == outcome.ChannelStatus ? null : Describe(outcome.ChannelStatus),
        ResidualExpectation r => r.Residual == outcome.Residual ? null : outcome.Residual.ToString(System.Globalization.CultureInfo.InvariantCulture),
        EndedAtExpectation e => e.CcwIndex == outcome.EndedAt ? null : $"ended at CCW {outcome.EndedAt}",
        BytesExpectation { Subject: BytesSubject.Data } b => CheckBytes(b, outcome.FinalData, "data"),
        BytesExpectation { Subject: BytesSubject.Sense } b => outcome.Sense is null
            ? b.Match == BytesMatch.None ? null : "no sense (no unit check)"
            : CheckBytes(b, outcome.Sense, "sense"),
        _ => $"'{expectation.Text}' cannot be checked",
    };

    private static string? CheckBytes(BytesExpectation expectation, byte[] actual, string what) => expectation.Match switch
    {
        BytesMatch.Exact => actual.AsSpan().SequenceEqual(expectation.Value) ? null : Hex(actual),
        BytesMatch.Prefix => actual.AsSpan().StartsWith(expectation.Value) ? null : Hex(actual),
        BytesMatch.None => actual.Length == 0 ? null : Hex(actual),
        BytesMatch.Length => actual.Length == expectation.Index ? null : $"{actual.Length} bytes of {what}",
        BytesMatch.ByteAt => expectation.Index < actual.Length
            ? actual[expectation.Index] == expectation.Value[0] ? null : $"X'{actual[expectation.Index]:X2}' ({what} {Hex(actual)})"
            : $"only {actual.Length} bytes of {what}",
        _ => $"unknown comparison {expectation.Match}",
    };

    /// <summary><c>X'C1C2'</c>, or <c>nothing</c> for no bytes.</summary>
    public static string Hex(ReadOnlySpan<byte> bytes) => bytes.Length == 0 ? "nothing" : $"X'{Convert.ToHexString(bytes)}'";

    private static readonly (UnitStatus Bit, string Name)[] s_unitNames =
    [
        (UnitStatus.Attention, "ATTN"), (UnitStatus.StatusModifier, "SM"), (UnitStatus.ControlUnitEnd, "CUE"),
        (UnitStatus.Busy, "BUSY"), (UnitStatus.ChannelEnd, "CE"), (UnitStatus.DeviceEnd, "DE"),
        (UnitStatus.UnitCheck, "UC"), (UnitStatus.UnitException, "UX"),
    ];

    private static readonly (ChannelStatus Bit, string Name)[] s_channelNames =
    [
        (ChannelStatus.ProgramControlledInterruption, "PCI"), (ChannelStatus.IncorrectLength, "IL"),
        (ChannelStatus.ProgramCheck, "PGM"), (ChannelStatus.ProtectionCheck, "PROT"),
        (ChannelStatus.ChannelDataCheck, "CDC"), (ChannelStatus.ChannelControlCheck, "CCC"),
        (ChannelStatus.InterfaceControlCheck, "IFCC"), (ChannelStatus.ChainingCheck, "CHC"),
    ];

    /// <summary><c>CE DE UX (0D)</c>; <c>none (00)</c>.</summary>
    public static string Describe(UnitStatus status) => Describe((byte)status, s_unitNames.Select(n => ((byte)n.Bit, n.Name)));

    /// <summary><c>IL (40)</c>; <c>none (00)</c>.</summary>
    public static string Describe(ChannelStatus status) => Describe((byte)status, s_channelNames.Select(n => ((byte)n.Bit, n.Name)));

    private static string Describe(byte value, IEnumerable<(byte Bit, string Name)> names)
    {
        var text = new StringBuilder();
        foreach (var (bit, name) in names)
        {
            if ((value & bit) != 0)
            {
                text.Append(text.Length > 0 ? " " : "").Append(name);
            }
        }

        return $"{(text.Length > 0 ? text.ToString() : "none")} ({value:X2})";
    }
}
