namespace ChannelTape.Protocol.Messages;

/// <summary>
/// Challenge (<c>03</c>), server -> host (docs/protocol.md §2.1): the server wants the host to prove
/// that it knows its secret; sent instead of HelloReply to a version 2 Hello when the server has secrets.
/// </summary>
public readonly record struct ChallengeMessage(AuthenticationMethod Method, byte[] Nonce) : IMessage<ChallengeMessage>
{
    public const int MethodOffset = 0;
    public const int NonceOffset = 1;
    /// <summary>Bytes of each side's nonce.</summary>
    public const int NonceSize = 32;
    public const int FixedSize = NonceOffset + NonceSize;

    public static MessageType FrameType => MessageType.Challenge;

    public MessageType Type => FrameType;

    public int BodyLength => FixedSize;

    public void WriteBody(Span<byte> destination)
    {
        if (Nonce is not { Length: NonceSize })
        {
            throw new InvalidOperationException($"a Challenge nonce has {NonceSize} bytes");
        }

        destination[MethodOffset] = (byte)Method;
        Nonce.CopyTo(destination[NonceOffset..]);
    }

    public static ChallengeMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        return new ChallengeMessage((AuthenticationMethod)body[MethodOffset], body.Slice(NonceOffset, NonceSize).ToArray());
    }
}
