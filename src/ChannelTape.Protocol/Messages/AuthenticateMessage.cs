namespace ChannelTape.Protocol.Messages;

/// <summary>
/// Authenticate (<c>04</c>), host -> server (docs/protocol.md §2.1): the host's nonce, its proof
/// (<see cref="HostSecret.HostProof"/>) and the identity whose secret it used (empty = the server's shared secret).
/// </summary>
public readonly record struct AuthenticateMessage(byte[] HostNonce, byte[] Proof, string Identity) : IMessage<AuthenticateMessage>
{
    public const int HostNonceOffset = 0;
    public const int ProofOffset = HostNonceOffset + ChallengeMessage.NonceSize;
    /// <summary>Bytes of an HMAC-SHA256 proof.</summary>
    public const int ProofSize = 32;
    public const int IdentityOffset = ProofOffset + ProofSize;
    public const int FixedSize = IdentityOffset + WireString.LengthSize;

    public static MessageType FrameType => MessageType.Authenticate;

    public MessageType Type => FrameType;

    public int BodyLength => IdentityOffset + WireString.SizeOf(Identity);

    public void WriteBody(Span<byte> destination)
    {
        if (HostNonce is not { Length: ChallengeMessage.NonceSize } || Proof is not { Length: ProofSize })
        {
            throw new InvalidOperationException($"an Authenticate nonce has {ChallengeMessage.NonceSize} bytes and its proof {ProofSize}");
        }

        HostNonce.CopyTo(destination[HostNonceOffset..]);
        Proof.CopyTo(destination[ProofOffset..]);
        WireString.Write(destination[IdentityOffset..], Identity);
    }

    public static AuthenticateMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        return new AuthenticateMessage(body.Slice(HostNonceOffset, ChallengeMessage.NonceSize).ToArray(),
            body.Slice(ProofOffset, ProofSize).ToArray(), WireString.Read(body[IdentityOffset..], FrameType, out _));
    }
}
