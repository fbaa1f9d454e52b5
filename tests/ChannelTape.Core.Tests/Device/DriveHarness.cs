using ChannelTape.Channel;
using ChannelTape.Device;

namespace ChannelTape.Core.Tests.Device;

/// <summary>One CCW of a test channel program.</summary>
internal sealed record TestCcw(byte Op, int Count, CcwFlags Flags = CcwFlags.None, byte[]? Data = null)
{
    public static TestCcw Of(byte op, int count, CcwFlags flags = CcwFlags.None) => new(op, count, flags);

    public static TestCcw WithData(byte op, string hex, CcwFlags flags = CcwFlags.None) =>
        new(op, hex.Length / 2, flags, Convert.FromHexString(hex));

    public static TestCcw WithEbcdic(byte op, string text, CcwFlags flags = CcwFlags.None) =>
        new(op, text.Length, flags, Text.Ebcdic.GetBytes(text));
}

/// <summary>What one CCW returned.</summary>
internal sealed record TestCcwOutcome(CcwResult Result, byte[] Buffer, int Count)
{
    /// <summary>Bytes transferred, as the channel would store them (from the start of the buffer).</summary>
    public string DataHex => Convert.ToHexString(Buffer, 0, Count - Result.Residual);
}

/// <summary>
/// Drives a <see cref="TapeDrive"/> like a minimal channel: command chaining stops on anything
/// but CE+DE or on incorrect length; data-chained reads are passed on with the previous flags.
/// Only what the device tests need; the real channel lives elsewhere.
/// </summary>
internal static class DriveHarness
{
    public static List<TestCcwOutcome> Run(TapeDrive drive, params TestCcw[] ccws)
    {
        var outcomes = new List<TestCcwOutcome>();
        var previousFlags = CcwFlags.None;
        byte previousOp = 0;
        drive.StartChannelProgram();
        for (int i = 0; i < ccws.Length; i++)
        {
            var ccw = ccws[i];
            var buffer = new byte[ccw.Count];
            ccw.Data?.CopyTo(buffer, 0);
            var request = new CcwRequest(ccw.Op, ccw.Flags, previousFlags, ccw.Count, previousOp, i);
            var result = drive.Execute(request, buffer);
            outcomes.Add(new TestCcwOutcome(result, buffer, ccw.Count));

            bool sli = (ccw.Flags & CcwFlags.SuppressLength) != 0;
            bool cd = (ccw.Flags & CcwFlags.ChainData) != 0;
            bool immediate = drive.IsImmediate(ccw.Op) && (previousFlags & CcwFlags.ChainData) == 0;
            bool incorrectLength = !sli && ((result.Residual != 0 && !cd && !immediate) || (result.More && !cd));
            if ((result.Status & ~UnitStatus.StatusModifier) != UnitStatus.ChannelEndDeviceEnd || incorrectLength
                || (ccw.Flags & (CcwFlags.ChainCommand | CcwFlags.ChainData)) == 0)
            {
                break;
            }

            previousFlags = ccw.Flags & (CcwFlags.ChainCommand | CcwFlags.ChainData);
            previousOp = ccw.Op;
        }

        drive.EndChannelProgram();
        return outcomes;
    }

    public static TestCcwOutcome One(TapeDrive drive, byte op, int count, CcwFlags flags = CcwFlags.None, string? hex = null)
    {
        var ccw = new TestCcw(op, count, flags, hex is null ? null : Convert.FromHexString(hex));
        return Run(drive, ccw)[0];
    }

    /// <summary>What the oracle's auto-sense returns: SENSE with count 32, SLI.</summary>
    public static string SenseHex(TapeDrive drive, int count = 32)
    {
        var outcome = One(drive, 0x04, count, CcwFlags.SuppressLength);
        return outcome.DataHex;
    }

    public static byte Status(this TestCcwOutcome outcome) => (byte)outcome.Result.Status;
}
