using System.Net;
using ChannelTape.Media;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;
using ChannelTape.Server.Tests.Support;
using static ChannelTape.Server.Tests.Support.TestImages;

namespace ChannelTape.Server.Tests;

/// <summary>
/// Read-ahead by reference (docs/protocol.md §5.3): a host on the server's machine is pointed at the
/// image (ReadAheadImage) and at each block's offset in it, and reading the file there gives the block.
/// </summary>
public sealed partial class StreamingTests
{
    private const ProtocolFeatures ByReference = ProtocolFeatures.ReadAhead | ProtocolFeatures.ReadAheadByReference;

    [Fact]
    public async Task A_loopback_host_asking_for_references_gets_the_image_named_first_and_offsets_that_hold_the_blocks()
    {
        var (server, drives, _) = Start();
        var blocks = Blocks(30);
        var image = Image("ref.aws", blocks);
        using var peer = await ConnectAsync(server, ByReference | ProtocolFeatures.WriteBehind, ByReference | ProtocolFeatures.WriteBehind, image);

        var first = await CcwAsync(peer, Read, 0, count: 1000);

        Assert.Equal(blocks[0], first.Data);
        Assert.Equal(Path.GetFullPath(image), first.Image);
        Assert.Equal(blocks[1..5], first.ReadAhead);
        Assert.All(first.Referred, Assert.True);
        var second = await CcwAsync(peer, Read, 1, count: 1000);
        Assert.Null(second.Image); // the same volume: named once
        Assert.Equal(blocks[6..14], second.ReadAhead); // used up: the window doubles as for inline batches
        Assert.Equal(8, second.Referred.Count(r => r));

        // Handing back blocks works as for inline ones: the next Read gets the first unused block.
        await SendAsync(peer, new ReadAheadEndMessage(6, ReadAheadEndFlags.None));
        var third = await CcwAsync(peer, Read, 2, count: 1000);
        Assert.Equal(blocks[8], third.Data);
        Assert.Equal(blocks[9..13], third.ReadAhead);
        Assert.Equal(8 + 1 + 4, Tape(drives, 0x0580).Counters.BlocksRead); // the 6 handed back count as never read
    }

    [Fact]
    public async Task Blocks_written_through_this_connection_are_in_the_file_when_a_batch_refers_to_them()
    {
        var (server, _, _) = Start();
        var image = Image("written.aws", []);
        using var peer = await ConnectAsync(server, ByReference | ProtocolFeatures.WriteBehind, ByReference | ProtocolFeatures.WriteBehind, image);
        var written = Blocks(6, first: 40);
        Assert.Equal(CeDe, (await CcwAsync(peer, Write, 0, data: written[0])).Status);
        for (var i = 1; i < written.Count; i++)
        {
            await SendBufferedAsync(peer, Write, (uint)i, written[i]!);
        }

        Assert.Equal(CeDe, (await CcwAsync(peer, Rewind, 6)).Status);
        var read = await CcwAsync(peer, Read, 7, count: 1000);

        Assert.Equal(written[0], read.Data);
        Assert.Equal(written[1..5], read.ReadAhead);
        Assert.All(read.Referred, Assert.True);
    }

    [Fact]
    public async Task A_host_asking_only_for_read_ahead_gets_every_block_inline_and_no_image()
    {
        var (server, _, _) = Start();
        var blocks = Blocks(10);
        using var peer = await ConnectAsync(server, ProtocolFeatures.ReadAhead, ProtocolFeatures.ReadAhead, Image("inline.aws", blocks));

        var read = await CcwAsync(peer, Read, 0, count: 1000);

        Assert.Null(read.Image);
        Assert.Equal(blocks[1..5], read.ReadAhead);
        Assert.All(read.Referred, Assert.False);
    }

    [Fact]
    public async Task Compressed_HET_blocks_go_inline_without_an_image_and_AWS_batches_mix_one_chunk_references_with_inline_blocks()
    {
        var (server, _, _) = Start();
        var compressible = Enumerable.Range(0, 10).Select(i => (byte[]?)Enumerable.Repeat((byte)(0xC0 + i), 3000).ToArray()).ToList();
        var het = Image("z.het", compressible, TapeImageFormat.Het);
        using var hetPeer = await ConnectAsync(server, ByReference, ByReference, het);

        var hetRead = await CcwAsync(hetPeer, Read, 0, count: 3000);

        Assert.Equal(compressible[0], hetRead.Data);
        Assert.Null(hetRead.Image);
        Assert.Equal(compressible[1..5], hetRead.ReadAhead);
        Assert.All(hetRead.Referred, Assert.False);

        // Chunks of 4096 bytes: the 6000-byte blocks have two, the 1000-byte blocks one.
        var mixed = Enumerable.Range(0, 12).Select(i => (byte[]?)Block(i, i % 2 == 0 ? 1000 : 6000)).ToList();
        var aws = Image("chunks.aws", mixed, options: new TapeImageOptions { ChunkSize = 4096 });
        using var awsPeer = await ConnectAsync(server, ByReference, ByReference, aws, device: 0x0581);

        var awsRead = await CcwAsync(awsPeer, Read, 0, count: 6000);

        Assert.Equal(mixed[0], awsRead.Data);
        Assert.Equal(Path.GetFullPath(aws), awsRead.Image);
        Assert.Equal(mixed[1..5], awsRead.ReadAhead);
        Assert.Equal([false, true, false, true], awsRead.Referred); // blocks 1 and 3: 6000 bytes; 2 and 4: 1000
    }

    [Fact]
    public async Task After_ReadAheadEnd_flag_02_every_later_batch_of_the_connection_is_inline()
    {
        var (server, _, log) = Start();
        var blocks = Blocks(40);
        using var peer = await ConnectAsync(server, ByReference, ByReference, Image("stop.aws", blocks));
        var first = await CcwAsync(peer, Read, 0, count: 1000);
        Assert.All(first.Referred, Assert.True);

        // The host could not read block 2: it hands back blocks 2-4 and reads block 2 itself.
        await SendAsync(peer, new ReadAheadEndMessage(3, ReadAheadEndFlags.StopReferences));
        var second = await CcwAsync(peer, Read, 1, count: 1000);
        Assert.Equal(blocks[2], second.Data);
        Assert.Equal(blocks[3..7], second.ReadAhead);
        Assert.All(second.Referred, Assert.False);
        Assert.Null(second.Image);
        await SendAsync(peer, new ReadAheadEndMessage(0, ReadAheadEndFlags.StopReferences));
        var third = await CcwAsync(peer, Read, 2, count: 1000);
        Assert.Equal(blocks[7], third.Data);
        Assert.Equal(8, third.ReadAhead.Count);
        Assert.All(third.Referred, Assert.False);

        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Information, log.WaitFor<ReferencesStopped>().Level);
        Assert.Single(log.All<ReferencesStopped>());
    }

    [Fact]
    public async Task After_a_mount_the_next_batch_names_the_new_image_again()
    {
        var (server, _, _) = Start();
        var blocks = Blocks(10);
        var one = Image("one.aws", blocks);
        var other = Image("other.aws", Blocks(10, first: 50));
        using var peer = await ConnectAsync(server, ByReference, ByReference, one);
        Assert.Equal(Path.GetFullPath(one), (await CcwAsync(peer, Read, 0, count: 1000)).Image);

        await SendAsync(peer, new ReadAheadEndMessage(4, ReadAheadEndFlags.None));
        Assert.Equal(MountResult.Done, await MountAsync(peer, other));
        var read = await CcwAsync(peer, Read, 0, count: 1000);

        Assert.Equal(Path.GetFullPath(other), read.Image);
        Assert.Equal(Blocks(4, first: 51), read.ReadAhead);
        Assert.All(read.Referred, Assert.True);

        // The first image again, at the same path as before: a new mount is named again all the same.
        Assert.Equal(MountResult.Done, await MountAsync(peer, one));
        var again = await CcwAsync(peer, Read, 0, count: 1000);
        Assert.Equal(Path.GetFullPath(one), again.Image);
        Assert.Equal(blocks[1..5], again.ReadAhead);
    }

    [Fact]
    public async Task A_server_without_feature_04_or_ctape_serve_no_read_by_reference_grants_read_ahead_alone()
    {
        var (server, _, _) = Start(new TapeServerOptions { Features = ProtocolFeatures.WriteBehind | ProtocolFeatures.ReadAhead });
        var blocks = Blocks(10);
        using var peer = await ConnectAsync(server, ByReference, ProtocolFeatures.ReadAhead, Image("off.aws", blocks));
        var read = await CcwAsync(peer, Read, 0, count: 1000);
        Assert.Null(read.Image);
        Assert.Equal(blocks[1..5], read.ReadAhead);
        Assert.All(read.Referred, Assert.False);

        // Feature 04 alone is not read-ahead: nothing of §5.3 without 02.
        var (defaults, _, _) = Start();
        using var alone = await ConnectAsync(defaults, ProtocolFeatures.ReadAheadByReference, ProtocolFeatures.None, Image("alone.aws", blocks));
        Assert.Empty((await CcwAsync(alone, Read, 0, count: 1000)).ReadAhead);

    }

    [Theory]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.12.0.5", true)]
    [InlineData("::1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("10.0.0.7", false)]
    [InlineData("::ffff:192.168.1.2", false)]
    [InlineData("fe80::1", false)]
    [InlineData("0.0.0.0", false)]
    public void Only_a_loopback_peer_counts_as_on_this_machine(string address, bool loopback) =>
        Assert.Equal(loopback, PeerAddress.IsLoopback(IPAddress.Parse(address)));
}
