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
        ["Hello asking for features"] = (new HelloMessage(0, "hdt", ProtocolFeatures.WriteBehind | ProtocolFeatures.ReadAhead),
            b => HelloMessage.Parse(b), HelloMessage.FixedSize),
        ["HelloReply"] = (new HelloReplyMessage(1, 2_097_408, "ChannelTape 1.0"), b => HelloReplyMessage.Parse(b), HelloReplyMessage.FixedSize),
        ["HelloReply granting features"] = (new HelloReplyMessage(1, 65_792, "ChannelTape", ProtocolFeatures.ReadAhead),
            b => HelloReplyMessage.Parse(b), HelloReplyMessage.FixedSize),
        ["ReadAheadEnd"] = (new ReadAheadEndMessage(0x0102_0304, ReadAheadEndFlags.ProgramStarted), b => ReadAheadEndMessage.Parse(b), ReadAheadEndMessage.FixedSize),
        ["ReadAheadEnd stopping references"] = (new ReadAheadEndMessage(3, ReadAheadEndFlags.ProgramStarted | ReadAheadEndFlags.StopReferences),
            b => ReadAheadEndMessage.Parse(b), ReadAheadEndMessage.FixedSize),
        ["ReadAheadImage"] = (new ReadAheadImageMessage("/var/tapes/T00001 \u00e9.aws"), b => ReadAheadImageMessage.Parse(b), ReadAheadImageMessage.FixedSize),
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

    [Theory]
    [InlineData(0x7u, 0x7u, 0x7u)]
    [InlineData(0x7u, 0x3u, 0x3u)]     // a server that does not grant 04
    [InlineData(0x5u, 0x7u, 0x1u)]     // 04 without 02 is not in effect
    [InlineData(0x7u, 0x5u, 0x1u)]
    [InlineData(0xFFu, 0xFFu, 0x7u)]   // unknown bits are dropped
    [InlineData(0x2u, 0x1u, 0x0u)]
    public void Features_in_effect_are_those_both_sides_name_with_references_only_beside_read_ahead(uint offered, uint accepted, uint expected)
    {
        Assert.Equal((ProtocolFeatures)expected, ProtocolFeatureRules.Agree((ProtocolFeatures)offered, (ProtocolFeatures)accepted));
        Assert.Equal((ProtocolFeatures)expected, ProtocolFeatureRules.Agree((ProtocolFeatures)accepted, (ProtocolFeatures)offered));
    }

    [Fact]
    public void Hello_has_the_documented_layout()
    {
        var frame = FrameWriter.ToArray(new HelloMessage(0, "hdt", ProtocolFeatures.ReadAhead));

        byte[] expected = [0x00, 0x00, 0x00, 0x14, 0x01, 0x43, 0x54, 0x41, 0x50, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, (byte)'h', (byte)'d', (byte)'t',
            0x00, 0x00, 0x00, 0x02];
        Assert.Equal(expected, frame);
    }

    [Fact]
    public void Hello_and_HelloReply_without_the_features_field_ask_and_grant_none()
    {
        // A peer from before docs/protocol.md §5 ends both messages after the name.
        byte[] hello = [0x43, 0x54, 0x41, 0x50, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, (byte)'h', (byte)'d', (byte)'t'];
        byte[] reply = [0x00, 0x01, 0x00, 0x01, 0x01, 0x00, 0x00, 0x01, (byte)'s'];

        Assert.Equal(new HelloMessage(0, "hdt"), HelloMessage.Parse(hello));
        Assert.Equal(new HelloReplyMessage(1, 65_792, "s"), HelloReplyMessage.Parse(reply));
    }

    [Fact]
    public void A_features_field_cut_short_is_malformed()
    {
        var hello = FrameWriter.ToArray(new HelloMessage(0, "hdt", ProtocolFeatures.WriteBehind))[Frame.HeaderSize..];
        var reply = FrameWriter.ToArray(new HelloReplyMessage(1, 0, "s", ProtocolFeatures.WriteBehind))[Frame.HeaderSize..];

        for (var cut = 1; cut < FeatureField.Size; cut++)
        {
            Assert.Equal(ProtocolErrorCode.MalformedFrame, Assert.Throws<ProtocolException>(() => HelloMessage.Parse(hello[..^cut])).Code);
            Assert.Equal(ProtocolErrorCode.MalformedFrame, Assert.Throws<ProtocolException>(() => HelloReplyMessage.Parse(reply[..^cut])).Code);
        }
    }

    [Fact]
    public void CcwReply_with_a_write_credit_carries_it_between_sense_and_data()
    {
        byte[] sense = Enumerable.Range(1, 24).Select(i => (byte)i).ToArray();
        byte[] data = [7, 7];
        var frame = FrameWriter.ToArray(new CcwReplyMessage(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck,
            CcwReplyFlags.WriteCredit | CcwReplyFlags.More, 3, sense, data, 0x0080_0000));

        var body = frame[Frame.HeaderSize..];
        Assert.Equal(0x03, body[CcwReplyMessage.FlagsOffset]);
        Assert.Equal([0x00, 0x80, 0x00, 0x00], body[(7 + 24)..(7 + 24 + 4)]);
        Assert.Equal(data, body[(7 + 24 + 4)..]);
        var parsed = CcwReplyMessage.Parse(body);
        Assert.True(parsed.HasWriteCredit);
        Assert.Equal(0x0080_0000u, parsed.WriteCredit);
        Assert.Equal(sense, parsed.Sense.ToArray());
        Assert.Equal(data, parsed.Data.ToArray());
        for (var length = 0; length < 7 + 24 + 4; length++)
        {
            Assert.Equal(ProtocolErrorCode.MalformedFrame, Assert.Throws<ProtocolException>(() => CcwReplyMessage.Parse(body[..length])).Code);
        }
    }

    [Fact]
    public void CcwReply_without_the_credit_flag_has_no_credit_and_writes_none()
    {
        var frame = FrameWriter.ToArray(new CcwReplyMessage(UnitStatus.ChannelEndDeviceEnd, CcwReplyFlags.None, 0, default, [1, 2], writeCredit: 99));

        Assert.Equal([0x08 | 0x04, 0x00, 0, 0, 0, 0, 0, 1, 2], frame[Frame.HeaderSize..]);
        var parsed = CcwReplyMessage.Parse(frame[Frame.HeaderSize..]);
        Assert.False(parsed.HasWriteCredit);
        Assert.Equal(0u, parsed.WriteCredit);
    }

    [Fact]
    public void BufferedCcw_has_the_Ccw_layout_under_its_own_type_and_needs_its_data()
    {
        byte[] data = [1, 2, 3];
        var frame = FrameWriter.ToArray(new BufferedCcwMessage(new CcwMessage(0x01, CcwFlags.ChainCommand, CcwFlags.ChainCommand, 0x01, 4, 3, data)));

        Assert.Equal(0x24, frame[Frame.TypeOffset]);
        Assert.Equal([0x01, 0x40, 0x40, 0x01, 0, 0, 0, 4, 0, 0, 0, 3, 1, 2, 3], frame[Frame.HeaderSize..]);
        var parsed = BufferedCcwMessage.Parse(frame[Frame.HeaderSize..]).Ccw;
        Assert.Equal((byte)0x01, parsed.Command);
        Assert.Equal(4u, parsed.Sequence);
        Assert.Equal(data, parsed.Data.ToArray());

        var body = frame[Frame.HeaderSize..];
        for (var length = 0; length < body.Length; length++)
        {
            // Short fixed fields, data shorter than the count, and no data at all are all malformed.
            Assert.Equal(ProtocolErrorCode.MalformedFrame, Assert.Throws<ProtocolException>(() => BufferedCcwMessage.Parse(body[..length])).Code);
        }
    }

    [Fact]
    public void ReadAhead_round_trips_blocks_with_their_true_length_and_at_most_65535_bytes_each()
    {
        var big = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7)).ToArray();
        byte[] small = [0xC1, 0xC2];
        var entries = new byte[ReadAheadMessage.EntrySize(big.Length) + ReadAheadMessage.EntrySize(small.Length)];
        var used = ReadAheadMessage.WriteEntry(entries, big.Length, big);
        used += ReadAheadMessage.WriteEntry(entries.AsSpan(used), small.Length, small);
        Assert.Equal(entries.Length, used);

        var frame = FrameWriter.ToArray(new ReadAheadMessage(2, entries));

        var body = frame[Frame.HeaderSize..];
        Assert.Equal(0x25, frame[Frame.TypeOffset]);
        Assert.Equal([0x00, 0x02, 0x00, 0x01, 0x11, 0x70], body[..6]);
        var blocks = new List<(uint Length, byte[] Data)>();
        foreach (var block in ReadAheadMessage.Parse(body))
        {
            blocks.Add((block.Length, block.Data.ToArray()));
        }

        Assert.Equal(2, blocks.Count);
        Assert.Equal(70_000u, blocks[0].Length);
        Assert.Equal(big[..65535], blocks[0].Data);
        Assert.Equal(2u, blocks[1].Length);
        Assert.Equal(small, blocks[1].Data);
    }

    [Fact]
    public void ReadAhead_that_is_empty_cut_short_or_has_bytes_left_over_is_malformed()
    {
        var entries = new byte[ReadAheadMessage.EntrySize(3)];
        ReadAheadMessage.WriteEntry(entries, 3, [1, 2, 3]);
        var body = FrameWriter.ToArray(new ReadAheadMessage(1, entries))[Frame.HeaderSize..];

        for (var length = 0; length < body.Length; length++)
        {
            Assert.Equal(ProtocolErrorCode.MalformedFrame, Assert.Throws<ProtocolException>(() => ReadAheadMessage.Parse(body[..length])).Code);
        }

        Assert.Equal(ProtocolErrorCode.MalformedFrame, Assert.Throws<ProtocolException>(() => ReadAheadMessage.Parse([.. body, 0])).Code);
        Assert.Equal(ProtocolErrorCode.MalformedFrame, Assert.Throws<ProtocolException>(() => ReadAheadMessage.Parse([0, 0])).Code);
        Assert.Equal(ProtocolErrorCode.MalformedFrame, Assert.Throws<ProtocolException>(() => ReadAheadMessage.Parse([0, 2, .. body[2..]])).Code);
    }

    [Fact]
    public void Every_type_of_section_5_is_known()
    {
        Assert.True(MessageTypes.IsKnown(0x24));
        Assert.True(MessageTypes.IsKnown(0x25));
        Assert.True(MessageTypes.IsKnown(0x26));
        Assert.True(MessageTypes.IsKnown(0x28));
        Assert.False(MessageTypes.IsKnown(0x23));
        Assert.False(MessageTypes.IsKnown(0x27));
        Assert.False(MessageTypes.IsKnown(0x29));
    }

    [Fact]
    public void ReadAhead_mixes_inline_and_reference_entries_with_the_documented_layout()
    {
        byte[] small = [0xC1, 0xC2, 0xC3];
        var entries = new byte[ReadAheadMessage.ReferenceEntrySize + ReadAheadMessage.EntrySize(small.Length) + ReadAheadMessage.ReferenceEntrySize];
        var used = ReadAheadMessage.WriteReferenceEntry(entries, 0x7FFF_FFFF, 0x0102_0304_0506_0708);
        used += ReadAheadMessage.WriteEntry(entries.AsSpan(used), small.Length, small);
        used += ReadAheadMessage.WriteReferenceEntry(entries.AsSpan(used), 1, 0);
        Assert.Equal(entries.Length, used);

        var body = FrameWriter.ToArray(new ReadAheadMessage(3, entries))[Frame.HeaderSize..];

        Assert.Equal([0x00, 0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x00, 0x00, 0x00, 0x03, 0xC1, 0xC2, 0xC3,
            0x80, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0], body);
        var blocks = new List<(uint Length, bool IsReference, long Offset, byte[] Data)>();
        foreach (var block in ReadAheadMessage.Parse(body))
        {
            blocks.Add((block.Length, block.IsReference, block.ImageOffset, block.Data.ToArray()));
        }

        Assert.Equal([(0x7FFF_FFFFu, true, 0x0102_0304_0506_0708L, Array.Empty<byte>()), (3u, false, -1L, small), (1u, true, 0L, Array.Empty<byte>())],
            blocks.Select(b => (b.Length, b.IsReference, b.Offset, b.Data)).ToList(), new BlockComparer());
    }

    [Fact]
    public void ReadAhead_reference_of_0_bytes_cut_short_or_beyond_2_to_the_63_is_malformed()
    {
        var entries = new byte[ReadAheadMessage.ReferenceEntrySize];
        ReadAheadMessage.WriteReferenceEntry(entries, 80, 4096);
        var body = FrameWriter.ToArray(new ReadAheadMessage(1, entries))[Frame.HeaderSize..];
        Assert.Equal(80u, Single(body).Length);

        for (var length = 0; length < body.Length; length++)
        {
            Assert.Equal(ProtocolErrorCode.MalformedFrame, Assert.Throws<ProtocolException>(() => ReadAheadMessage.Parse(body[..length])).Code);
        }

        byte[] zero = [0x00, 0x01, 0x80, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0x10, 0x00];
        Assert.Equal(ProtocolErrorCode.MalformedFrame, Assert.Throws<ProtocolException>(() => ReadAheadMessage.Parse(zero)).Code);
        byte[] huge = [0x00, 0x01, 0x80, 0x00, 0x00, 0x50, 0x80, 0, 0, 0, 0, 0, 0, 0];
        Assert.Equal(ProtocolErrorCode.MalformedFrame, Assert.Throws<ProtocolException>(() => ReadAheadMessage.Parse(huge)).Code);
        byte[] largest = [0x00, 0x01, 0x80, 0x00, 0x00, 0x50, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        Assert.Equal(long.MaxValue, Single(largest).ImageOffset);
        Assert.Equal(ProtocolErrorCode.MalformedFrame, Assert.Throws<ProtocolException>(() => ReadAheadMessage.Parse([.. body, 0])).Code);
        Assert.Throws<ArgumentOutOfRangeException>(() => ReadAheadMessage.WriteReferenceEntry(new byte[12], 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ReadAheadMessage.WriteReferenceEntry(new byte[12], 1, -1));

        static (uint Length, long ImageOffset) Single(byte[] body)
        {
            var blocks = new List<(uint, long)>();
            foreach (var block in ReadAheadMessage.Parse(body))
            {
                blocks.Add((block.Length, block.ImageOffset));
            }

            return Assert.Single(blocks);
        }
    }

    [Fact]
    public void ReadAheadImage_carries_one_absolute_path_and_a_relative_one_is_malformed()
    {
        var frame = FrameWriter.ToArray(new ReadAheadImageMessage("/t/a.aws"));

        Assert.Equal([0x00, 0x00, 0x00, 0x0B, 0x28, 0x00, 0x08, (byte)'/', (byte)'t', (byte)'/', (byte)'a', (byte)'.', (byte)'a', (byte)'w', (byte)'s'], frame);
        var relative = FrameWriter.ToArray(new ReadAheadImageMessage("t/a.aws"))[Frame.HeaderSize..];
        Assert.Equal(ProtocolErrorCode.MalformedFrame, Assert.Throws<ProtocolException>(() => ReadAheadImageMessage.Parse(relative)).Code);
        Assert.Equal(ProtocolErrorCode.MalformedFrame, Assert.Throws<ProtocolException>(() => ReadAheadImageMessage.Parse(frame[Frame.HeaderSize..^1])).Code);
    }

    private sealed class BlockComparer : IEqualityComparer<(uint, bool, long, byte[])>
    {
        public bool Equals((uint, bool, long, byte[]) x, (uint, bool, long, byte[]) y) =>
            x.Item1 == y.Item1 && x.Item2 == y.Item2 && x.Item3 == y.Item3 && x.Item4.AsSpan().SequenceEqual(y.Item4);

        public int GetHashCode((uint, bool, long, byte[]) obj) => obj.Item1.GetHashCode();
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
