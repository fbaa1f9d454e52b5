namespace ChannelTape.Protocol;

/// <summary>Frame type byte (docs/protocol.md §3).</summary>
public enum MessageType : byte
{
    Hello = 0x01,
    HelloReply = 0x02,
    Challenge = 0x03,
    Authenticate = 0x04,
    AuthenticateReply = 0x05,
    Attach = 0x10,
    AttachReply = 0x11,
    Ccw = 0x20,
    CcwReply = 0x21,
    Halt = 0x22,
    BufferedCcw = 0x24,
    ReadAhead = 0x25,
    ReadAheadEnd = 0x26,
    ReadAheadImage = 0x28,
    Unsolicited = 0x30,
    Mount = 0x40,
    MountReply = 0x41,
    Query = 0x42,
    QueryReply = 0x43,
    Ping = 0x50,
    Pong = 0x51,
    Close = 0x60,
    Error = 0x7F,
}

/// <summary>Code of an <see cref="MessageType.Error"/> frame (docs/protocol.md §3 Error).</summary>
public enum ProtocolErrorCode : ushort
{
    /// <summary>Length 0, body shorter than its fixed fields, or a field out of range.</summary>
    MalformedFrame = 0x0001,
    /// <summary>Hello with a wrong magic or a version the server does not speak.</summary>
    WrongMagicOrVersion = 0x0002,
    /// <summary>A message not allowed in the current state of the conversation.</summary>
    NotAllowedNow = 0x0003,
    /// <summary>Frame length above the agreed maximum.</summary>
    FrameTooLong = 0x0004,
    /// <summary>Unknown message type.</summary>
    UnknownType = 0x0005,
    /// <summary>The server wants a proof of the host's secret (protocol version 2, §2.1) and the host offered none.</summary>
    AuthenticationRequired = 0x0006,
    /// <summary>The proof was wrong, or the identity has no secret on the server (§2.1).</summary>
    AuthenticationFailed = 0x0007,
}

/// <summary>How a <see cref="MessageType.Challenge"/> wants the secret proved (docs/protocol.md §2.1).</summary>
public enum AuthenticationMethod : byte
{
    /// <summary>HMAC-SHA256 keyed with the secret over both nonces and the identity.</summary>
    HmacSha256 = 0x01,
}

/// <summary>Result byte of <see cref="MessageType.AttachReply"/>.</summary>
public enum AttachResult : byte
{
    Attached = 0x00,
    NoSuchDrive = 0x01,
    ModelMismatch = 0x02,
    AttachedElsewhere = 0x03,
    VolumeRefused = 0x04,
    /// <summary>This host may not attach the drive, take it over, or mount what the words ask for (§2.2).</summary>
    NotAuthorised = 0x05,
}

/// <summary>Flags byte of <see cref="MessageType.Attach"/>.</summary>
[Flags]
public enum AttachFlags : byte
{
    None = 0x00,
    /// <summary>Close the connection that has the drive attached and attach here.</summary>
    TakeOver = 0x01,
}

/// <summary>Flags byte of <see cref="MessageType.CcwReply"/>.</summary>
[Flags]
public enum CcwReplyFlags : byte
{
    None = 0x00,
    /// <summary>The device had more data than the CCW's count.</summary>
    More = 0x01,
    /// <summary>A write credit follows the sense bytes (write-behind, docs/protocol.md §5.1).</summary>
    WriteCredit = 0x02,
}

/// <summary>Features a host asks for in Hello and the server grants in HelloReply (docs/protocol.md §5).</summary>
[Flags]
public enum ProtocolFeatures : uint
{
    None = 0x0000_0000,
    /// <summary>Write-behind: CcwReply carries a write credit, the host may send BufferedCcw (§5.1).</summary>
    WriteBehind = 0x0000_0001,
    /// <summary>Read-ahead: the server may send ReadAhead before a Read's CcwReply (§5.2).</summary>
    ReadAhead = 0x0000_0002,
    /// <summary>Read-ahead by reference: ReadAhead entries may point into the image ReadAheadImage names (§5.3; only with <see cref="ReadAhead"/>).</summary>
    ReadAheadByReference = 0x0000_0004,
}

/// <summary>The rule both sides apply to <see cref="ProtocolFeatures"/> (docs/protocol.md §5).</summary>
public static class ProtocolFeatureRules
{
    /// <summary>Every feature this library knows: what <c>ctape serve</c> grants and its tools ask for.</summary>
    public const ProtocolFeatures All = ProtocolFeatures.WriteBehind | ProtocolFeatures.ReadAhead | ProtocolFeatures.ReadAheadByReference;

    /// <summary>
    /// The features in effect when one side offers <paramref name="offered"/> and the other accepts
    /// <paramref name="accepted"/>: the known features in both; by reference only together with read-ahead.
    /// </summary>
    public static ProtocolFeatures Agree(ProtocolFeatures offered, ProtocolFeatures accepted)
    {
        var features = offered & accepted & All;
        return (features & ProtocolFeatures.ReadAhead) != 0 ? features : features & ~ProtocolFeatures.ReadAheadByReference;
    }
}

/// <summary>Flags byte of <see cref="MessageType.ReadAheadEnd"/>.</summary>
[Flags]
public enum ReadAheadEndFlags : byte
{
    None = 0x00,
    /// <summary>A channel program began among the Reads the host answered itself.</summary>
    ProgramStarted = 0x01,
    /// <summary>The host could not read a referred block: the server sends every later block inline (§5.3).</summary>
    StopReferences = 0x02,
}

/// <summary>Result byte of <see cref="MessageType.MountReply"/>.</summary>
public enum MountResult : byte
{
    Done = 0x00,
    Refused = 0x04,
    /// <summary>This host may not mount that (§2.2).</summary>
    NotAuthorised = 0x05,
}

/// <summary>Reason byte of <see cref="MessageType.Close"/>.</summary>
public enum CloseReason : byte
{
    Normal = 0x00,
    ShuttingDown = 0x01,
    TakenOver = 0x02,
    IdleTimeout = 0x03,
}

/// <summary>Helpers for <see cref="MessageType"/>.</summary>
public static class MessageTypes
{
    /// <summary>True for a type byte defined by protocol versions 1 and 2 (§2.1's and §5's types included).</summary>
    public static bool IsKnown(byte type) => (MessageType)type switch
    {
        MessageType.Hello or MessageType.HelloReply or MessageType.Challenge or MessageType.Authenticate
            or MessageType.AuthenticateReply or MessageType.Attach or MessageType.AttachReply
            or MessageType.Ccw or MessageType.CcwReply or MessageType.Halt or MessageType.BufferedCcw
            or MessageType.ReadAhead or MessageType.ReadAheadEnd or MessageType.ReadAheadImage
            or MessageType.Unsolicited
            or MessageType.Mount or MessageType.MountReply or MessageType.Query or MessageType.QueryReply
            or MessageType.Ping or MessageType.Pong or MessageType.Close or MessageType.Error => true,
        _ => false,
    };
}
