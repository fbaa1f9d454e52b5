using ChannelTape.Channel;

namespace ChannelTape.Protocol;

/// <summary>
/// Which CCWs carry data in a Ccw frame and which in a CcwReply (docs/protocol.md §3 Ccw, CcwReply),
/// by the command type in the low bits of the command code (<see cref="CommandType"/>). Immediate
/// commands transfer nothing (Hercules <c>channel.c</c>).
/// </summary>
public static class CcwDataDirection
{
    /// <summary>Read Backward: the device fills the end of the buffer.</summary>
    public static bool IsReadBackward(byte command) => CommandType.IsReadBackward(command);

    /// <summary>Write and control commands that are not immediate: the Ccw frame carries <c>count</c> bytes.</summary>
    public static bool HasOutputData(byte command, bool immediate) => !immediate && CommandType.IsOutput(command);

    /// <summary>Read, sense and read backward commands that are not immediate: the CcwReply carries <c>count - residual</c> bytes.</summary>
    public static bool HasInputData(byte command, bool immediate) => !immediate && CommandType.IsInput(command);
}
