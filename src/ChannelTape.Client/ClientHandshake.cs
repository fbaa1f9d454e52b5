using ChannelTape.Media;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;

namespace ChannelTape.Client;

/// <summary>
/// The host's side of Hello (docs/protocol.md §2, §2.1): a host without a secret speaks version 1; one
/// with a secret speaks version 2, answers the server's Challenge with its proof, and goes on only when
/// the server proves the same secret back. A server that does not ask for the proof is not trusted with
/// the connection (it may be another server than the one that has the secret).
/// </summary>
internal static class ClientHandshake
{
    /// <summary>The HelloReply; throws <see cref="RemoteDeviceException"/> with the reason when the server or the secret refuses.</summary>
    public static HelloReplyMessage Run(ServerLink link, RemoteDeviceOptions options, string server)
    {
        var secret = LoadSecret(options);
        var version = secret is null ? HelloMessage.CurrentVersion : HelloMessage.AuthenticatedVersion;
        var hello = new HelloMessage(HelloMessage.ExpectedMagic, version, (uint)options.MaxFrameLength, options.HostName, options.Features);
        if (!link.TryRequest(hello, MessageType.HelloReply, options.Timeout, out var frame))
        {
            throw new RemoteDeviceException($"no HelloReply from {server}: {link.Failure}");
        }

        try
        {
            if (frame.Type == MessageType.HelloReply)
            {
                if (secret is not null)
                {
                    throw new RemoteDeviceException(
                        $"{server} did not ask for the shared secret: it cannot prove it has it, so this host does not go on");
                }

                return HelloReplyMessage.Parse(frame.Body.Span);
            }

            var challenge = ChallengeMessage.Parse(frame.Body.Span);
            if (secret is null)
            {
                throw new RemoteDeviceException(
                    $"{server} wants hosts to prove a shared secret: give the secret file (--secret-file FILE or ${RemoteDeviceOptions.SecretFileVariable})");
            }

            if (challenge.Method != AuthenticationMethod.HmacSha256)
            {
                throw new RemoteDeviceException($"{server} asks for authentication method {(byte)challenge.Method}, which this host does not know");
            }

            var hostNonce = HostSecret.NewNonce();
            var proof = secret.HostProof(challenge.Nonce, hostNonce, options.Identity);
            link.ReleaseReply();
            if (!link.TryRequest(new AuthenticateMessage(hostNonce, proof, options.Identity), MessageType.AuthenticateReply, options.Timeout, out frame))
            {
                throw new RemoteDeviceException($"{server} did not accept the proof: {link.Failure}");
            }

            var serverProof = AuthenticateReplyMessage.Parse(frame.Body.Span).Proof;
            if (!HostSecret.ProofsMatch(serverProof, secret.ServerProof(challenge.Nonce, hostNonce, options.Identity)))
            {
                throw new RemoteDeviceException($"{server} did not prove the shared secret: it is not the server this host's secret belongs to");
            }

            if (!link.TryReceiveNext(MessageType.HelloReply, options.Timeout, out frame))
            {
                throw new RemoteDeviceException($"no HelloReply from {server} after authenticating: {link.Failure}");
            }

            return HelloReplyMessage.Parse(frame.Body.Span);
        }
        finally
        {
            link.ReleaseReply();
        }
    }

    /// <summary>The secret of <see cref="RemoteDeviceOptions.SecretFile"/>; null when none is given.</summary>
    public static HostSecret? LoadSecret(RemoteDeviceOptions options)
    {
        if (options.SecretFile is not { } path)
        {
            return null;
        }

        if (!FileIdentity.TryReadSmallFile(path, HostSecret.MaximumLength, out var contents, out var problem)
            || !HostSecret.TryFromFileContents(contents, out var secret, out problem))
        {
            throw new RemoteDeviceException($"secret file {path}: {problem}");
        }

        return secret;
    }
}
