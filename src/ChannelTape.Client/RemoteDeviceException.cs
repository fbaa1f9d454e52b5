using ChannelTape.Protocol;

namespace ChannelTape.Client;

/// <summary>Connecting to or attaching a remote drive failed; <see cref="Result"/> is the server's refusal, if any.</summary>
public sealed class RemoteDeviceException(string message, AttachResult? result = null, Exception? inner = null)
    : IOException(message, inner)
{
    public AttachResult? Result { get; } = result;
}
