namespace ChannelTape.Protocol.Messages;

/// <summary>
/// ReadAheadImage (<c>28</c>), server -> host, no reply (docs/protocol.md §5.3): the absolute path of the
/// volume image that the reference entries of the following ReadAhead frames point into. Sent before the
/// first such ReadAhead and again whenever the drive's image is another one than the one last announced.
/// </summary>
public readonly record struct ReadAheadImageMessage(string Path) : IMessage<ReadAheadImageMessage>
{
    public const int PathOffset = 0;
    public const int FixedSize = PathOffset + WireString.LengthSize;

    public static MessageType FrameType => MessageType.ReadAheadImage;

    public MessageType Type => FrameType;

    public int BodyLength => PathOffset + WireString.SizeOf(Path);

    public void WriteBody(Span<byte> destination) => WireString.Write(destination[PathOffset..], Path);

    /// <summary>Parses a body: one string, the path, which must be absolute (the host opens it as it is).</summary>
    public static ReadAheadImageMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        var path = WireString.Read(body[PathOffset..], FrameType, out _);
        if (!System.IO.Path.IsPathFullyQualified(path))
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame, $"{FrameType}: '{path}' is not an absolute path");
        }

        return new ReadAheadImageMessage(path);
    }
}
