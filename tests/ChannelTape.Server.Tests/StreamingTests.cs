using System.Buffers.Binary;
using System.Net;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Library.Configuration;
using ChannelTape.Media;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;
using ChannelTape.Hosting;
using ChannelTape.Server.Tests.Support;
using ChannelTape.Runtime.Events;
using ChannelTape.Testing;
using static ChannelTape.Server.Tests.Support.TestImages;

namespace ChannelTape.Server.Tests;

/// <summary>
/// Write-behind and read-ahead (docs/protocol.md §5) against the real drives (TapeDrive, image files),
/// spoken in raw frames as the Hercules module speaks them.
/// </summary>
public sealed partial class StreamingTests : IAsyncDisposable
{
    private const byte Write = 0x01, Read = 0x02, NoOperation = 0x03, Sense = 0x04, Rewind = 0x07, WriteTapeMark = 0x1F,
        ReadBlockId = 0x22, ModeSet = 0xDB;
    private const ProtocolFeatures Both = ProtocolFeatures.WriteBehind | ProtocolFeatures.ReadAhead;
    private const UnitStatus CeDe = UnitStatus.ChannelEndDeviceEnd;
    private readonly string _directory = Directory.CreateTempSubdirectory("ctape-stream-").FullName;
    private readonly List<IAsyncDisposable> _servers = [];
    private readonly List<IDisposable> _disposables = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Hello_without_the_features_field_gets_none_and_the_conversation_of_sections_1_to_4()
    {
        var (server, _, _) = Start();
        var image = Image("old.aws", Blocks(10));
        using var peer = await RawPeer.ConnectAsync(server.LocalEndPoint);
        // A Hello from before §5: the host name ends the body.
        byte[] body = [0x43, 0x54, 0x41, 0x50, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, (byte)'o', (byte)'l', (byte)'d'];
        await peer.SendAsync([.. BigEndian((uint)body.Length + 1), 0x01, .. body]);

        var reply = HelloReplyMessage.Parse(await peer.ExpectAsync(MessageType.HelloReply));

        Assert.Equal(ProtocolFeatures.None, reply.Features);
        Assert.Equal(AttachResult.Attached, (await peer.AttachAsync(0x0580, image)).Result);
        var read = await CcwAsync(peer, Read, 0, count: 1000);
        Assert.Equal(CeDe, read.Status);
        Assert.False(read.HasCredit);
        Assert.Empty(read.ReadAhead);
        var write = await CcwAsync(peer, Write, 1, data: new byte[100]);
        Assert.Equal(CeDe, write.Status);
        Assert.False(write.HasCredit);
        // Nothing else was queued: the next frame is the Pong.
        await peer.SendAsync(FrameWriter.ToArray(new PingMessage(7)));
        Assert.Equal(7ul, PongMessage.Parse(await ExpectSkippingUnsolicitedAsync(peer, MessageType.Pong)).Token);
    }

    [Fact]
    public async Task Buffered_writes_within_the_credit_all_reach_the_image_before_the_next_Ccw_answers()
    {
        var (writer, image, first) = await WriterAsync("wb.aws", Block(0, 100));
        using var peer = writer;

        Assert.Equal(CeDe, first.Status);
        Assert.True(first.HasCredit);
        Assert.InRange(first.Credit, 1u, 8u * 1024 * 1024);
        var credit = (long)first.Credit;
        for (var i = 1; i <= 200; i++)
        {
            var block = Block(i, 1000 + i);
            credit -= block.Length + WriteAllowance.PerBlock;
            Assert.True(credit >= 0);
            await SendBufferedAsync(peer, Write, (uint)i, block);
        }

        var mark = await CcwAsync(peer, WriteTapeMark, 201);
        Assert.Equal(CeDe, mark.Status);
        Assert.True(mark.Credit > 0);
        Assert.Equal(MountResult.Done, await MountAsync(peer, "*"));

        var blocks = ReadImage(image);
        Assert.Equal(202, blocks.Count);
        Assert.Equal(Block(0, 100), blocks[0]);
        for (var i = 1; i <= 200; i++)
        {
            Assert.Equal(Block(i, 1000 + i), blocks[i]);
        }

        Assert.Null(blocks[201]);
    }

    [Fact]
    public async Task Large_buffered_writes_cut_anywhere_by_the_socket_reach_the_image_whole_and_in_order()
    {
        // The server reads the socket into 256 KiB pipe segments (Frame.ReaderOptions): 64 KiB frames straddle
        // receives and segments, and a frame may arrive a few bytes at a time, as a busy host's sends do.
        var (writer, image, first) = await WriterAsync("large.aws", Block(0, 65535));
        using var peer = writer;
        var credit = (long)first.Credit;
        var stream = new List<byte>();
        var sent = 0;
        while (sent < 60 && credit >= 65535 + WriteAllowance.PerBlock)
        {
            sent++;
            var block = Block(sent, 65535 - sent);
            credit -= block.Length + WriteAllowance.PerBlock;
            stream.AddRange(FrameWriter.ToArray(new BufferedCcwMessage(new CcwMessage(Write, CcwFlags.ChainCommand | CcwFlags.SuppressLength,
                CcwFlags.ChainCommand, Write, (uint)sent, (uint)block.Length, block))));
        }

        var bytes = stream.ToArray();
        var at = 0;
        foreach (var piece in new[] { 3, 1, 4096, 65530, 2, 300_001, 17 })
        {
            await peer.SendAsync(bytes.AsMemory(at, piece).ToArray());
            at += piece;
        }

        await peer.SendAsync(bytes[at..]);
        var mark = await CcwAsync(peer, WriteTapeMark, (uint)sent + 1);
        Assert.Equal(CeDe, mark.Status);
        Assert.Equal(MountResult.Done, await MountAsync(peer, "*"));

        var blocks = ReadImage(image);
        Assert.True(sent > 20, $"the credit allowed only {sent} blocks");
        Assert.Equal(sent + 2, blocks.Count);
        Assert.Equal(Block(0, 65535), blocks[0]);
        for (var i = 1; i <= sent; i++)
        {
            Assert.Equal(Block(i, 65535 - i), blocks[i]);
        }

        Assert.Null(blocks[sent + 1]);
    }

    public static TheoryData<string> Misuses => new() { "overspent credit", "not a Write", "write-behind not granted" };

    [Theory]
    [MemberData(nameof(Misuses))]
    public async Task BufferedCcw_misuse_is_a_protocol_error_that_closes_only_that_connection(string misuse)
    {
        var (server, _, log) = Start();
        using var healthy = await ConnectAsync(server, Both, Both, Image("healthy.aws", Blocks(3)), device: 0x0581);
        var granted = misuse == "write-behind not granted" ? ProtocolFeatures.ReadAhead : Both;
        using var peer = await ConnectAsync(server, granted, granted, Image("small.aws", []) + " maxsizeK=100 eotmargin=0");
        var credit = (await CcwAsync(peer, NoOperation, 0)).Credit;

        switch (misuse)
        {
            case "overspent credit":
                Assert.InRange(credit, 50_000u, 100u * 1024);
                await SendBufferedAsync(peer, Write, 1, new byte[credit - WriteAllowance.PerBlock + 1]);
                await peer.ExpectErrorAndCloseAsync(ProtocolErrorCode.MalformedFrame);
                break;
            case "not a Write":
                await SendBufferedAsync(peer, NoOperation, 1, []);
                await peer.ExpectErrorAndCloseAsync(ProtocolErrorCode.MalformedFrame);
                break;
            default:
                await SendBufferedAsync(peer, Write, 1, new byte[80]);
                await peer.ExpectErrorAndCloseAsync(ProtocolErrorCode.NotAllowedNow);
                break;
        }

        log.WaitFor<ConnectionClosed>(e => e.Cause == CloseCause.ProtocolError && e.Detail.Contains("BufferedCcw", StringComparison.Ordinal));
        Assert.Equal(CeDe, (await CcwAsync(healthy, Read, 0, count: 100)).Status);
    }

    [Fact]
    public async Task Credit_is_0_for_a_read_only_volume_and_under_tape_write_immediate()
    {
        var (server, _, _) = Start();
        var image = Image("ro.aws", Blocks(2));
        using var readOnly = await ConnectAsync(server, Both, Both, image + " ro");
        var nop = await CcwAsync(readOnly, NoOperation, 0);
        Assert.True(nop.HasCredit);
        Assert.Equal(0u, nop.Credit);

        using var writable = await ConnectAsync(server, Both, Both, Image("wi.aws", []), device: 0x0581);
        Assert.True((await CcwAsync(writable, NoOperation, 0)).Credit > 0);
        // Mode Set 20: every Write of this channel program flushes, so none can be answered in advance.
        Assert.Equal(0u, (await CcwAsync(writable, ModeSet, 0, data: [0x20])).Credit);
        Assert.Equal(0u, (await CcwAsync(writable, NoOperation, 1)).Credit);
        Assert.True((await CcwAsync(writable, NoOperation, 0)).Credit > 0);
    }

    [Fact]
    public async Task Buffered_writes_spending_the_whole_credit_never_warn_and_the_warning_comes_right_after()
    {
        var (server, drives, _) = Start();
        using var peer = await ConnectAsync(server, Both, Both, Image("eot.aws", []) + " maxsizeK=300 eotmargin=102400");
        var block = Block(1, 8000);
        var credit = (long)(await CcwAsync(peer, Write, 0, data: block)).Credit;
        var sequence = 1u;
        Assert.True(credit > 20 * (block.Length + WriteAllowance.PerBlock));
        while (credit >= block.Length + WriteAllowance.PerBlock)
        {
            await SendBufferedAsync(peer, Write, sequence++, block);
            credit -= block.Length + WriteAllowance.PerBlock;
        }

        // Had any buffered Write ended with unit exception, this would report a deferred unit check.
        var nop = await CcwAsync(peer, NoOperation, sequence++);
        Assert.Equal(CeDe, nop.Status);
        Assert.True(nop.Credit < block.Length + WriteAllowance.PerBlock);
        var warned = false;
        for (var i = 0; i < 2 && !warned; i++)
        {
            var write = await CcwAsync(peer, Write, sequence++, data: block);
            warned = write.Status == (CeDe | UnitStatus.UnitException);
            Assert.True(warned || write.Status == CeDe);
        }

        Assert.True(warned, "the end-of-tape warning did not follow the credit");
        Assert.Equal(0L, Tape(drives, 0x0580).Counters.UnitChecks);
    }

    [Fact]
    public async Task A_buffered_write_that_fails_is_reported_as_a_deferred_unit_check_at_the_next_Ccw()
    {
        var (server, drives, log) = Start();
        var image = Image("deferred.aws", []);
        using var peer = await ConnectAsync(server, Both, Both, image);
        var credit = (await CcwAsync(peer, Write, 0, data: Block(0, 80))).Credit;
        Assert.True(credit > 1000);
        var tape = Tape(drives, 0x0580);
        var drive = drives.Drive(0x0580);
        await using (var hold = await DriveHold.TakeAsync(drive))
        {
            Assert.True(hold.Run(() => drive.Mount("*", MountSource.Operator)).Done); // unloaded by someone else
        }

        var ccwsBefore = tape.Counters.Ccws;
        await SendBufferedAsync(peer, Write, 1, Block(1, 80));
        await SendBufferedAsync(peer, Write, 2, Block(2, 80));
        var reported = await CcwAsync(peer, Sense, 3, count: 32);

        Assert.Equal(CeDe | UnitStatus.UnitCheck, reported.Status);
        Assert.Equal(32u, reported.Residual);
        Assert.Empty(reported.Data);
        Assert.Equal(0x40 | 0x02, reported.Sense[0]); // intervention required, deferred unit check
        Assert.True(reported.HasCredit);
        Assert.Equal(0u, reported.Credit);
        var sense = await CcwAsync(peer, Sense, 0, count: 32);
        Assert.Equal(CeDe, sense.Status);
        Assert.Equal(reported.Sense, sense.Data);
        Assert.Equal(ccwsBefore + 2, tape.Counters.Ccws); // the first buffered Write and the last Sense ran
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, log.WaitFor<DeferredUnitCheck>(e => e.DeviceNumber == 0x0580).Level);
        log.WaitFor<BufferedWritesDropped>(e => e.DeviceNumber == 0x0580);
        Assert.Single(ReadImage(image)); // only the Write acknowledged by a CcwReply is on the volume
    }

    [Fact]
    public async Task Read_ahead_sends_growing_batches_before_the_Read_reply_and_ReadAheadEnd_moves_back()
    {
        var (server, drives, _) = Start();
        var blocks = Blocks(20).Append(null).Concat(Blocks(3, first: 20)).ToList();
        using var peer = await ConnectAsync(server, ProtocolFeatures.ReadAhead, ProtocolFeatures.ReadAhead, Image("ra.aws", blocks));

        var first = await CcwAsync(peer, Read, 0, count: 1000);
        Assert.Equal(blocks[0], first.Data);
        Assert.True(first.ReadAheadBeforeReply);
        Assert.Equal(blocks[1..5], first.ReadAhead);
        var second = await CcwAsync(peer, Read, 1, count: 1000);
        Assert.Equal(blocks[5], second.Data);
        Assert.Equal(blocks[6..14], second.ReadAhead); // used up: twice as many

        // The host used 3 of the 8 (blocks 7-9) and hands back 5: the next block is block 10 (number 9).
        await SendAsync(peer, new ReadAheadEndMessage(5, ReadAheadEndFlags.None));
        var blockId = await CcwAsync(peer, ReadBlockId, 2, count: 8);
        Assert.Equal(9u, BinaryPrimitives.ReadUInt32BigEndian(blockId.Data) & 0x003F_FFFF);
        Assert.Equal(9, Tape(drives, 0x0580).Counters.BlocksRead); // the 5 handed back count as never read

        var third = await CcwAsync(peer, Read, 3, count: 1000);
        Assert.Equal(blocks[9], third.Data);
        Assert.Equal(blocks[10..14], third.ReadAhead); // not used up: back to 4
        var fourth = await CcwAsync(peer, Read, 4, count: 1000);
        Assert.Equal(blocks[14], fourth.Data);
        Assert.Equal(blocks[15..20], fourth.ReadAhead); // stops before the tape mark
        var mark = await CcwAsync(peer, Read, 5, count: 1000);
        Assert.Equal(CeDe | UnitStatus.UnitException, mark.Status);
        Assert.Empty(mark.ReadAhead);
        var after = await CcwAsync(peer, Read, 6, count: 1000);
        Assert.Equal(blocks[21], after.Data);
        Assert.Equal(blocks[22..24], after.ReadAhead); // stops at the end of the data
    }

    [Fact]
    public async Task ReadAheadEnd_with_flag_01_starts_a_channel_program_and_a_count_above_the_batch_closes()
    {
        var (server, _, log) = Start();
        using var peer = await ConnectAsync(server, Both, Both, Image("prog.aws", Blocks(10)));
        Assert.Equal(0u, (await CcwAsync(peer, ModeSet, 0, data: [0x20])).Credit);
        var read = await CcwAsync(peer, Read, 1, count: 1000);
        Assert.Equal(4, read.ReadAhead.Count);
        Assert.Equal(0u, read.Credit);

        // The host answered a Read with sequence number 0 from the batch: Mode Set's write-immediate ends.
        await SendAsync(peer, new ReadAheadEndMessage(3, ReadAheadEndFlags.ProgramStarted));
        Assert.True((await CcwAsync(peer, NoOperation, 1)).Credit > 0);

        var again = await CcwAsync(peer, Read, 2, count: 1000);
        Assert.Equal(4, again.ReadAhead.Count);
        await SendAsync(peer, new ReadAheadEndMessage(5, ReadAheadEndFlags.None));
        await peer.ExpectErrorAndCloseAsync(ProtocolErrorCode.MalformedFrame);
        log.WaitFor<ConnectionClosed>(e => e.Cause == CloseCause.ProtocolError
            && e.Detail.Contains("ReadAheadEnd with 5 unused blocks, the last batch had 4", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_batch_belongs_to_the_drive_so_a_reconnecting_host_can_hand_it_back()
    {
        var (server, _, log) = Start();
        var blocks = Blocks(10);
        var image = Image("reconnect.aws", blocks);
        var lost = await ConnectAsync(server, ProtocolFeatures.ReadAhead, ProtocolFeatures.ReadAhead, image);
        var read = await CcwAsync(lost, Read, 0, count: 1000);
        Assert.Equal(blocks[1..5], read.ReadAhead);
        lost.Dispose();
        log.WaitFor<DriveDetached>(e => e.DeviceNumber == 0x0580);

        using var peer = await ConnectAsync(server, ProtocolFeatures.ReadAhead, ProtocolFeatures.ReadAhead, "", AttachFlags.TakeOver);
        await SendAsync(peer, new ReadAheadEndMessage(3, ReadAheadEndFlags.None)); // used block 2 only

        var next = await CcwAsync(peer, Read, 0, count: 1000);
        Assert.Equal(blocks[2], next.Data);
    }

    [Fact]
    public async Task ReadAheadEnd_without_a_known_batch_is_ignored_and_without_the_feature_is_not_allowed()
    {
        var (server, _, log) = Start();
        var blocks = Blocks(3);
        using var peer = await ConnectAsync(server, ProtocolFeatures.ReadAhead, ProtocolFeatures.ReadAhead, Image("none.aws", blocks));
        await SendAsync(peer, new ReadAheadEndMessage(2, ReadAheadEndFlags.None));
        Assert.Equal(blocks[0], (await CcwAsync(peer, Read, 0, count: 1000)).Data);
        log.WaitFor<ReadAheadReturned>(e => !e.Known);

        using var plain = await ConnectAsync(server, ProtocolFeatures.None, ProtocolFeatures.None, Image("plain.aws", blocks), device: 0x0581);
        await SendAsync(plain, new ReadAheadEndMessage(0, ReadAheadEndFlags.None));
        await plain.ExpectErrorAndCloseAsync(ProtocolErrorCode.NotAllowedNow);
    }

    [Fact]
    public async Task A_server_that_grants_no_features_answers_a_host_asking_for_both_as_before()
    {
        var (server, _, _) = Start(new TapeServerOptions { Features = ProtocolFeatures.None });
        using var peer = await ConnectAsync(server, Both, ProtocolFeatures.None, Image("off.aws", Blocks(5)));
        var read = await CcwAsync(peer, Read, 0, count: 1000);
        Assert.False(read.HasCredit);
        Assert.Empty(read.ReadAhead);
    }

    // ---- helpers ------------------------------------------------------------------------------

    /// <summary>
    /// A CcwReply and what came before it: the read-ahead blocks (those sent by reference read from the
    /// image at their offset, <see cref="Referred"/> true), and the image a ReadAheadImage named (§5.3).
    /// </summary>
    private sealed record Reply(UnitStatus Status, CcwReplyFlags Flags, uint Residual, byte[] Sense, byte[] Data, uint Credit,
        List<byte[]?> ReadAhead, bool ReadAheadBeforeReply, List<bool> Referred, string? Image)
    {
        public bool HasCredit => (Flags & CcwReplyFlags.WriteCredit) != 0;
    }

    private (TapeServer Server, LibraryHost Drives, EventRecorder Log) Start(TapeServerOptions? options = null)
    {
        // A data folder per server: one server per data folder (DataFolderLock).
        var configuration = ConfigurationParser.LoadDefault();
        configuration = configuration with { Storage = configuration.Storage with { Root = Path.Combine(_directory, $"data{_servers.Count}") } };
        var served = LibraryServer.Start(configuration, new LibraryHostOptions
        {
            Server = options ?? new TapeServerOptions(),
            Features = options?.Features ?? ProtocolFeatureRules.All,
        });
        _servers.Insert(0, served);
        return (served.Host.Server, served.Host, served.Recorder);
    }

    private static TapeDrive Tape(LibraryHost drives, ushort device) => drives.Drive(device).Drive;

    private static async Task<RawPeer> ConnectAsync(TapeServer server, ProtocolFeatures asked, ProtocolFeatures expected, string words,
        AttachFlags flags = AttachFlags.None, ushort device = 0x0580)
    {
        var peer = await RawPeer.ConnectAsync(server.LocalEndPoint);
        await peer.SendAsync(FrameWriter.ToArray(new HelloMessage(0, "stream test", asked)));
        Assert.Equal(expected, HelloReplyMessage.Parse(await peer.ExpectAsync(MessageType.HelloReply)).Features);
        var attach = await peer.AttachAsync(device, words, flags);
        Assert.True(attach.Result == AttachResult.Attached, attach.Message);
        return peer;
    }

    /// <summary>A host with write-behind and read-ahead on a new empty image, and the reply to its first Write (sequence 0) of <paramref name="block"/>.</summary>
    private async Task<(RawPeer Peer, string Image, Reply First)> WriterAsync(string name, byte[] block)
    {
        var (server, _, _) = Start();
        var image = Image(name, []);
        var peer = await ConnectAsync(server, Both, Both, image);
        return (peer, image, await CcwAsync(peer, Write, 0, data: block));
    }

    private static async Task<Reply> CcwAsync(RawPeer peer, byte command, uint sequence, int count = 0, byte[]? data = null)
    {
        count = data?.Length ?? count;
        await peer.SendAsync(FrameWriter.ToArray(new CcwMessage(command, CcwFlags.ChainCommand | CcwFlags.SuppressLength,
            sequence == 0 ? CcwFlags.None : CcwFlags.ChainCommand, 0, sequence, (uint)count, data ?? default)));
        var readAhead = new List<byte[]?>();
        var referred = new List<bool>();
        string? image = null;
        var sawReadAhead = false;
        while (true)
        {
            var frame = await peer.ReadAsync();
            Assert.True(frame is not null, "connection closed before the CcwReply");
            switch (frame.Value.Type)
            {
                case MessageType.Unsolicited:
                    continue;
                case MessageType.ReadAheadImage:
                    Assert.False(sawReadAhead, "ReadAheadImage after the ReadAhead it names the image for");
                    Assert.Null(image);
                    image = ReadAheadImageMessage.Parse(frame.Value.Body).Path;
                    s_announcedImages.AddOrUpdate(peer, image);
                    continue;
                case MessageType.ReadAhead:
                    Assert.False(sawReadAhead, "two ReadAhead frames for one Read");
                    sawReadAhead = true;
                    foreach (var block in ReadAheadMessage.Parse(frame.Value.Body))
                    {
                        referred.Add(block.IsReference);
                        if (block.IsReference)
                        {
                            // §5.3: the host reads the block from the image last named on this connection.
                            Assert.True(s_announcedImages.TryGetValue(peer, out var path), "a reference before any ReadAheadImage");
                            readAhead.Add(ReadImageBytes(path, block.ImageOffset, (int)block.Length));
                            continue;
                        }

                        Assert.Equal(block.Length, (uint)block.Data.Length);
                        readAhead.Add(block.Data.ToArray());
                    }

                    continue;
                case MessageType.CcwReply:
                    var reply = CcwReplyMessage.Parse(frame.Value.Body);
                    return new Reply(reply.Status, reply.Flags, reply.Residual, reply.Sense.ToArray(), reply.Data.ToArray(), reply.WriteCredit,
                        readAhead, sawReadAhead, referred, image);
                default:
                    Assert.Fail($"unexpected {frame.Value.Type} while waiting for a CcwReply");
                    break;
            }
        }
    }

    /// <summary>The image each peer was last told about (ReadAheadImage), as the host module keeps it.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<RawPeer, string> s_announcedImages = new();

    /// <summary>What a host reading by reference gets: exactly <paramref name="length"/> bytes of the file at <paramref name="offset"/>.</summary>
    private static byte[] ReadImageBytes(string path, long offset, int length)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var bytes = new byte[length];
        Assert.Equal(length, RandomAccess.Read(handle, bytes, offset));
        return bytes;
    }

    private static Task SendBufferedAsync(RawPeer peer, byte command, uint sequence, byte[] data) =>
        peer.SendAsync(FrameWriter.ToArray(new BufferedCcwMessage(new CcwMessage(command, CcwFlags.ChainCommand | CcwFlags.SuppressLength,
            CcwFlags.ChainCommand, command, sequence, (uint)data.Length, data))));

    private static Task SendAsync<T>(RawPeer peer, T message)
        where T : IMessage => peer.SendAsync(FrameWriter.ToArray(message));

    private static async Task<MountResult> MountAsync(RawPeer peer, string arguments)
    {
        await SendAsync(peer, new MountMessage(arguments));
        return MountReplyMessage.Parse(await ExpectSkippingUnsolicitedAsync(peer, MessageType.MountReply)).Result;
    }

    private static async Task<byte[]> ExpectSkippingUnsolicitedAsync(RawPeer peer, MessageType type)
    {
        while (true)
        {
            var frame = await peer.ReadAsync();
            Assert.True(frame is not null, $"connection closed before {type}");
            if (frame.Value.Type != MessageType.Unsolicited)
            {
                Assert.Equal(type, frame.Value.Type);
                return frame.Value.Body;
            }
        }
    }

    private string Image(string name, IEnumerable<byte[]?> blocks, TapeImageFormat format = TapeImageFormat.Aws, TapeImageOptions? options = null) =>
        CreateImage(_directory, name, blocks, format, options);

    private static byte[] BigEndian(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }
}
