using System.Security.Cryptography;
using System.Text;

namespace ChannelTape.Protocol;

/// <summary>
/// A host's shared secret and the proofs both sides compute from it (docs/protocol.md §2.1): HMAC-SHA256
/// keyed with the secret over a label, the server's nonce, the host's nonce and the identity. The secret
/// itself never travels; a proof is good for one connection only, since each side's nonce is fresh.
/// </summary>
public sealed class HostSecret
{
    /// <summary>Fewest bytes a secret has (128 bits).</summary>
    public const int MinimumLength = 16;

    /// <summary>Most bytes a secret file may hold.</summary>
    public const int MaximumLength = 4096;

    private static readonly byte[] HostLabel = "ChannelTape host proof\0"u8.ToArray();
    private static readonly byte[] ServerLabel = "ChannelTape server proof\0"u8.ToArray();
    private readonly byte[] _key;

    private HostSecret(byte[] key) => _key = key;

    /// <summary>A secret from its bytes; false with the reason when it is too short or too long.</summary>
    public static bool TryCreate(ReadOnlySpan<byte> key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out HostSecret? secret, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        secret = null;
        if (key.Length < MinimumLength || key.Length > MaximumLength)
        {
            error = $"a secret has {MinimumLength} to {MaximumLength} bytes, this one {key.Length}";
            return false;
        }

        secret = new HostSecret(key.ToArray());
        error = null;
        return true;
    }

    /// <summary>
    /// A secret from the contents of a secret file: its bytes without trailing blanks and line ends (so
    /// <c>openssl rand -hex 32 &gt; FILE</c> makes one). Reading the file (a regular file only, at most
    /// <see cref="MaximumLength"/> bytes) is the caller's.
    /// </summary>
    public static bool TryFromFileContents(ReadOnlySpan<byte> contents, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out HostSecret? secret, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        var length = contents.Length;
        while (length > 0 && contents[length - 1] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            length--;
        }

        return TryCreate(contents[..length], out secret, out error);
    }

    /// <summary>A fresh random nonce for one side of one connection.</summary>
    public static byte[] NewNonce() => RandomNumberGenerator.GetBytes(Messages.ChallengeMessage.NonceSize);

    /// <summary>The host's proof: HMAC-SHA256(secret, "ChannelTape host proof" 00 | server nonce | host nonce | identity).</summary>
    public byte[] HostProof(ReadOnlySpan<byte> serverNonce, ReadOnlySpan<byte> hostNonce, string identity) =>
        Proof(HostLabel, serverNonce, hostNonce, identity);

    /// <summary>The server's proof: the same with the label "ChannelTape server proof" 00, so neither proof can stand for the other.</summary>
    public byte[] ServerProof(ReadOnlySpan<byte> serverNonce, ReadOnlySpan<byte> hostNonce, string identity) =>
        Proof(ServerLabel, serverNonce, hostNonce, identity);

    /// <summary>True when <paramref name="proof"/> is <paramref name="expected"/>, compared in constant time.</summary>
    public static bool ProofsMatch(ReadOnlySpan<byte> proof, ReadOnlySpan<byte> expected) =>
        CryptographicOperations.FixedTimeEquals(proof, expected);

    /// <summary>The secret as an HTTP bearer token (hex of its SHA-256), for a management API that uses the same per-host secret.</summary>
    public string BearerToken => Convert.ToHexStringLower(SHA256.HashData(_key));

    private byte[] Proof(byte[] label, ReadOnlySpan<byte> serverNonce, ReadOnlySpan<byte> hostNonce, string identity)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _key);
        hmac.AppendData(label);
        hmac.AppendData(serverNonce);
        hmac.AppendData(hostNonce);
        hmac.AppendData(Encoding.UTF8.GetBytes(identity));
        return hmac.GetHashAndReset();
    }
}
