namespace ChannelTape.Protocol.Messages;

/// <summary>Mount (<c>40</c>), host -> server: <c>image [options]</c>, a volser, or <c>*</c> to unload (Hercules <c>devinit</c>).</summary>
public readonly record struct MountMessage(string Arguments) : IMessage<MountMessage>
{
    public const int ArgumentsOffset = 0;
    public const int FixedSize = ArgumentsOffset + WireString.LengthSize;

    public static MessageType FrameType => MessageType.Mount;

    public MessageType Type => FrameType;

    public int BodyLength => ArgumentsOffset + WireString.SizeOf(Arguments);

    public void WriteBody(Span<byte> destination) => WireString.Write(destination[ArgumentsOffset..], Arguments);

    public static MountMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        return new MountMessage(WireString.Read(body[ArgumentsOffset..], FrameType, out _));
    }
}
