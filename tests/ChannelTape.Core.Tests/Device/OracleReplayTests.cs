namespace ChannelTape.Core.Tests.Device;

/// <summary>
/// The reference runner's samples and the device's own reference tests (Oracle/*.json, results from
/// Hercules 3.13 in Oracle/results), replayed against the drive and compared field by field.
/// Programs whose outcome differs by a documented improvement (docs/device-behaviour.md, "## Device")
/// are left out here and asserted with their improved outcome in <see cref="ImprovementTests"/>.
/// </summary>
public class OracleReplayTests
{
    /// <summary>Test name -> programs that differ from Hercules on purpose.</summary>
    private static readonly Dictionary<string, int[]> s_improved = new()
    {
        ["01_sense_id"] = [],
        ["02_load_display"] = [],
        ["03_write_read"] = [],
        ["04_positioning"] = [],
        ["05_mount"] = [],
        ["06_chaining"] = [10],          // Read Backward over a tape mark: residual = count
        ["07_errors"] = [],
        ["08_readonly"] = [],
        ["09_3420"] = [],
        ["10_3480"] = [],
        ["d01_subsystem"] = [0, 1, 27],  // PSF Prepare Read Subsystem Data ends with CE+DE
        ["d02_pathgroup"] = [],
        ["d03_modeset"] = [18, 19, 20],  // Read Buffer ends with CE+DE
        ["d04_fence"] = [],
        ["d05_readbackward"] = [5],      // Read Backward over a tape mark
        ["d06_dse_erase"] = [2],         // Data Security Erase erases
        ["d07_eot"] = [],
        ["d08_eot3420"] = [5],           // Read Backward over a tape mark
        ["d09_loaddisplay"] = [],
        ["d10_eot_full"] = [],
        ["d11_readonly_more"] = [5],     // Read Backward over a tape mark
        ["d12_ro3490"] = [2],            // Read Buffer (write protect UC as Hercules, compared in ImprovementTests)
        ["d13_unload_op"] = [],
        ["d14_eot_uc"] = [],
    };

    public static TheoryData<string> Tests() => new(s_improved.Keys);

    [Theory]
    [MemberData(nameof(Tests))]
    public void Replay_equals_Hercules_except_documented_improvements(string test)
    {
        var differences = OracleReplay.Compare(test, s_improved[test].ToHashSet());
        Assert.True(differences.Count == 0, string.Join(Environment.NewLine, differences));
    }
}
