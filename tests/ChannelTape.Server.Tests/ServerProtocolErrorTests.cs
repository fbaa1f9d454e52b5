using System.Buffers.Binary;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;
using ChannelTape.Runtime;
using ChannelTape.Runtime.Events;
using ChannelTape.Server.Tests.Support;

namespace ChannelTape.Server.Tests;

/// <summary>
/// "Protocol robustness" (issue 3): every protocol error gets Error with its code (§3 Error), closes only
/// that connection with a logged reason, and the server keeps serving the others.
/// </summary>
public class ServerProtocolErrorTests
{
    private static readonly byte[] s_hello = FrameWriter.ToArray(new HelloMessage(0, "raw"));
    private static readonly byte[] s_attach = FrameWriter.ToArray(new AttachMessage(0x0581, 0, AttachFlags.None, ""));
    private static readonly byte[] s_ccw = FrameWriter.ToArray(new CcwMessage(0x03, CcwFlags.None, CcwFlags.None, 0, 0, 1, [0]));

    public static TheoryData<string, byte[], ProtocolErrorCode> BadConversations => new()
    {
        { "wrong magic", FrameWriter.ToArray(new HelloMessage(0x43544151, 1, 0, "x")), ProtocolErrorCode.WrongMagicOrVersion },
        { "wrong version", FrameWriter.ToArray(new HelloMessage(HelloMessage.ExpectedMagic, 3, 0, "x")), ProtocolErrorCode.WrongMagicOrVersion },
        { "frame limit below the minimum", FrameWriter.ToArray(new HelloMessage(65_791, "x")), ProtocolErrorCode.MalformedFrame },
        { "Ccw before Hello", s_ccw, ProtocolErrorCode.NotAllowedNow },
        { "Attach before Hello", s_attach, ProtocolErrorCode.NotAllowedNow },
        { "Ping before Hello", FrameWriter.ToArray(new PingMessage(1)), ProtocolErrorCode.NotAllowedNow },
        { "Hello twice", [.. s_hello, .. s_hello], ProtocolErrorCode.NotAllowedNow },
        { "Ccw before Attach", [.. s_hello, .. s_ccw], ProtocolErrorCode.NotAllowedNow },
        { "Mount before Attach", [.. s_hello, .. FrameWriter.ToArray(new MountMessage("x"))], ProtocolErrorCode.NotAllowedNow },
        { "Attach twice", [.. s_hello, .. s_attach, .. s_attach], ProtocolErrorCode.NotAllowedNow },
        { "server message from a host", [.. s_hello, .. FrameWriter.ToArray(new HelloReplyMessage(1, 0, "x"))], ProtocolErrorCode.NotAllowedNow },
        { "Error from a host", [.. s_hello, .. FrameWriter.ToArray(new ErrorMessage(ProtocolErrorCode.MalformedFrame, "x"))], ProtocolErrorCode.NotAllowedNow },
        { "zero length", [0, 0, 0, 0], ProtocolErrorCode.MalformedFrame },
        { "length above the maximum", [0x00, 0x20, 0x01, 0x01, 0x20], ProtocolErrorCode.FrameTooLong },
        { "length above the maximum, no body", [0xFF, 0xFF, 0xFF, 0xFF], ProtocolErrorCode.FrameTooLong },
        { "unknown type", [0, 0, 0, 1, 0x33], ProtocolErrorCode.UnknownType },
        { "Hello body shorter than its fixed fields", [0, 0, 0, 4, 0x01, 0x43, 0x54, 0x41], ProtocolErrorCode.MalformedFrame },
        { "Attach with a string running past the frame", [.. s_hello, 0, 0, 0, 8, 0x10, 0x05, 0x80, 0, 0, 0, 0, 9], ProtocolErrorCode.MalformedFrame },
        { "Ccw data not matching its count", [.. s_hello, .. BadCcwAfterAttach()], ProtocolErrorCode.MalformedFrame },
        { "Ccw count above the largest transfer", [.. s_hello, .. CcwAfterAttach(count: 3_000_000)], ProtocolErrorCode.MalformedFrame },
    };

    [Theory]
    [MemberData(nameof(BadConversations))]
    public async Task Protocol_error_closes_only_that_connection_with_a_logged_reason(string what, byte[] bytes, ProtocolErrorCode code)
    {
        await using var server = new TestServer();
        using var healthy = server.Connect(0x0580, new() { DeviceArguments = server.Image("good") });
        using var peer = await server.RawAsync();

        await peer.SendAsync(bytes);
        var replies = new List<MessageType>();
        ErrorMessage? error = null;
        while (await peer.ReadAsync() is { } frame)
        {
            replies.Add(frame.Type);
            if (frame.Type == MessageType.Error)
            {
                error = ErrorMessage.Parse(frame.Body);
            }
        }

        Assert.True(error is not null, $"{what}: no Error frame, got {string.Join(", ", replies)}");
        Assert.Equal(code, error.Value.Code);
        Assert.Equal(MessageType.Error, replies[^1]);
        server.Events.WaitFor<ConnectionClosed>(e => e.Cause == CloseCause.ProtocolError
            && e.Detail.StartsWith($"protocol error {(ushort)code} ", StringComparison.Ordinal));
        var buffer = new byte[80];
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, healthy.Execute(new CcwRequest((byte)TapeCommand.Write, CcwFlags.None, CcwFlags.None, 80, 0, 0), buffer).Status);
        Assert.NotNull(healthy.Ping());
    }

    [Fact]
    public async Task Request_while_a_Ccw_is_outstanding_is_not_allowed_but_Halt_is()
    {
        await using var server = new TestServer();
        using var peer = await server.RawAsync();
        await peer.HelloAsync();
        await peer.AttachAsync(0x0581);

        await peer.SendAsync(FrameWriter.ToArray(new CcwMessage(ProbeDevice.WaitForHalt, CcwFlags.None, CcwFlags.None, 0, 0, 0, default)));
        Assert.True(server.Probe(0x0581).WaitingForHalt.Wait(RawPeer.Patience));
        await peer.SendAsync(FrameWriter.ToArray(new HaltMessage()));
        var reply = CcwReplyMessage.Parse(await peer.ExpectAsync(MessageType.CcwReply));
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitException, reply.Status);

        server.Probe(0x0581).WaitingForHalt.Reset();
        await peer.SendAsync(FrameWriter.ToArray(new CcwMessage(ProbeDevice.WaitForHalt, CcwFlags.None, CcwFlags.None, 0, 0, 0, default)));
        Assert.True(server.Probe(0x0581).WaitingForHalt.Wait(RawPeer.Patience));
        await peer.SendAsync(FrameWriter.ToArray(new PingMessage(5)));
        var error = ErrorMessage.Parse(await peer.ExpectAsync(MessageType.Error));
        Assert.Equal(ProtocolErrorCode.NotAllowedNow, error.Code);
        server.Probe(0x0581).Halt();
    }

    [Fact]
    public async Task Halt_with_no_Ccw_outstanding_is_ignored()
    {
        await using var server = new TestServer();
        using var peer = await server.RawAsync();
        await peer.HelloAsync();
        await peer.AttachAsync(0x0581);

        await peer.SendAsync([.. FrameWriter.ToArray(new HaltMessage()), .. FrameWriter.ToArray(new PingMessage(77))]);

        Assert.Equal(77ul, PongMessage.Parse(await peer.ExpectAsync(MessageType.Pong)).Token);
    }

    [Fact]
    public async Task Frames_split_at_every_byte_offset_on_the_socket_are_served()
    {
        await using var server = new TestServer();
        var drive = server.Drive(0x0582);
        Assert.True(drive.Executor.RunExclusive(() => drive.Mount(server.Image("split"), MountSource.Operator)).Done);
        var data = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        byte[] conversation =
        [
            .. FrameWriter.ToArray(new HelloMessage(0, "split")),
            .. FrameWriter.ToArray(new AttachMessage(0x0582, 0x3490, AttachFlags.TakeOver, "")),
            .. FrameWriter.ToArray(new CcwMessage((byte)TapeCommand.Write, CcwFlags.None, CcwFlags.None, 0, 0, 100, data)),
        ];

        for (var split = 1; split < conversation.Length; split++)
        {
            using var peer = await server.RawAsync();
            await peer.SendAsync(conversation[..split]);
            await Task.Delay(1);
            await peer.SendAsync(conversation[split..]);

            await peer.ExpectAsync(MessageType.HelloReply);
            Assert.Equal(AttachResult.Attached, AttachReplyMessage.Parse(await peer.ExpectAsync(MessageType.AttachReply)).Result);
            Assert.Equal(UnitStatus.ChannelEndDeviceEnd, CcwReplyMessage.Parse(await peer.ExpectAsync(MessageType.CcwReply)).Status);
            await peer.SendAsync(FrameWriter.ToArray(new PingMessage(9)));
            Assert.Equal(9ul, PongMessage.Parse(await peer.ExpectAsync(MessageType.Pong)).Token);
        }

        // Every connection took the drive over and kept the volume, so each Write appended one block.
        Assert.Equal(conversation.Length - 1, server.Blocks("split").Count);
        Assert.All(server.Blocks("split"), block => Assert.Equal(data, block));
        Assert.DoesNotContain(server.Events.All<ConnectionClosed>(), e => e.Cause == CloseCause.ProtocolError);
    }

    private static byte[] BadCcwAfterAttach()
    {
        var ccw = FrameWriter.ToArray(new CcwMessage((byte)TapeCommand.Write, CcwFlags.None, CcwFlags.None, 0, 0, 4, [1, 2, 3, 4]));
        BinaryPrimitives.WriteUInt32BigEndian(ccw.AsSpan(Frame.HeaderSize + CcwMessage.CountOffset), 5);
        return [.. s_attach, .. ccw];
    }

    private static byte[] CcwAfterAttach(uint count) =>
        [.. s_attach, .. FrameWriter.ToArray(new CcwMessage((byte)TapeCommand.Read, CcwFlags.None, CcwFlags.None, 0, 0, count, default))];
}
