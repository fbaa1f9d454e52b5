using System.Buffers.Binary;

namespace ChannelTape.Protocol.Messages;

/// <summary>
/// AttachReply (<c>11</c>), server -> host: the identity of the drive the guest sees. With a non-zero
/// <see cref="Result"/> the identity fields are zero and <see cref="Message"/> says why.
/// </summary>
public sealed record AttachReplyMessage(
    AttachResult Result,
    ushort Model,
    byte[] SenseId,
    byte SenseCount,
    byte[] ImmediateCommands,
    bool VolumeLoaded,
    string Message) : IMessage<AttachReplyMessage>
{
    public const int ResultOffset = 0;
    public const int ModelOffset = 1;
    public const int SenseIdCountOffset = 3;
    public const int SenseIdOffset = 4;
    /// <summary>Offsets below are relative to the end of the Sense ID bytes (<c>4 + n</c>).</summary>
    public const int SenseCountOffsetAfterSenseId = 0;
    public const int ImmediateCommandsOffsetAfterSenseId = 1;
    public const int VolumeLoadedOffsetAfterSenseId = 1 + ImmediateCommandMap.Size;
    public const int MessageOffsetAfterSenseId = 2 + ImmediateCommandMap.Size;
    /// <summary>Smallest body: no Sense ID bytes and an empty message.</summary>
    public const int FixedSize = SenseIdOffset + MessageOffsetAfterSenseId + WireString.LengthSize;

    /// <summary>A refusal: result and reason, the identity fields zero.</summary>
    public static AttachReplyMessage Refusal(AttachResult result, string message) =>
        new(result, 0, [], 0, new byte[ImmediateCommandMap.Size], false, message);

    public static MessageType FrameType => MessageType.AttachReply;

    public MessageType Type => FrameType;

    public int BodyLength => SenseIdOffset + SenseId.Length + MessageOffsetAfterSenseId + WireString.SizeOf(Message);

    public void WriteBody(Span<byte> destination)
    {
        if (SenseId.Length > byte.MaxValue || ImmediateCommands.Length != ImmediateCommandMap.Size)
        {
            throw new InvalidOperationException(
                $"AttachReply needs at most 255 Sense ID bytes and a {ImmediateCommandMap.Size}-byte immediate map");
        }

        destination[ResultOffset] = (byte)Result;
        BinaryPrimitives.WriteUInt16BigEndian(destination[ModelOffset..], Model);
        destination[SenseIdCountOffset] = (byte)SenseId.Length;
        SenseId.CopyTo(destination[SenseIdOffset..]);
        var rest = destination[(SenseIdOffset + SenseId.Length)..];
        rest[SenseCountOffsetAfterSenseId] = SenseCount;
        ImmediateCommands.CopyTo(rest[ImmediateCommandsOffsetAfterSenseId..]);
        rest[VolumeLoadedOffsetAfterSenseId] = VolumeLoaded ? (byte)1 : (byte)0;
        WireString.Write(rest[MessageOffsetAfterSenseId..], Message);
    }

    public static AttachReplyMessage Parse(ReadOnlySpan<byte> body)
    {
        if (body.Length < FixedSize)
        {
            throw ProtocolException.Short(FrameType, FixedSize, body.Length);
        }

        int senseIdLength = body[SenseIdCountOffset];
        if (body.Length < FixedSize + senseIdLength)
        {
            throw ProtocolException.Short(FrameType, FixedSize + senseIdLength, body.Length);
        }

        var rest = body[(SenseIdOffset + senseIdLength)..];
        return new AttachReplyMessage(
            (AttachResult)body[ResultOffset],
            BinaryPrimitives.ReadUInt16BigEndian(body[ModelOffset..]),
            body.Slice(SenseIdOffset, senseIdLength).ToArray(),
            rest[SenseCountOffsetAfterSenseId],
            rest.Slice(ImmediateCommandsOffsetAfterSenseId, ImmediateCommandMap.Size).ToArray(),
            rest[VolumeLoadedOffsetAfterSenseId] != 0,
            WireString.Read(rest[MessageOffsetAfterSenseId..], FrameType, out _));
    }

    /// <summary>Field-by-field equality, comparing the byte fields by content.</summary>
    public bool Equals(AttachReplyMessage? other) =>
        other is not null
        && Result == other.Result
        && Model == other.Model
        && SenseId.AsSpan().SequenceEqual(other.SenseId)
        && SenseCount == other.SenseCount
        && ImmediateCommands.AsSpan().SequenceEqual(other.ImmediateCommands)
        && VolumeLoaded == other.VolumeLoaded
        && Message == other.Message;

    public override int GetHashCode() => HashCode.Combine(Result, Model, SenseId.Length, SenseCount, VolumeLoaded, Message);
}
