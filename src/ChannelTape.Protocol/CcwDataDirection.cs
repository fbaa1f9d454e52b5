namespace ChannelTape.Protocol;

/// <summary>
/// Which CCWs carry data in a Ccw frame and which in a CcwReply (docs/protocol.md §3 Ccw, CcwReply),
/// by the command type in the low bits of the command code (ESA/390 Principles of Operation SA22-7201,
/// "Command Code"): write xxxxxx01, read xxxxxx10, control xxxxxx11, sense xxxx0100, read backward
/// xxxx1100. Immediate commands transfer nothing (Hercules <c>channel.c</c>).
/// </summary>
public static class CcwDataDirection
{
    /// <summary>Read Backward: the device fills the end of the buffer.</summary>
    public static bool IsReadBackward(byte command) => (command & 0x0F) == 0x0C;

    /// <summary>Write and control commands that are not immediate: the Ccw frame carries <c>count</c> bytes.</summary>
    public static bool HasOutputData(byte command, bool immediate) => !immediate && (command & 0x01) == 0x01;

    /// <summary>Read, sense and read backward commands that are not immediate: the CcwReply carries <c>count - residual</c> bytes.</summary>
    public static bool HasInputData(byte command, bool immediate) =>
        !immediate && ((command & 0x03) == 0x02 || (command & 0x0F) == 0x04 || IsReadBackward(command));
}
