using System.Buffers.Binary;

namespace ChannelTape.Protocol;

/// <summary>
/// The optional trailing <c>u32 features</c> of Hello and HelloReply (docs/protocol.md §3, §5): absent
/// in a peer that predates §5, which reads as <see cref="ProtocolFeatures.None"/>.
/// </summary>
public static class FeatureField
{
    public const int Size = sizeof(uint);

    /// <summary>Reads the field from what follows the fixed fields; empty = none, 1-3 bytes is malformed.</summary>
    public static ProtocolFeatures Read(ReadOnlySpan<byte> rest, MessageType type)
    {
        if (rest.IsEmpty)
        {
            return ProtocolFeatures.None;
        }

        if (rest.Length < Size)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                $"{type}: features field cut short ({rest.Length} of {Size} bytes)");
        }

        return (ProtocolFeatures)BinaryPrimitives.ReadUInt32BigEndian(rest);
    }

    public static void Write(Span<byte> destination, ProtocolFeatures features) =>
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)features);
}
