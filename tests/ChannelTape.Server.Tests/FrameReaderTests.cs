using System.IO.Pipelines;
using ChannelTape.Channel;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;

namespace ChannelTape.Server.Tests;

/// <summary>The frame reader over a pipe: split frames, bad lengths and types, a stream that ends inside a frame.</summary>
public class FrameReaderTests
{
    private static readonly byte[] s_stream =
    [
        .. FrameWriter.ToArray(new HelloMessage(0, "host")),
        .. FrameWriter.ToArray(new CcwMessage(0x01, CcwFlags.None, CcwFlags.None, 0, 0, 300, Enumerable.Range(0, 300).Select(i => (byte)i).ToArray())),
        .. FrameWriter.ToArray(new HaltMessage()),
        .. FrameWriter.ToArray(new PingMessage(42)),
    ];

    [Fact]
    public async Task Frames_split_at_every_byte_offset_are_read_whole_and_in_order()
    {
        for (var split = 0; split <= s_stream.Length; split++)
        {
            var pipe = new Pipe();
            var reader = new FrameReader(pipe.Reader);
            await pipe.Writer.WriteAsync(s_stream.AsMemory(0, split));
            var pending = ReadAllAsync(reader);
            await pipe.Writer.WriteAsync(s_stream.AsMemory(split));
            await pipe.Writer.CompleteAsync();

            var frames = await pending;

            Assert.Equal([MessageType.Hello, MessageType.Ccw, MessageType.Halt, MessageType.Ping], frames.Select(f => f.Type));
            Assert.Equal("host", HelloMessage.Parse(frames[0].Body).HostName);
            Assert.Equal(Enumerable.Range(0, 300).Select(i => (byte)i), CcwMessage.Parse(frames[1].Body).Data.ToArray());
            Assert.Empty(frames[2].Body);
            Assert.Equal(42ul, PingMessage.Parse(frames[3].Body).Token);
        }
    }

    [Fact]
    public async Task Frames_arriving_one_byte_at_a_time_are_read_whole()
    {
        var pipe = new Pipe();
        var pending = ReadAllAsync(new FrameReader(pipe.Reader));
        foreach (var b in s_stream)
        {
            await pipe.Writer.WriteAsync(new[] { b });
        }

        await pipe.Writer.CompleteAsync();

        Assert.Equal(4, (await pending).Count);
    }

    [Fact]
    public async Task Stream_ending_inside_a_frame_at_any_offset_is_a_truncated_frame()
    {
        var frame = FrameWriter.ToArray(new MountMessage("/tapes/a.aws"));
        for (var length = 1; length < frame.Length; length++)
        {
            var e = await Assert.ThrowsAsync<ProtocolException>(() => ReadAllAsync(Reader(frame[..length])));
            Assert.Equal(ProtocolErrorCode.MalformedFrame, e.Code);
            Assert.Contains("closed inside a frame", e.Message);
        }
    }

    [Fact]
    public async Task Stream_ending_between_frames_is_a_clean_end()
    {
        Assert.Empty(await ReadAllAsync(Reader([])));
    }

    [Fact]
    public async Task Zero_length_is_a_malformed_frame()
    {
        var e = await Assert.ThrowsAsync<ProtocolException>(() => ReadAllAsync(Reader([0, 0, 0, 0, 0x50])));
        Assert.Equal(ProtocolErrorCode.MalformedFrame, e.Code);
    }

    [Fact]
    public async Task Oversized_length_is_refused_from_the_length_field_alone()
    {
        // Only the length field arrives; the reader must not wait for 2 MiB that will never come.
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(new byte[] { 0x00, 0x20, 0x01, 0x01 });
        var reader = new FrameReader(pipe.Reader);

        var e = await Assert.ThrowsAsync<ProtocolException>(() => reader.ReadAsync().AsTask());

        Assert.Equal(ProtocolErrorCode.FrameTooLong, e.Code);
    }

    [Fact]
    public async Task Length_above_a_lowered_maximum_is_too_long_and_the_maximum_itself_is_accepted()
    {
        var body = new byte[Frame.MinimumMaxLength - 1 - CcwMessage.FixedSize];
        var atMaximum = FrameWriter.ToArray(new CcwMessage(0x01, CcwFlags.None, CcwFlags.None, 0, 0, (uint)body.Length, body));
        var reader = new FrameReader(Reader(atMaximum)) { MaxFrameLength = Frame.MinimumMaxLength };
        Assert.Equal(MessageType.Ccw, (await reader.ReadAsync())!.Value.Type);

        var above = new byte[body.Length + 1];
        var tooLong = FrameWriter.ToArray(new CcwMessage(0x01, CcwFlags.None, CcwFlags.None, 0, 0, (uint)above.Length, above));
        var e = await Assert.ThrowsAsync<ProtocolException>(() =>
            new FrameReader(Reader(tooLong)) { MaxFrameLength = Frame.MinimumMaxLength }.ReadAsync().AsTask());
        Assert.Equal(ProtocolErrorCode.FrameTooLong, e.Code);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x06)]
    [InlineData(0x23)]
    [InlineData(0x7E)]
    [InlineData(0xFF)]
    public async Task Unknown_type_is_refused(byte type)
    {
        var e = await Assert.ThrowsAsync<ProtocolException>(() => ReadAllAsync(Reader([0, 0, 0, 1, type])));
        Assert.Equal(ProtocolErrorCode.UnknownType, e.Code);
    }

    private static PipeReader Reader(byte[] bytes) => PipeReader.Create(new MemoryStream(bytes));

    private static async Task<List<(MessageType Type, byte[] Body)>> ReadAllAsync(PipeReader pipe) => await ReadAllAsync(new FrameReader(pipe));

    private static async Task<List<(MessageType Type, byte[] Body)>> ReadAllAsync(FrameReader reader)
    {
        var frames = new List<(MessageType, byte[])>();
        while (await reader.ReadAsync() is { } frame)
        {
            frames.Add((frame.Type, frame.Body.ToArray()));
        }

        return frames;
    }
}
