using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using ChannelTape.Channel;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;

namespace ChannelTape.Server.Tests;

/// <summary>Every message of docs/protocol.md §3: layout, round trip, parse inside a larger buffer, short bodies.</summary>
public class MessageTests
{
    public static TheoryData<string> Messages => new(s_messages.Keys);

    private static readonly Dictionary<string, (IMessage Message, Func<byte[], object> Parse, int FixedSize)> s_messages = new()
    {
        ["Hello"] = (new HelloMessage(65_792, "hdtctape 3.13"), b => HelloMessage.Parse(b), HelloMessage.FixedSize),
        ["HelloReply"] = (new HelloReplyMessage(1, 2_097_408, "ChannelTape 1.0"), b => HelloReplyMessage.Parse(b), HelloReplyMessage.FixedSize),
        ["Attach"] = (new AttachMessage(0x0580, 0x3490, AttachFlags.TakeOver, "/tapes/a.aws ro maxsizeK=100"), b => AttachMessage.Parse(b), AttachMessage.FixedSize),
        ["AttachReply"] = (new AttachReplyMessage(AttachResult.Attached, 0x3490, [0xFF, 0x34, 0x90, 0x50, 0x34, 0x90, 0x50], 32,
            ImmediateCommandMap.Build(op => op is 0x03 or 0x07 or 0x0F), true, "T00001 [1:00000003] IBM 3490 R/W"),
            b => AttachReplyMessage.Parse(b), AttachReplyMessage.FixedSize),
        ["AttachReply refusal"] = (AttachReplyMessage.Refusal(AttachResult.ModelMismatch, "drive 0580 is a 3490, not a 3480"),
            b => AttachReplyMessage.Parse(b), AttachReplyMessage.FixedSize),
        ["Halt"] = (new HaltMessage(), b => HaltMessage.Parse(b), 0),
        ["Unsolicited"] = (new UnsolicitedMessage(UnitStatus.DeviceEnd), b => UnsolicitedMessage.Parse(b), UnsolicitedMessage.FixedSize),
        ["Mount"] = (new MountMessage("/tapes/vol 2.aws ro"), b => MountMessage.Parse(b), MountMessage.FixedSize),
        ["MountReply"] = (new MountReplyMessage(MountResult.Refused, "cannot open: no such file"), b => MountReplyMessage.Parse(b), MountReplyMessage.FixedSize),
        ["Query"] = (new QueryMessage(), b => QueryMessage.Parse(b), 0),
        ["QueryReply"] = (new QueryReplyMessage("* (unloaded) \u00e9\u20ac"), b => QueryReplyMessage.Parse(b), QueryReplyMessage.FixedSize),
        ["Ping"] = (new PingMessage(0x0123_4567_89AB_CDEF), b => PingMessage.Parse(b), PingMessage.FixedSize),
        ["Pong"] = (new PongMessage(ulong.MaxValue), b => PongMessage.Parse(b), PongMessage.FixedSize),
        ["Close"] = (new CloseMessage(CloseReason.TakenOver, "taken over"), b => CloseMessage.Parse(b), CloseMessage.FixedSize),
        ["Error"] = (new ErrorMessage(ProtocolErrorCode.FrameTooLong, "frame length 3000000 exceeds the maximum"), b => ErrorMessage.Parse(b), ErrorMessage.FixedSize),
    };

    [Theory]
    [MemberData(nameof(Messages))]
    public void Message_round_trips_at_offset_0_and_inside_a_larger_buffer(string name)
    {
        var (message, parse, _) = s_messages[name];
        var frame = FrameWriter.ToArray(message);

        Assert.Equal((uint)(frame.Length - Frame.LengthSize), BinaryPrimitives.ReadUInt32BigEndian(frame));
        Assert.Equal((byte)message.Type, frame[Frame.TypeOffset]);
        var body = frame[Frame.HeaderSize..];
        Assert.Equal(message, parse(body));

        var larger = new byte[body.Length + 23];
        larger.AsSpan().Fill(0xEE);
        body.CopyTo(larger, 9);
        Assert.Equal(message, parse(larger.AsSpan(9, body.Length).ToArray()));

        var writer = new ArrayBufferWriter<byte>();
        writer.Write<byte>([0xAA, 0xBB, 0xCC]);
        FrameWriter.Write(writer, message);
        Assert.Equal(frame, writer.WrittenSpan[3..].ToArray());
    }

    [Theory]
    [MemberData(nameof(Messages))]
    public void Body_shorter_than_its_fixed_fields_is_a_malformed_frame(string name)
    {
        var (message, parse, fixedSize) = s_messages[name];
        var body = FrameWriter.ToArray(message)[Frame.HeaderSize..];
        for (var length = 0; length < fixedSize; length++)
        {
            var e = Assert.Throws<ProtocolException>(() => parse(body[..length]));
            Assert.Equal(ProtocolErrorCode.MalformedFrame, e.Code);
        }
    }

    [Fact]
    public void Strings_cut_short_are_malformed()
    {
        var body = FrameWriter.ToArray(new MountMessage("abcdef"))[Frame.HeaderSize..];
        var e = Assert.Throws<ProtocolException>(() => MountMessage.Parse(body[..^1]));
        Assert.Equal(ProtocolErrorCode.MalformedFrame, e.Code);
    }

    [Fact]
    public void Strings_that_are_not_utf8_are_malformed()
    {
        byte[] body = [0x00, 0x02, 0xC3, 0x28];
        var e = Assert.Throws<ProtocolException>(() => MountMessage.Parse(body));
        Assert.Equal(ProtocolErrorCode.MalformedFrame, e.Code);
    }

    [Fact]
    public void Hello_has_the_documented_layout()
    {
        var frame = FrameWriter.ToArray(new HelloMessage(0, "hdt"));

        byte[] expected = [0x00, 0x00, 0x00, 0x10, 0x01, 0x43, 0x54, 0x41, 0x50, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, (byte)'h', (byte)'d', (byte)'t'];
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void AttachReply_has_the_documented_layout()
    {
        var map = ImmediateCommandMap.Build(op => op is 0x07 or 0x0F);
        var frame = FrameWriter.ToArray(new AttachReplyMessage(AttachResult.Attached, 0x3490, [0xFF, 0x34, 0x90, 0x50, 0x34, 0x90, 0x50], 32, map, true, "ok"));

        var body = frame[Frame.HeaderSize..];
        Assert.Equal(0x11, frame[4]);
        Assert.Equal([0x00, 0x34, 0x90, 0x07, 0xFF, 0x34, 0x90, 0x50, 0x34, 0x90, 0x50, 32], body[..12]);
        // bit 7 - (op % 8) of byte op / 8: 07 -> byte 0 bit 0 (01), 0F -> byte 1 bit 0 (01).
        Assert.Equal([0x01, 0x01, 0x00], body[12..15]);
        Assert.Equal(1, body[4 + 7 + 1 + 32]);
        Assert.Equal([0x00, 0x02, (byte)'o', (byte)'k'], body[(4 + 7 + 2 + 32)..]);
    }

    [Fact]
    public void Immediate_map_marks_exactly_the_given_commands()
    {
        var map = ImmediateCommandMap.Build(op => op % 3 == 0);
        for (var op = 0; op < 256; op++)
        {
            Assert.Equal(op % 3 == 0, ImmediateCommandMap.IsImmediate(map, (byte)op));
        }
    }

    [Fact]
    public void Ccw_round_trips_with_its_data_and_has_the_documented_layout()
    {
        byte[] data = [1, 2, 3, 4, 5];
        var frame = FrameWriter.ToArray(new CcwMessage(0x01, CcwFlags.ChainCommand | CcwFlags.SuppressLength, CcwFlags.ChainData, 0x02, 7, 5, data));

        byte[] expected = [0x00, 0x00, 0x00, 0x12, 0x20, 0x01, 0x60, 0x80, 0x02, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x05, 1, 2, 3, 4, 5];
        Assert.Equal(expected, frame);
        var larger = new byte[frame.Length + 10];
        frame.CopyTo(larger, 4);
        foreach (var body in new[] { frame[Frame.HeaderSize..], larger[(4 + Frame.HeaderSize)..(4 + frame.Length)] })
        {
            var parsed = CcwMessage.Parse(body);
            Assert.Equal(0x01, parsed.Command);
            Assert.Equal(CcwFlags.ChainCommand | CcwFlags.SuppressLength, parsed.Flags);
            Assert.Equal(CcwFlags.ChainData, parsed.PreviousFlags);
            Assert.Equal(0x02, parsed.PreviousCommand);
            Assert.Equal(7u, parsed.Sequence);
            Assert.Equal(5u, parsed.Count);
            Assert.Equal(data, parsed.Data.ToArray());
        }
    }

    [Fact]
    public void Ccw_without_data_parses_with_its_count()
    {
        var body = FrameWriter.ToArray(new CcwMessage(0x02, CcwFlags.None, CcwFlags.None, 0, 0, 65535, default))[Frame.HeaderSize..];

        var parsed = CcwMessage.Parse(body);

        Assert.Equal(65535u, parsed.Count);
        Assert.True(parsed.Data.IsEmpty);
    }

    [Fact]
    public void Ccw_with_data_not_matching_its_count_is_malformed()
    {
        var body = FrameWriter.ToArray(new CcwMessage(0x01, CcwFlags.None, CcwFlags.None, 0, 0, 6, [1, 2, 3, 4, 5]))[Frame.HeaderSize..];

        var e = Assert.Throws<ProtocolException>(() => CcwMessage.Parse(body));
        Assert.Equal(ProtocolErrorCode.MalformedFrame, e.Code);
        for (var length = 0; length < CcwMessage.FixedSize; length++)
        {
            Assert.Equal(ProtocolErrorCode.MalformedFrame, Assert.Throws<ProtocolException>(() => CcwMessage.Parse(body[..length])).Code);
        }
    }

    [Fact]
    public void CcwReply_round_trips_sense_and_data_and_has_the_documented_layout()
    {
        byte[] sense = Enumerable.Range(0x40, 32).Select(i => (byte)i).ToArray();
        byte[] data = [9, 8, 7];
        var frame = FrameWriter.ToArray(new CcwReplyMessage(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck, CcwReplyFlags.More, 0x0102_0304, sense, data));

        Assert.Equal([0x00, 0x00, 0x00, 0x2B, 0x21, 0x0E, 0x01, 0x01, 0x02, 0x03, 0x04, 0x20], frame[..12]);
        Assert.Equal(sense, frame[12..44]);
        Assert.Equal(data, frame[44..]);
        var larger = new byte[frame.Length + 3];
        frame.CopyTo(larger, 1);
        foreach (var body in new[] { frame[Frame.HeaderSize..], larger[(1 + Frame.HeaderSize)..(1 + frame.Length)] })
        {
            var parsed = CcwReplyMessage.Parse(body);
            Assert.Equal(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck, parsed.Status);
            Assert.Equal(CcwReplyFlags.More, parsed.Flags);
            Assert.Equal(0x0102_0304u, parsed.Residual);
            Assert.Equal(sense, parsed.Sense.ToArray());
            Assert.Equal(data, parsed.Data.ToArray());
        }
    }

    [Fact]
    public void CcwReply_with_sense_count_beyond_the_body_is_malformed()
    {
        var body = FrameWriter.ToArray(new CcwReplyMessage(UnitStatus.UnitCheck, CcwReplyFlags.None, 0, new byte[24], default))[Frame.HeaderSize..];

        for (var length = 0; length < body.Length; length++)
        {
            Assert.Equal(ProtocolErrorCode.MalformedFrame, Assert.Throws<ProtocolException>(() => CcwReplyMessage.Parse(body[..length])).Code);
        }
    }

    [Fact]
    public void A_string_longer_than_64_KiB_is_cut_at_a_character_boundary()
    {
        var text = new string('a', 65534) + "\u20ac\u20ac";
        var body = FrameWriter.ToArray(new QueryReplyMessage(text))[Frame.HeaderSize..];

        var parsed = QueryReplyMessage.Parse(body);

        Assert.Equal(new string('a', 65534), parsed.Text);
        Assert.Equal(65534, Encoding.UTF8.GetByteCount(parsed.Text));
    }

    [Fact]
    public void Writer_refuses_a_frame_above_the_maximum()
    {
        var data = new byte[70_000];
        Assert.Throws<InvalidOperationException>(() =>
            FrameWriter.ToArray(new CcwMessage(0x01, CcwFlags.None, CcwFlags.None, 0, 0, (uint)data.Length, data), Frame.MinimumMaxLength));
    }
}
