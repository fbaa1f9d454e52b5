using System.Buffers.Binary;
using ChannelTape.Device;
using ChannelTape.Media;
using ChannelTape.Protocol.Messages;
using ChannelTape.Server.Streaming;

namespace ChannelTape.Server.Tests.Streaming;

/// <summary>
/// The drive's read-ahead (docs/protocol.md §5.2, §5.3): the window doubles while batches are used up and
/// starts small again when one is not, a batch never holds more than its limits, blocks that do not fit go
/// back to the drive, and a mount or unload ends the batch.
/// </summary>
public sealed class ReadAheadBatcherTests
{
    private readonly byte[] _entries = new byte[ReadAheadBatcher.MaxEntriesLength];

    [Fact]
    public void The_window_doubles_while_batches_are_used_up_up_to_its_limit_and_starts_again_after_a_batch_given_back()
    {
        using var drive = Drive(blocks: 4000, size: 10);
        var batcher = new ReadAheadBatcher();
        var windows = new List<int>();
        for (var i = 0; i < 10; i++)
        {
            windows.Add(batcher.Window);
            var batch = batcher.Fill(drive, byReference: false, _entries);
            Assert.Equal(batcher.Window, batch.Blocks);
            batcher.BatchUsedUp(drive);
        }

        Assert.Equal([4, 8, 16, 32, 64, 128, 256, 512, 1024, 1024], windows);
        batcher.Fill(drive, byReference: false, _entries);
        batcher.GiveBack(drive, 1);
        Assert.Equal(ReadAheadBatcher.InitialWindow, batcher.Window);
    }

    [Fact]
    public void Giving_back_moves_the_drive_before_the_unused_blocks_and_they_count_as_never_read()
    {
        using var drive = Drive(blocks: 10, size: 100);
        var batcher = new ReadAheadBatcher();
        var batch = batcher.Fill(drive, byReference: false, _entries);
        Assert.Equal(4, batch.Blocks);
        Assert.Equal(4 * (4 + 100), batch.EncodedLength);
        Assert.Equal(100u, BinaryPrimitives.ReadUInt32BigEndian(_entries));
        Assert.Equal((4L, 400L), (drive.Counters.BlocksRead, drive.Counters.BytesRead));

        batcher.GiveBack(drive, 3);

        Assert.Equal(1, drive.Media!.Position.BlockNumber);
        Assert.Equal((1L, 100L), (drive.Counters.BlocksRead, drive.Counters.BytesRead));
        Assert.Equal(0, batcher.Outstanding(drive));
        Assert.Throws<ArgumentOutOfRangeException>(() => batcher.GiveBack(drive, 1));
    }

    [Fact]
    public void A_batch_carries_at_most_one_mebibyte_inline_and_gives_back_the_block_that_does_not_fit()
    {
        using var drive = Drive(blocks: 60, size: 65_535);
        var batcher = new ReadAheadBatcher();
        for (var i = 0; i < 3; i++)
        {
            batcher.Fill(drive, byReference: false, _entries);
            batcher.BatchUsedUp(drive); // window 32
        }

        var before = drive.Media!.Position.BlockNumber;
        var batch = batcher.Fill(drive, byReference: false, _entries);

        Assert.Equal(ReadAheadBatcher.MaxInlineBytes / 65_535, batch.Blocks);
        Assert.Equal(before + batch.Blocks, drive.Media.Position.BlockNumber);
        Assert.Equal(batch.Blocks, batcher.Outstanding(drive));
    }

    [Fact]
    public void A_batch_stops_where_the_frame_has_no_room_and_the_next_Read_gets_that_block()
    {
        using var drive = Drive(blocks: 10, size: 1000);
        var batcher = new ReadAheadBatcher();

        var batch = batcher.Fill(drive, byReference: false, _entries.AsSpan(0, 2500));

        Assert.Equal(2, batch.Blocks);
        Assert.Equal(2, drive.Media!.Position.BlockNumber);
        Assert.Equal(2L, drive.Counters.BlocksRead);
    }

    [Fact]
    public void Blocks_stored_in_one_piece_go_by_reference_and_do_not_count_toward_the_inline_limit()
    {
        var path = Path.Combine(Path.GetTempPath(), $"ctape-batcher-{Guid.NewGuid():N}.aws");
        try
        {
            using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
            Assert.True(TapeImage.TryCreate(path, TapeImageFormat.Aws, new TapeImageOptions(), out var media, out var error), error);
            drive.Mount(media);
            for (var i = 0; i < 40; i++)
            {
                Assert.Equal(MediaStatus.Ok, drive.Media!.Write(new byte[65_535]));
            }

            drive.Media!.Rewind();
            var batcher = new ReadAheadBatcher();
            for (var i = 0; i < 2; i++)
            {
                batcher.Fill(drive, byReference: true, _entries);
                batcher.BatchUsedUp(drive);
            }

            var batch = batcher.Fill(drive, byReference: true, _entries);

            Assert.Equal(16, batch.Blocks);
            Assert.Equal(16, batch.Referred);
            Assert.Equal(16 * ReadAheadMessage.ReferenceEntrySize, batch.EncodedLength);
            Assert.Equal(ReadAheadMessage.ReferenceFlag | 65_535u, BinaryPrimitives.ReadUInt32BigEndian(_entries));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_mount_ends_the_batch_so_nothing_is_outstanding_for_the_new_volume()
    {
        using var drive = Drive(blocks: 10, size: 10);
        var batcher = new ReadAheadBatcher();
        Assert.Equal(4, batcher.Fill(drive, byReference: false, _entries).Blocks);
        Assert.Equal(4, batcher.Outstanding(drive));

        drive.Mount(MemoryTapeMedia.FromBlocks([[1]]));

        Assert.Equal(0, batcher.Outstanding(drive));
        batcher.BatchUsedUp(drive);
        Assert.Equal(ReadAheadBatcher.InitialWindow, batcher.Window); // not counted as used up
    }

    private static TapeDrive Drive(int blocks, int size)
    {
        var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Mount(MemoryTapeMedia.FromBlocks(Enumerable.Range(0, blocks).Select(i => Enumerable.Repeat((byte)i, size).ToArray())));
        return drive;
    }
}
