using System.Buffers.Binary;
using ChannelTape.Channel;

namespace ChannelTape.Protocol.Messages;

/// <summary>
/// Ccw (<c>20</c>), host -> server: one CCW as Hercules' channel hands it to the device handler, and
/// its output data (exactly <see cref="Count"/> bytes for write-type and control commands with data,
/// else empty). <see cref="Data"/> points into the frame it was parsed from.
/// </summary>
public readonly ref struct CcwMessage : IMessage<CcwMessage>
{
    public const int CommandOffset = 0;
    public const int FlagsOffset = 1;
    public const int PreviousFlagsOffset = 2;
    public const int PreviousCommandOffset = 3;
    public const int SequenceOffset = 4;
    public const int CountOffset = 8;
    public const int DataOffset = 12;
    public const int FixedSize = DataOffset;

    public CcwMessage(byte command, CcwFlags flags, CcwFlags previousFlags, byte previousCommand, uint sequence, uint count,
        ReadOnlySpan<byte> data)
    {
        Command = command;
        Flags = flags;
        PreviousFlags = previousFlags;
        PreviousCommand = previousCommand;
        Sequence = sequence;
        Count = count;
        Data = data;
    }

    public byte Command { get; }
    public CcwFlags Flags { get; }
    /// <summary>Chaining flags (CD, CC) of the previous CCW; none for the first of a program.</summary>
    public CcwFlags PreviousFlags { get; }
    public byte PreviousCommand { get; }
    /// <summary>Number of this CCW in its channel program; 0 starts a new program.</summary>
    public uint Sequence { get; }
    public uint Count { get; }
    public ReadOnlySpan<byte> Data { get; }

    public static MessageType FrameType => MessageType.Ccw;

    public MessageType Type => FrameType;

    public int BodyLength => DataOffset + Data.Length;

    public void WriteBody(Span<byte> destination)
    {
        destination[CommandOffset] = Command;
        destination[FlagsOffset] = (byte)Flags;
        destination[PreviousFlagsOffset] = (byte)PreviousFlags;
        destination[PreviousCommandOffset] = PreviousCommand;
        BinaryPrimitives.WriteUInt32BigEndian(destination[SequenceOffset..], Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(destination[CountOffset..], Count);
        Data.CopyTo(destination[DataOffset..]);
    }

    /// <summary>Parses a body; data present must be exactly <see cref="Count"/> bytes.</summary>
    public static CcwMessage Parse(ReadOnlySpan<byte> body) => ParseBody(body, FrameType);

    /// <summary>Parses a Ccw body carried by a frame of <paramref name="type"/> (Ccw, BufferedCcw) for its messages.</summary>
    internal static CcwMessage ParseBody(ReadOnlySpan<byte> body, MessageType type)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(type, FixedSize, body.Length);
        }

        var count = BinaryPrimitives.ReadUInt32BigEndian(body[CountOffset..]);
        var data = body[DataOffset..];
        if (data.Length != 0 && (uint)data.Length != count)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                $"{type} carries {data.Length} data bytes for a count of {count} (must be 0 or the count)");
        }

        return new CcwMessage(
            body[CommandOffset],
            (CcwFlags)body[FlagsOffset],
            (CcwFlags)body[PreviousFlagsOffset],
            body[PreviousCommandOffset],
            BinaryPrimitives.ReadUInt32BigEndian(body[SequenceOffset..]),
            count,
            data);
    }
}
