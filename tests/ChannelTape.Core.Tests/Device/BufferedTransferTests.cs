using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;

namespace ChannelTape.Core.Tests.Device;

/// <summary>
/// What the drive offers whoever reads ahead of the host (the server's read-ahead, docs/protocol.md §5.2,
/// §5.3): reading or skipping the next data block touches nothing but the position when it stops, and
/// blocks the host did not use can be given back; a deferred unit check marks the pending sense.
/// </summary>
public sealed class BufferedTransferTests : IDisposable
{
    private static readonly UnitStatus s_ok = UnitStatus.ChannelEndDeviceEnd;
    private readonly string _directory = Directory.CreateTempSubdirectory("ctape-streaming-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Reading_ahead_stops_before_a_tape_mark_and_a_zero_length_block_without_touching_sense()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Mount(MemoryTapeMedia.FromBlocks([[0xC1], [0xC2, 0xC2], null, [0xC3], [], [0xC4]]));
        // A pending unit check (command reject) must survive a read-ahead that stops.
        Assert.Equal(UnitStatus.UnitCheck, DriveHarness.One(drive, 0x01, 1, CcwFlags.ChainData).Result.Status & UnitStatus.UnitCheck);
        var sense = drive.Sense.ToArray();
        var destination = new byte[65_535];

        Assert.True(drive.TryReadDataBlock(destination, out var length));
        Assert.Equal(1, length);
        Assert.True(drive.TryReadDataBlock(destination, out length));
        Assert.Equal(2, length);
        Assert.Equal([0xC2, 0xC2], destination[..2]);
        AssertStops(drive, destination, blockNumber: 2, sense);

        Assert.Equal(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitException, DriveHarness.One(drive, 0x02, 10).Result.Status);
        Assert.True(drive.TryReadDataBlock(destination, out _));
        Assert.Equal(0, drive.Counters.UnitChecks - 1);
        AssertStops(drive, destination, blockNumber: 4, drive.Sense.ToArray());
    }

    [Fact]
    public void Reading_ahead_stops_at_the_end_of_data_and_at_a_corrupt_block_of_an_image()
    {
        // Then the second block is cut short: its read is a data error the read-ahead must leave to a Read.
        using var again = TwoBlocksWithTheSecondCutShort(Path.Combine(_directory, "short.aws"), TapeImageFormat.Aws, drive =>
        {
            Assert.Equal(s_ok, DriveHarness.One(drive, 0x07, 0).Result.Status);
            var destination = new byte[65_535];
            Assert.True(drive.TryReadDataBlock(destination, out _));
            Assert.True(drive.TryReadDataBlock(destination, out _));
            AssertStops(drive, destination, blockNumber: 2, drive.Sense.ToArray());
        });
        var buffer = new byte[65_535];
        Assert.True(again.TryReadDataBlock(buffer, out _));
        AssertStops(again, buffer, blockNumber: 1, again.Sense.ToArray());
        Assert.Equal(UnitStatus.UnitCheck, DriveHarness.One(again, 0x02, 100).Result.Status & UnitStatus.UnitCheck);
    }

    [Fact]
    public void Skipping_a_stored_block_gives_where_the_file_holds_it_only_for_one_chunk_blocks_and_is_given_back_alike()
    {
        var path = Path.Combine(_directory, "refer.aws");
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        Assert.True(TapeImage.TryCreate(path, TapeImageFormat.Aws, new TapeImageOptions { ChunkSize = 4096 }, out var media, out var error), error);
        drive.Mount(media);
        byte[][] blocks = [Block(100, 1), Block(5000, 2), Block(4096, 3), Block(300, 4)];
        foreach (var block in blocks[..3])
        {
            Assert.Equal(s_ok, Write(drive, block).Status);
        }

        Assert.Equal(s_ok, DriveHarness.One(drive, 0x1F, 0).Result.Status);
        Assert.Equal(s_ok, Write(drive, blocks[3]).Status);
        Assert.Equal(s_ok, DriveHarness.One(drive, 0x07, 0).Result.Status);
        var file = File.ReadAllBytes(path);
        var destination = new byte[65_535];

        Assert.True(drive.TrySkipStoredDataBlock(out var offset, out var length));
        Assert.Equal((6L, 100), (offset, length));
        Assert.Equal(blocks[0], file[(int)offset..((int)offset + length)]);
        Assert.False(drive.TrySkipStoredDataBlock(out offset, out length)); // two chunks: not stored in one piece
        Assert.Equal((-1L, 0), (offset, length));
        Assert.Equal(1, drive.Media!.Position.BlockNumber);
        Assert.True(drive.TryReadDataBlock(destination, out length));
        Assert.Equal(blocks[1], destination[..length]);
        Assert.True(drive.TrySkipStoredDataBlock(out offset, out length));
        Assert.Equal(4096, length);
        Assert.Equal(blocks[2], file[(int)offset..((int)offset + length)]);
        Assert.Equal((3L, 100L + 5000 + 4096), (drive.Counters.BlocksRead, drive.Counters.BytesRead));
        AssertStops(drive, destination, blockNumber: 3, drive.Sense.ToArray());

        drive.UnreadBlocks(2, 5000 + 4096);
        Assert.Equal((1L, 100L), (drive.Counters.BlocksRead, drive.Counters.BytesRead));
        Assert.Equal(Convert.ToHexString(blocks[1]), DriveHarness.One(drive, 0x02, 5000).DataHex);
        Assert.Equal(s_ok, DriveHarness.One(drive, 0x02, 5000).Result.Status);
        Assert.Equal(UnitStatus.UnitException, DriveHarness.One(drive, 0x02, 5000).Result.Status & UnitStatus.UnitException);
        Assert.True(drive.TrySkipStoredDataBlock(out offset, out length));
        Assert.Equal(blocks[3], file[(int)offset..((int)offset + length)]);
        AssertStops(drive, destination, blockNumber: 5, drive.Sense.ToArray()); // end of data
    }

    [Fact]
    public void Skipping_stored_blocks_stops_before_a_block_cut_short_and_leaves_it_to_a_Read()
    {
        using var again = TwoBlocksWithTheSecondCutShort(Path.Combine(_directory, "cut.fake"), TapeImageFormat.FakeTape);
        var buffer = new byte[65_535];
        Assert.True(again.TrySkipStoredDataBlock(out var offset, out _));
        Assert.Equal(12, offset);
        AssertStops(again, buffer, blockNumber: 1, again.Sense.ToArray());
        Assert.Equal(UnitStatus.UnitCheck, DriveHarness.One(again, 0x02, 100).Result.Status & UnitStatus.UnitCheck);
    }

    [Fact]
    public void The_volume_generation_changes_at_every_mount_and_unload()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        var media = new MemoryTapeMedia();
        var seen = new HashSet<long> { drive.VolumeGeneration };
        drive.Mount(media);
        Assert.True(seen.Add(drive.VolumeGeneration));
        drive.Mount(media); // the same volume again: still a new mount
        Assert.True(seen.Add(drive.VolumeGeneration));
        drive.Unload();
        Assert.True(seen.Add(drive.VolumeGeneration));
        Assert.False(drive.TryReadDataBlock(new byte[10], out _));
        Assert.False(drive.TrySkipStoredDataBlock(out _, out _));
    }

    [Fact]
    public void Unread_blocks_count_as_never_read_and_the_next_Read_returns_the_first_of_them()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Mount(MemoryTapeMedia.FromBlocks(Enumerable.Range(1, 6).Select(i => Block(i * 10, i)).Append(null)));
        Assert.Equal("", DriveHarness.One(drive, 0x02, 10).DataHex[..0]);
        var destination = new byte[65_535];
        for (var i = 0; i < 4; i++)
        {
            Assert.True(drive.TryReadDataBlock(destination, out _));
        }

        Assert.Equal(5, drive.Counters.BlocksRead);
        Assert.Equal(10 + 20 + 30 + 40 + 50, drive.Counters.BytesRead);

        drive.UnreadBlocks(3, 30 + 40 + 50);

        Assert.Equal(2, drive.Media!.Position.BlockNumber);
        Assert.Equal(2, drive.Counters.BlocksRead);
        Assert.Equal(30, drive.Counters.BytesRead);
        Assert.False(drive.IsFenced);
        Assert.Throws<ArgumentOutOfRangeException>(() => drive.UnreadBlocks(-1, 0));
        var read = DriveHarness.One(drive, 0x02, 30);
        Assert.Equal(Convert.ToHexString(Block(30, 3)), read.DataHex);
    }

    [Fact]
    public void Giving_back_more_blocks_than_lie_before_the_position_fences_the_volume()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Mount(MemoryTapeMedia.FromBlocks([[1], [2]]));
        Assert.True(drive.TryReadDataBlock(new byte[10], out _));

        drive.UnreadBlocks(2, 2);

        Assert.True(drive.IsFenced); // position lost, as after a failed Locate Block
        Assert.False(drive.TryReadDataBlock(new byte[10], out _));
    }

    [Fact]
    public void A_deferred_unit_check_marks_the_pending_sense()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        var write = DriveHarness.One(drive, 0x01, 4, hex: "C1C2C3C4");
        Assert.Equal(UnitStatus.UnitCheck, write.Result.Status & UnitStatus.UnitCheck);
        drive.MarkDeferredUnitCheck();
        var sense = DriveHarness.SenseHex(drive);
        Assert.Equal(0x40 | 0x02, Convert.FromHexString(sense)[0]);
    }

    private static void AssertStops(TapeDrive drive, byte[] destination, long blockNumber, byte[] sense)
    {
        var pending = drive.IsSensePending;
        var counters = (drive.Counters.BlocksRead, drive.Counters.BytesRead, drive.Counters.UnitChecks);

        Assert.False(drive.TryReadDataBlock(destination, out var length));
        Assert.False(drive.TrySkipStoredDataBlock(out var offset, out var skipped));

        Assert.Equal(0, length);
        Assert.Equal((-1L, 0), (offset, skipped));
        Assert.Equal(blockNumber, drive.Media!.Position.BlockNumber);
        Assert.Equal(sense, drive.Sense.ToArray());
        Assert.Equal(pending, drive.IsSensePending);
        Assert.Equal(counters, (drive.Counters.BlocksRead, drive.Counters.BytesRead, drive.Counters.UnitChecks));
    }

    /// <summary>
    /// Writes blocks 1 and 2 (100 bytes) to a new image, runs <paramref name="whileWritten"/> on that drive, cuts
    /// 10 bytes off the second block and mounts the image on a new drive, positioned at load point.
    /// </summary>
    private static TapeDrive TwoBlocksWithTheSecondCutShort(string path, TapeImageFormat format, Action<TapeDrive>? whileWritten = null)
    {
        using (var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580))
        {
            Assert.True(TapeImage.TryCreate(path, format, new TapeImageOptions(), out var media, out var error), error);
            drive.Mount(media);
            Assert.Equal(s_ok, Write(drive, Block(100, 1)).Status);
            Assert.Equal(s_ok, Write(drive, Block(100, 2)).Status);
            whileWritten?.Invoke(drive);
        }

        using (var stream = new FileStream(path, FileMode.Open))
        {
            stream.SetLength(stream.Length - 10);
        }

        var again = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        Assert.True(TapeImage.TryOpen(path, new TapeImageOptions(), out var reopened, out var why), why);
        again.Mount(reopened);
        return again;
    }

    private static CcwResult Write(TapeDrive drive, byte[] block) =>
        drive.Execute(new CcwRequest(0x01, CcwFlags.None, CcwFlags.None, block.Length, 0, 1), block);

    /// <summary>Half random (does not compress), half repeated (does): HET takes both paths.</summary>
    private static byte[] Block(int size, int seed)
    {
        var block = new byte[size];
        new Random(seed).NextBytes(block.AsSpan(0, size / 2));
        block.AsSpan(size / 2).Fill((byte)seed);
        return block;
    }
}
