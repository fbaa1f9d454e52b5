using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;

namespace ChannelTape.Core.Tests.Device;

/// <summary>
/// What the drive offers the server for write-behind and read-ahead (docs/protocol.md §5): a write
/// credit that keeps the promise "every Write within it ends with CE+DE", and read-ahead that touches
/// nothing but the position when it stops, and can be undone.
/// </summary>
public sealed class StreamingSupportTests : IDisposable
{
    private const long Limit = 8 * 1024 * 1024;
    private const long MaxSize = 600 * 1024;
    private const long EotMargin = 100 * 1024;
    private static readonly UnitStatus s_ok = UnitStatus.ChannelEndDeviceEnd;
    private readonly string _directory = Directory.CreateTempSubdirectory("ctape-streaming-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string, int> FormatsAndBlockSizes()
    {
        var data = new TheoryData<string, int>();
        foreach (var format in new[] { "aws", "aws chunksize=4096", "het", "het chunksize=4096 compress=0", "fake", "memory" })
        {
            foreach (var size in new[] { 1, 80, 4096, 4097, 27_998, 65_535 })
            {
                data.Add(format, size);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FormatsAndBlockSizes))]
    public void Writes_spending_the_whole_credit_never_reach_the_warning_and_the_credit_is_not_needlessly_small(string format, int blockSize)
    {
        using var drive = Mounted(format);
        var block = Block(blockSize, seed: blockSize);
        // Start away from load point: HET warns even there, AWS only past it.
        Assert.Equal(s_ok, Write(drive, block[..Math.Min(blockSize, 500)]).Status);
        var room = MaxSize - EotMargin - drive.Media!.Position.Offset;

        var credit = drive.WriteCredit(Limit);

        // Headers cost at most 6 bytes per 4096 (AWS/HET chunks); the protocol's 32 per block covers the rest.
        Assert.InRange(credit, room * 99 / 100, room);
        long spent = 0;
        while (spent + blockSize + WriteAllowance.PerBlock <= credit)
        {
            var result = Write(drive, block);
            Assert.Equal(new CcwResult(s_ok, 0), result);
            spent += blockSize + WriteAllowance.PerBlock;
        }

        Assert.False(drive.Media.IsPastEarlyWarning);
    }

    [Theory]
    [InlineData("aws chunksize=4096")]
    [InlineData("het chunksize=4096")]
    [InlineData("fake")]
    public void Writes_of_mixed_sizes_within_the_credit_all_end_with_channel_end_and_device_end(string format)
    {
        using var drive = Mounted(format);
        var random = new Random(4711);
        for (var round = 0; round < 3; round++)
        {
            var credit = drive.WriteCredit(Limit);
            if (credit == 0)
            {
                break;
            }

            while (true)
            {
                var size = random.Next(1, 65_536);
                if (size + WriteAllowance.PerBlock > credit)
                {
                    break;
                }

                Assert.Equal(new CcwResult(s_ok, 0), Write(drive, Block(size, random.Next())));
                credit -= size + WriteAllowance.PerBlock;
            }
        }

        Assert.False(drive.Media!.IsPastEarlyWarning);
    }

    [Fact]
    public void Credit_is_the_limit_without_a_capacity_and_0_when_a_write_would_not_end_cleanly()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        Assert.Equal(0, drive.WriteCredit(Limit)); // no volume

        drive.Mount(new MemoryTapeMedia());
        Assert.Equal(Limit, drive.WriteCredit(Limit));

        // Mode Set tape-write-immediate: every Write flushes, so its outcome is not known in advance.
        Assert.Equal(s_ok, DriveHarness.Run(drive, new TestCcw(0xDB, 1, Data: [0x20]))[0].Result.Status);
        Assert.Equal(0, drive.WriteCredit(Limit));
        drive.ResetChannelProgramSettings();
        Assert.Equal(Limit, drive.WriteCredit(Limit));

        drive.Mount(new MemoryTapeMedia(readOnly: true));
        Assert.Equal(0, drive.WriteCredit(Limit));

        drive.Mount(new MemoryTapeMedia(maxSize: 1024, eotMargin: 300));
        Assert.Equal(0, drive.WriteCredit(0));
        Assert.InRange(drive.WriteCredit(Limit), 1, 1024 - 300);
        Assert.Equal(s_ok, Write(drive, new byte[700]).Status);
        Assert.InRange(drive.WriteCredit(Limit), 0, WriteAllowance.PerBlock - 1); // 706 + 300 of 1024: no Write fits
        Assert.Equal(s_ok | UnitStatus.UnitException, Write(drive, new byte[20]).Status);
        Assert.Equal(0, drive.WriteCredit(Limit)); // past the warning
    }

    [Fact]
    public void Read_ahead_stops_before_a_tape_mark_and_a_zero_length_block_without_touching_sense()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Mount(MemoryTapeMedia.FromBlocks([[0xC1], [0xC2, 0xC2], null, [0xC3], [], [0xC4]]));
        // A pending unit check (command reject) must survive a read-ahead that stops.
        Assert.Equal(UnitStatus.UnitCheck, DriveHarness.One(drive, 0x01, 1, CcwFlags.ChainData).Result.Status & UnitStatus.UnitCheck);
        var sense = drive.Sense.ToArray();
        var destination = new byte[65_535];

        Assert.True(drive.TryReadAhead(destination, out var length));
        Assert.Equal(1, length);
        Assert.True(drive.TryReadAhead(destination, out length));
        Assert.Equal(2, length);
        Assert.Equal([0xC2, 0xC2], destination[..2]);
        AssertStops(drive, destination, blockNumber: 2, sense);

        Assert.Equal(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitException, DriveHarness.One(drive, 0x02, 10).Result.Status);
        Assert.Equal(0, drive.ReadAheadBlocks); // the Read used the batch up
        Assert.True(drive.TryReadAhead(destination, out _));
        Assert.Equal(1, drive.ReadAheadBlocks);
        Assert.Equal(0, drive.Counters.UnitChecks - 1);
        AssertStops(drive, destination, blockNumber: 4, drive.Sense.ToArray());
    }

    [Fact]
    public void Read_ahead_stops_at_the_end_of_data_and_at_a_corrupt_block_of_an_image()
    {
        // Then the second block is cut short: its read is a data error the read-ahead must leave to a Read.
        using var again = TwoBlocksWithTheSecondCutShort(Path.Combine(_directory, "short.aws"), TapeImageFormat.Aws, drive =>
        {
            Assert.Equal(s_ok, DriveHarness.One(drive, 0x07, 0).Result.Status);
            var destination = new byte[65_535];
            Assert.True(drive.TryReadAhead(destination, out _));
            Assert.True(drive.TryReadAhead(destination, out _));
            AssertStops(drive, destination, blockNumber: 2, drive.Sense.ToArray());
        });
        var buffer = new byte[65_535];
        Assert.True(again.TryReadAhead(buffer, out _));
        AssertStops(again, buffer, blockNumber: 1, again.Sense.ToArray());
        Assert.Equal(UnitStatus.UnitCheck, DriveHarness.One(again, 0x02, 100).Result.Status & UnitStatus.UnitCheck);
    }

    [Fact]
    public void Read_ahead_by_reference_refers_to_one_chunk_blocks_reads_the_others_and_stops_and_undoes_alike()
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

        Assert.True(drive.TryReadAheadOrRefer(destination, out var length, out var offset));
        Assert.Equal((100, 6L), (length, offset));
        Assert.Equal(blocks[0], file[(int)offset..((int)offset + length)]);
        Assert.True(drive.TryReadAheadOrRefer(destination, out length, out offset));
        Assert.Equal((5000, -1L), (length, offset)); // two chunks: carried inline
        Assert.Equal(blocks[1], destination[..5000]);
        Assert.True(drive.TryReadAheadOrRefer(destination, out length, out offset));
        Assert.Equal(4096, length);
        Assert.Equal(blocks[2], file[(int)offset..((int)offset + length)]);
        Assert.Equal(3, drive.ReadAheadBlocks);
        Assert.Equal((3L, 100L + 5000 + 4096), (drive.Counters.BlocksRead, drive.Counters.BytesRead));
        AssertStops(drive, destination, blockNumber: 3, drive.Sense.ToArray());

        drive.UndoReadAhead(2);
        Assert.Equal((1L, 100L), (drive.Counters.BlocksRead, drive.Counters.BytesRead));
        Assert.Equal(Convert.ToHexString(blocks[1]), DriveHarness.One(drive, 0x02, 5000).DataHex);
        Assert.Equal(s_ok, DriveHarness.One(drive, 0x02, 5000).Result.Status);
        Assert.Equal(UnitStatus.UnitException, DriveHarness.One(drive, 0x02, 5000).Result.Status & UnitStatus.UnitException);
        Assert.True(drive.TryReadAheadOrRefer(destination, out length, out offset));
        Assert.Equal(blocks[3], file[(int)offset..((int)offset + length)]);
        AssertStops(drive, destination, blockNumber: 5, drive.Sense.ToArray()); // end of data
    }

    [Fact]
    public void Read_ahead_by_reference_stops_before_a_block_cut_short_and_leaves_it_to_a_Read()
    {
        using var again = TwoBlocksWithTheSecondCutShort(Path.Combine(_directory, "cut.fake"), TapeImageFormat.FakeTape);
        var buffer = new byte[65_535];
        Assert.True(again.TryReadAheadOrRefer(buffer, out _, out var offset));
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
        Assert.False(drive.TryReadAheadOrRefer(new byte[10], out _, out _));
    }

    [Fact]
    public void Undo_moves_back_over_unused_blocks_so_the_next_Read_returns_the_first_of_them()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Mount(MemoryTapeMedia.FromBlocks(Enumerable.Range(1, 6).Select(i => Block(i * 10, i)).Append(null)));
        Assert.Equal("", DriveHarness.One(drive, 0x02, 10).DataHex[..0]);
        var destination = new byte[65_535];
        for (var i = 0; i < 4; i++)
        {
            Assert.True(drive.TryReadAhead(destination, out _));
        }

        Assert.Equal(5, drive.Counters.BlocksRead);
        Assert.Equal(10 + 20 + 30 + 40 + 50, drive.Counters.BytesRead);

        drive.UndoReadAhead(3);

        Assert.Equal(2, drive.Media!.Position.BlockNumber);
        Assert.Equal(2, drive.Counters.BlocksRead);
        Assert.Equal(30, drive.Counters.BytesRead);
        Assert.Equal(1, drive.ReadAheadBlocks);
        Assert.Throws<ArgumentOutOfRangeException>(() => drive.UndoReadAhead(2));
        var read = DriveHarness.One(drive, 0x02, 30);
        Assert.Equal(Convert.ToHexString(Block(30, 3)), read.DataHex);
    }

    [Fact]
    public void A_mount_or_unload_forgets_the_batch_and_a_deferred_unit_check_marks_the_pending_sense()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Mount(MemoryTapeMedia.FromBlocks([[1], [2]]));
        Assert.True(drive.TryReadAhead(new byte[10], out _));
        drive.Mount(MemoryTapeMedia.FromBlocks([[1], [2]]));
        Assert.Equal(0, drive.ReadAheadBlocks);
        Assert.True(drive.TryReadAhead(new byte[10], out _));
        drive.Unload();
        Assert.Equal(0, drive.ReadAheadBlocks);

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
        var batch = drive.ReadAheadBlocks;

        Assert.False(drive.TryReadAhead(destination, out var length));
        Assert.False(drive.TryReadAheadOrRefer(destination, out var referred, out var offset));

        Assert.Equal(0, length);
        Assert.Equal((0, -1L), (referred, offset));
        Assert.Equal(blockNumber, drive.Media!.Position.BlockNumber);
        Assert.Equal(sense, drive.Sense.ToArray());
        Assert.Equal(pending, drive.IsSensePending);
        Assert.Equal(counters, (drive.Counters.BlocksRead, drive.Counters.BytesRead, drive.Counters.UnitChecks));
        Assert.Equal(batch, drive.ReadAheadBlocks);
    }

    private TapeDrive Mounted(string format)
    {
        var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        var words = format.Split(' ');
        if (words[0] == "memory")
        {
            drive.Mount(new MemoryTapeMedia(maxSize: MaxSize, eotMargin: EotMargin));
            return drive;
        }

        Assert.True(TapeImageOptions.TryParse(words.Skip(1).Concat([$"maxsize={MaxSize}", $"eotmargin={EotMargin}"]), out var options, out var error), error);
        var imageFormat = words[0] switch
        {
            "aws" => TapeImageFormat.Aws,
            "het" => TapeImageFormat.Het,
            _ => TapeImageFormat.FakeTape,
        };
        var path = Path.Combine(_directory, $"{Guid.NewGuid():N}.{words[0]}");
        Assert.True(TapeImage.TryCreate(path, imageFormat, options, out var media, out error), error);
        drive.Mount(media);
        return drive;
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
