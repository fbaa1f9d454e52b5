using System.Buffers.Binary;
using System.IO.Pipelines;

namespace ChannelTape.Protocol;

/// <summary>
/// One frame as received: its type and body (docs/protocol.md §1). The body is only valid until the
/// next read from the <see cref="FrameReader"/> that produced it.
/// </summary>
public readonly struct Frame(MessageType type, ReadOnlyMemory<byte> body)
{
    /// <summary>Offset of the 4-byte big-endian <c>length</c> field (type + body).</summary>
    public const int LengthOffset = 0;
    /// <summary>Offset of the type byte.</summary>
    public const int TypeOffset = 4;
    /// <summary>Length field plus type byte: the bytes before the body.</summary>
    public const int HeaderSize = 5;
    /// <summary>Size of the length field.</summary>
    public const int LengthSize = 4;
    /// <summary>Default and largest frame length (2 MiB of CCW data + 256).</summary>
    public const int DefaultMaxLength = 2_097_408;
    /// <summary>Smallest maximum frame length a host may announce in Hello (64 KiB + 256).</summary>
    public const int MinimumMaxLength = 65_792;
    /// <summary>
    /// The first byte of a TLS record that starts a handshake (a ClientHello): a frame's first byte is
    /// always 00 (its length is below 2^24), so one port serves both (docs/protocol.md §1.1).
    /// </summary>
    public const byte TlsHandshakeByte = 0x16;

    /// <summary>
    /// Pipe options for reading frames from a socket: a 64 KiB block arrives in one or two reads
    /// instead of sixteen (the default buffer is 4 KiB).
    /// </summary>
    public static StreamPipeReaderOptions ReaderOptions { get; } = new(bufferSize: 256 * 1024, minimumReadSize: 64 * 1024);

    public MessageType Type { get; } = type;

    public ReadOnlyMemory<byte> Body { get; } = body;

    /// <summary>Reads the <c>length</c> field of a frame header.</summary>
    public static uint ReadLength(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadUInt32BigEndian(header[LengthOffset..]);
}
