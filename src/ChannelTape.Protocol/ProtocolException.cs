namespace ChannelTape.Protocol;

/// <summary>
/// A peer broke the protocol (docs/protocol.md §1): the receiver answers <see cref="MessageType.Error"/>
/// with <see cref="Code"/> (if it is the server) and closes that one connection.
/// </summary>
public sealed class ProtocolException(ProtocolErrorCode code, string message) : Exception(message)
{
    public ProtocolErrorCode Code { get; } = code;

    internal static ProtocolException Short(MessageType type, int needed, int actual) =>
        new(ProtocolErrorCode.MalformedFrame, $"{type} body is {actual} bytes, needs at least {needed}");
}
