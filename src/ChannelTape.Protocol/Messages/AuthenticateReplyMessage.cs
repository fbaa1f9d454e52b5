namespace ChannelTape.Protocol.Messages;

/// <summary>
/// AuthenticateReply (<c>05</c>), server -> host (docs/protocol.md §2.1): the server's proof that it
/// knows the same secret (<see cref="HostSecret.ServerProof"/>), sent right before HelloReply.
/// </summary>
public readonly record struct AuthenticateReplyMessage(byte[] Proof) : IMessage<AuthenticateReplyMessage>
{
    public const int ProofOffset = 0;
    public const int FixedSize = ProofOffset + AuthenticateMessage.ProofSize;

    public static MessageType FrameType => MessageType.AuthenticateReply;

    public MessageType Type => FrameType;

    public int BodyLength => FixedSize;

    public void WriteBody(Span<byte> destination)
    {
        if (Proof is not { Length: AuthenticateMessage.ProofSize })
        {
            throw new InvalidOperationException($"an AuthenticateReply proof has {AuthenticateMessage.ProofSize} bytes");
        }

        Proof.CopyTo(destination[ProofOffset..]);
    }

    public static AuthenticateReplyMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        return new AuthenticateReplyMessage(body.Slice(ProofOffset, AuthenticateMessage.ProofSize).ToArray());
    }
}
