using System.IO.Pipelines;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;
using ChannelTape.Server.Sessions;
using ChannelTape.Server.Tests.Support;

namespace ChannelTape.Server.Tests;

/// <summary>
/// The protocol session over in-memory pipe pairs (no socket): the conversation, every protocol error,
/// frames cut into pieces at every byte offset and fed one byte per segment, and a peer that stops
/// reading. The same session runs behind every socket (<see cref="TapeServer"/>).
/// </summary>
public sealed class HostSessionTests
{
    private static readonly byte[] s_data = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();

    [Fact]
    public async Task A_session_over_pipes_attaches_writes_and_reads_back()
    {
        await using var server = new TestServer();
        await using var session = SessionPipes.Start(server.Server);
        var peer = session.Peer;

        await peer.HelloAsync();
        Assert.Equal(AttachResult.Attached, (await peer.AttachAsync(0x0581, server.Image("pipe"))).Result);
        await peer.SendAsync(Ccw((byte)TapeCommand.Write, 0, s_data));
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, CcwReplyMessage.Parse(await peer.ExpectAsync(MessageType.CcwReply)).Status);
        await peer.SendAsync(Ccw((byte)TapeCommand.Rewind, 1, []));
        await peer.ExpectAsync(MessageType.CcwReply);
        await peer.SendAsync(FrameWriter.ToArray(new CcwMessage((byte)TapeCommand.Read, CcwFlags.None, CcwFlags.None, 0, 0, 100, default)));
        var read = CcwReplyMessage.Parse(await peer.ExpectAsync(MessageType.CcwReply));

        Assert.Equal((UnitStatus.ChannelEndDeviceEnd, 0u), (read.Status, read.Residual));
        Assert.Equal(s_data, read.Data.ToArray());
        await peer.CloseOutputAsync();
        await session.Run.WaitAsync(RawPeer.Patience);
        var closed = server.Events.WaitFor<ConnectionClosed>();
        Assert.Equal(CloseCause.PeerClosed, closed.Cause);
        Assert.Equal(0x0581, server.Events.WaitFor<DriveDetached>().DeviceNumber);
    }

    [Theory]
    [MemberData(nameof(ServerProtocolErrorTests.BadConversations), MemberType = typeof(ServerProtocolErrorTests))]
    public async Task Every_protocol_error_gets_its_Error_frame_and_ends_only_that_session(string what, byte[] bytes, ProtocolErrorCode code)
    {
        await using var server = new TestServer();
        await using var healthy = SessionPipes.Start(server.Server);
        await healthy.Peer.HelloAsync();
        await healthy.Peer.AttachAsync(0x0580);
        await using var session = SessionPipes.Start(server.Server);

        await session.Peer.SendAsync(bytes);
        ErrorMessage? error = null;
        while (await session.Peer.ReadAsync() is { } frame)
        {
            if (frame.Type == MessageType.Error)
            {
                error = ErrorMessage.Parse(frame.Body);
            }
        }

        Assert.True(error is not null, $"{what}: no Error frame");
        Assert.Equal(code, error.Value.Code);
        var closed = server.Events.WaitFor<ConnectionClosed>(e => e.Cause == CloseCause.ProtocolError);
        Assert.StartsWith($"protocol error {(ushort)code} ", closed.Detail, StringComparison.Ordinal);
        await healthy.Peer.SendAsync(FrameWriter.ToArray(new PingMessage(3)));
        Assert.Equal(3ul, PongMessage.Parse(await healthy.Peer.ExpectAsync(MessageType.Pong)).Token);
    }

    [Fact]
    public async Task A_conversation_cut_at_every_byte_offset_is_served_as_a_whole()
    {
        await using var server = new TestServer();
        var image = server.Image("split");
        byte[] conversation =
        [
            .. FrameWriter.ToArray(new HelloMessage(0, "split")),
            .. FrameWriter.ToArray(new AttachMessage(0x0582, 0x3490, AttachFlags.TakeOver, image)),
            .. Ccw((byte)TapeCommand.Write, 0, s_data),
        ];

        for (var split = 1; split < conversation.Length; split++)
        {
            await using var session = SessionPipes.Start(server.Server);
            await session.Peer.SendInPiecesAsync([conversation[..split], conversation[split..]]);
            await ExpectWrittenAsync(session.Peer);
        }

        // Each session took the drive over and mounted the image anew (a devinit), so each wrote the first block.
        Assert.Equal([s_data], server.Blocks("split"));
        Assert.DoesNotContain(server.Events.All<ConnectionClosed>(), e => e.Cause == CloseCause.ProtocolError);
    }

    [Fact]
    public async Task A_conversation_fed_one_byte_per_segment_is_served_as_a_whole()
    {
        await using var server = new TestServer();
        byte[] conversation =
        [
            .. FrameWriter.ToArray(new HelloMessage(0, "bytes")),
            .. FrameWriter.ToArray(new AttachMessage(0x0583, 0x3490, AttachFlags.None, server.Image("bytes"))),
            .. Ccw((byte)TapeCommand.Write, 0, s_data),
        ];
        await using var session = SessionPipes.Start(server.Server);

        await session.Peer.SendInPiecesAsync(conversation.Select(b => new[] { b }));

        await ExpectWrittenAsync(session.Peer);
        Assert.Equal([s_data], server.Blocks("bytes"));
    }

    [Fact]
    public async Task A_peer_that_stops_reading_is_dropped_when_its_frames_fill_the_queue()
    {
        await using var server = new TestServer(new TapeServerOptions { SendQueueLimit = 4, SendTimeout = TimeSpan.FromSeconds(30) });
        // The host's side of the pipe takes 1 KiB before the session's writer must wait for it to read.
        await using var session = SessionPipes.Start(server.Server, new PipeOptions(pauseWriterThreshold: 1024, resumeWriterThreshold: 512));
        await session.Peer.HelloAsync();
        await session.Peer.AttachAsync(0x0580);

        var ping = FrameWriter.ToArray(new PingMessage(1));
        for (var i = 0; i < 1000 && !session.Run.IsCompleted; i++)
        {
            await session.Peer.SendAsync(ping);
            await Task.Yield();
        }

        await session.Run.WaitAsync(RawPeer.Patience);
        var closed = server.Events.WaitFor<ConnectionClosed>();
        Assert.Equal(CloseCause.PeerNotReading, closed.Cause);
        Assert.StartsWith("peer is not reading: 4 frames waiting", closed.Detail, StringComparison.Ordinal); // not the 30 s send timeout
    }

    private static byte[] Ccw(byte command, uint sequence, byte[] data) =>
        FrameWriter.ToArray(new CcwMessage(command, CcwFlags.None, CcwFlags.None, 0, sequence, (uint)data.Length, data));

    private static async Task ExpectWrittenAsync(RawPeer peer)
    {
        await peer.ExpectAsync(MessageType.HelloReply);
        var attach = AttachReplyMessage.Parse(await peer.ExpectAsync(MessageType.AttachReply));
        Assert.True(attach.Result == AttachResult.Attached, attach.Message);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, CcwReplyMessage.Parse(await peer.ExpectAsync(MessageType.CcwReply)).Status);
        await peer.SendAsync(FrameWriter.ToArray(new PingMessage(9)));
        Assert.Equal(9ul, PongMessage.Parse(await peer.ExpectAsync(MessageType.Pong)).Token);
    }

    /// <summary>A session of <paramref name="server"/> run over an in-memory pipe pair, and a raw peer on the host's side.</summary>
    private sealed class SessionPipes : IAsyncDisposable
    {
        private readonly Pipe _toServer;
        private readonly Pipe _toHost;

        private SessionPipes(TapeServer server, PipeOptions? options)
        {
            _toServer = new Pipe(options ?? PipeOptions.Default);
            _toHost = new Pipe(options ?? PipeOptions.Default);
            Peer = RawPeer.Over(new DuplexPipe(_toHost.Reader, _toServer.Writer));
            // Nothing to drop for a pipe: the session's outbox stops writing by itself when it gives the peer up.
            Run = server.RunSessionAsync(new DuplexPipe(_toServer.Reader, _toHost.Writer), new SessionPeer("memory", "127.0.0.1", IsLoopback: true),
                () => { });
        }

        public RawPeer Peer { get; }

        /// <summary>Completes when the session has ended and let go of its drive.</summary>
        public Task Run { get; }

        public static SessionPipes Start(TapeServer server, PipeOptions? options = null) => new(server, options);

        public async ValueTask DisposeAsync()
        {
            Peer.Dispose();
            await Run.WaitAsync(RawPeer.Patience);
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
