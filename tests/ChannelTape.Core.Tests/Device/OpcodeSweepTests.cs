using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;

namespace ChannelTape.Core.Tests.Device;

/// <summary>
/// Every command code on every model, on an empty drive and on an empty volume, against what
/// Hercules 3.13 returned for the same sequence (OracleOpcodeSweep). Differences are only the
/// documented improvements (docs/device-behaviour.md, "## Device").
/// </summary>
public class OpcodeSweepTests
{
    public static TheoryData<string> Sweeps() => new()
    {
        "3490 unloaded", "3490 empty", "3490 read-only", "3480 unloaded", "3480 empty", "3480 read-only",
        "3420 unloaded", "3420 empty", "3420 read-only",
    };

    [Theory]
    [MemberData(nameof(Sweeps))]
    public void Every_command_code_matches_the_reference(string sweep)
    {
        var (model, expected, loaded) = sweep switch
        {
            "3490 unloaded" => (TapeModel.Ibm3490, OracleOpcodeSweep.Ibm3490Unloaded, false),
            "3490 empty" => (TapeModel.Ibm3490, OracleOpcodeSweep.Ibm3490EmptyVolume, true),
            "3490 read-only" => (TapeModel.Ibm3490, OracleOpcodeSweep.Ibm3490ReadOnly, true),
            "3480 unloaded" => (TapeModel.Ibm3480, OracleOpcodeSweep.Ibm3480Unloaded, false),
            "3480 empty" => (TapeModel.Ibm3480, OracleOpcodeSweep.Ibm3480EmptyVolume, true),
            "3480 read-only" => (TapeModel.Ibm3480, OracleOpcodeSweep.Ibm3480ReadOnly, true),
            "3420 unloaded" => (TapeModel.Ibm3420, OracleOpcodeSweep.Ibm3420Unloaded, false),
            "3420 empty" => (TapeModel.Ibm3420, OracleOpcodeSweep.Ibm3420EmptyVolume, true),
            _ => (TapeModel.Ibm3420, OracleOpcodeSweep.Ibm3420ReadOnly, true),
        };
        using var drive = new TapeDrive(model, 0x0580);
        if (sweep.EndsWith("read-only", StringComparison.Ordinal))
        {
            var c4 = new byte[100];
            Array.Fill(c4, (byte)0xC4);
            drive.Mount(MemoryTapeMedia.FromBlocks([[0xC1, 0xC2, 0xC3], c4, null, [0xC5], null], readOnly: true));
        }
        else if (loaded)
        {
            drive.Mount(new MemoryTapeMedia("tape.aws"));
        }

        var mismatches = new List<string>();
        foreach (var line in expected)
        {
            var fields = line.Split(' ');
            byte op = Convert.ToByte(fields[0], 16);
            var (status, residual, data, sense) = (Convert.ToByte(fields[1], 16), int.Parse(fields[2]), fields[3], fields[4]);
            if (Improved(op, loaded, ref status, ref residual))
            {
                // expected values adjusted to the documented improvement
            }

            var outcome = DriveHarness.One(drive, op, 64, CcwFlags.SuppressLength);
            string actual = $"{outcome.Status():X2} {outcome.Result.Residual}";
            if (data != "-")
            {
                actual += " " + outcome.DataHex;
            }

            string want = $"{status:X2} {residual}" + (data != "-" ? " " + data : "");
            string actualSense = (outcome.Result.Status & UnitStatus.UnitCheck) != 0 ? DriveHarness.SenseHex(drive) : "-";
            if (actual != want || actualSense != sense)
            {
                mismatches.Add($"op {op:X2}: want {want} sense {sense}; got {actual} sense {actualSense}");
            }
        }

        Assert.Empty(mismatches);
    }

    /// <summary>Read Buffer: Hercules leaves unit status 0; we present CE+DE (docs/device-behaviour.md).</summary>
    private static bool Improved(byte op, bool loaded, ref byte status, ref int residual)
    {
        if (op == (byte)TapeCommand.ReadBuffer && loaded && status == 0x00)
        {
            status = 0x0C;
            return true;
        }

        return false;
    }
}
