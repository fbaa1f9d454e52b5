namespace ChannelTape.Media.Tests;

/// <summary>
/// Behaviour every writable volume must show through <see cref="ITapeMedia"/>: the image formats
/// (<see cref="ImageFileContractTests"/>) and the in-memory volume the device tests run on
/// (<see cref="MemoryContractTests"/>).
/// </summary>
public abstract class MediaContractTests
{
    private readonly byte[] _buffer = TestData.Buffer();

    protected abstract TapeImageFormat Format { get; }
    protected virtual TapeImageOptions Options => new();
    /// <summary>Status of a read at the end of the recorded data (AWS/FakeTape: end of data; HET: end of tape).</summary>
    protected abstract MediaStatus EndStatus { get; }
    protected virtual int LargestBlock => 2 * 1024 * 1024;

    /// <summary>A new, empty volume (read-only, capacity and chunk size as <paramref name="options"/> say, where the kind of volume has them).</summary>
    protected abstract ITapeMedia CreateVolume(TapeImageOptions options);

    /// <summary>The volume last created or opened, opened again at load point, with what has been written to it.</summary>
    protected abstract ITapeMedia ReopenVolume(TapeImageOptions options);

    /// <summary>Everything the volume holds as stored (the image file's bytes), to see that nothing changed.</summary>
    protected abstract byte[] StoredVolume();

    /// <summary>Bytes the volume takes where it is stored (the image file's length).</summary>
    protected abstract long StoredLength();

    protected ITapeMedia CreateImage(TapeImageOptions? options = null) => CreateVolume(options ?? Options);

    protected ITapeMedia Reopen(TapeImageOptions? options = null) => ReopenVolume(options ?? Options);

    private void ExpectBlock(ITapeMedia media, byte[] expected)
    {
        Assert.Equal(MediaStatus.Ok, media.ReadForward(_buffer, out int length));
        Assert.Equal(expected.Length, length);
        Assert.True(expected.AsSpan().SequenceEqual(_buffer.AsSpan(0, length)));
    }

    private void WriteFiles(ITapeMedia media, params int[][] fileBlockSizes)
    {
        int seed = 0;
        foreach (int[] file in fileBlockSizes)
        {
            foreach (int size in file)
                Assert.Equal(MediaStatus.Ok, media.Write(TestData.Block(size, seed++)));
            Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
        }
    }

    [Fact]
    public void New_image_is_empty_and_reports_its_format()
    {
        using var media = CreateImage();
        Assert.Equal(Format, media.Format);
        Assert.Equal(0, media.ImageSize);
        Assert.True(media.Position.AtLoadPoint);
        Assert.Equal(new TapePosition(0, 1, 0), media.Position);
        Assert.Equal(EndStatus, media.ReadForward(_buffer, out int length));
        Assert.Equal(0, length);
        Assert.Equal(new TapePosition(0, 1, 0), media.Position);
    }

    [Fact]
    public void Blocks_and_tape_marks_read_back_after_reopening()
    {
        var sizes = new[] { 1, 80, 4096, 32768, 65535, 65536, 100_000 }.Where(s => s <= LargestBlock).ToArray();
        using (var media = CreateImage())
        {
            for (int i = 0; i < sizes.Length; i++)
                Assert.Equal(MediaStatus.Ok, media.Write(TestData.Block(sizes[i], i)));
            Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
            Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
            Assert.Equal(sizes.Length + 2, media.Position.BlockNumber);
            Assert.Equal(3, media.Position.FileNumber);
            Assert.Equal(media.Position.Offset, media.ImageSize);
        }
        using (var media = Reopen())
        {
            for (int i = 0; i < sizes.Length; i++)
            {
                ExpectBlock(media, TestData.Block(sizes[i], i));
                Assert.Equal(i + 1, media.Position.BlockNumber);
            }
            Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out int tmLength));
            Assert.Equal(0, tmLength);
            Assert.Equal(2, media.Position.FileNumber);
            Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out _));
            Assert.Equal(3, media.Position.FileNumber);
            Assert.Equal(EndStatus, media.ReadForward(_buffer, out _));
            Assert.Equal(sizes.Length + 2, media.Position.BlockNumber);
        }
    }

    [Fact]
    public void Largest_block_round_trips_and_a_larger_one_is_refused()
    {
        byte[] largest = TestData.Block(LargestBlock, 7);
        using var media = CreateImage();
        Assert.Equal(LargestBlock, media.MaxBlockSize);
        Assert.Equal(MediaStatus.Ok, media.Write(largest));
        long size = media.ImageSize;
        Assert.Equal(MediaStatus.WriteError, media.Write(new byte[LargestBlock + 1]));
        Assert.Equal(size, media.ImageSize);
        Assert.Equal(MediaStatus.Ok, media.Rewind());
        ExpectBlock(media, largest);
    }

    [Fact]
    public void Read_backward_returns_whole_blocks_in_forward_order_and_stops_before_them()
    {
        byte[] big = TestData.Block(Math.Min(LargestBlock, 150_000), 3);
        byte[] small = TestData.Block(100, 4);
        using var media = CreateImage(Options with { ChunkSize = 4096 });
        Assert.Equal(MediaStatus.Ok, media.Write(small));
        Assert.Equal(MediaStatus.Ok, media.Write(big));
        Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
        var afterMark = media.Position;

        Assert.Equal(MediaStatus.TapeMark, media.ReadBackward(_buffer, out int tmLength));
        Assert.Equal(0, tmLength);
        Assert.Equal(2, media.Position.BlockNumber);
        Assert.Equal(1, media.Position.FileNumber);

        Assert.Equal(MediaStatus.Ok, media.ReadBackward(_buffer, out int length));
        Assert.Equal(big.Length, length);
        Assert.True(big.AsSpan().SequenceEqual(_buffer.AsSpan(0, length)));
        Assert.Equal(1, media.Position.BlockNumber);

        Assert.Equal(MediaStatus.Ok, media.ReadBackward(_buffer, out length));
        Assert.True(small.AsSpan().SequenceEqual(_buffer.AsSpan(0, length)));
        Assert.True(media.Position.AtLoadPoint);
        Assert.Equal(MediaStatus.LoadPoint, media.ReadBackward(_buffer, out _));

        // Forward again over the same blocks ends where writing ended.
        ExpectBlock(media, small);
        ExpectBlock(media, big);
        Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out _));
        Assert.Equal(afterMark, media.Position);
    }

    [Fact]
    public void A_long_run_of_blocks_reads_back_the_same_backward_as_forward()
    {
        // Many short blocks of varying size with tape marks between, read backward from the end
        // of a freshly opened image (the index is built by spacing forward first).
        var random = new Random(5);
        var sizes = Enumerable.Range(0, 600).Select(i => i % 50 == 49 ? 0 : random.Next(1, i % 7 == 0 ? 20_000 : 900)).ToArray();
        using (var media = CreateImage())
        {
            for (int i = 0; i < sizes.Length; i++)
                Assert.Equal(MediaStatus.Ok, sizes[i] == 0 ? media.WriteTapeMark() : media.Write(TestData.Block(sizes[i], i)));
        }
        using var reopened = Reopen();
        Assert.Equal(MediaStatus.Ok, reopened.Locate(sizes.Length));
        for (int i = sizes.Length - 1; i >= 0; i--)
        {
            if (sizes[i] == 0)
            {
                Assert.Equal(MediaStatus.TapeMark, reopened.ReadBackward(_buffer, out _));
            }
            else
            {
                Assert.Equal(MediaStatus.Ok, reopened.ReadBackward(_buffer, out int length));
                Assert.True(TestData.Block(sizes[i], i).AsSpan().SequenceEqual(_buffer.AsSpan(0, length)), $"block {i}");
            }
            Assert.Equal(i, reopened.Position.BlockNumber);
        }
        Assert.Equal(MediaStatus.LoadPoint, reopened.ReadBackward(_buffer, out _));
    }

    [Fact]
    public void Spacing_by_block_and_file_tracks_block_and_file_numbers()
    {
        using var media = CreateImage(Options with { ChunkSize = 4096 });
        WriteFiles(media, [80, 9000, 80], [20_000], []);
        Assert.Equal(MediaStatus.Ok, media.Rewind());

        Assert.Equal(MediaStatus.Ok, media.ForwardSpaceBlock());
        Assert.Equal(MediaStatus.Ok, media.ForwardSpaceBlock());
        Assert.Equal(MediaStatus.Ok, media.ForwardSpaceBlock());
        Assert.Equal(MediaStatus.TapeMark, media.ForwardSpaceBlock());
        Assert.Equal(new TapePosition(4, 2, media.Position.Offset), media.Position);

        Assert.Equal(MediaStatus.TapeMark, media.BackspaceBlock());
        Assert.Equal(1, media.Position.FileNumber);
        Assert.Equal(3, media.Position.BlockNumber);
        Assert.Equal(MediaStatus.Ok, media.BackspaceBlock());
        ExpectBlock(media, TestData.Block(80, 2));

        Assert.Equal(MediaStatus.TapeMark, media.ForwardSpaceFile());
        Assert.Equal(new TapePosition(4, 2, media.Position.Offset), media.Position);
        Assert.Equal(MediaStatus.TapeMark, media.ForwardSpaceFile());
        Assert.Equal(3, media.Position.FileNumber);
        Assert.Equal(MediaStatus.TapeMark, media.ForwardSpaceFile());
        Assert.Equal(4, media.Position.FileNumber);
        Assert.Equal(7, media.Position.BlockNumber);
        Assert.Equal(EndStatus, media.ForwardSpaceFile());

        Assert.Equal(MediaStatus.TapeMark, media.BackspaceFile());
        Assert.Equal(3, media.Position.FileNumber);
        Assert.Equal(6, media.Position.BlockNumber);
        Assert.Equal(MediaStatus.TapeMark, media.BackspaceFile());
        Assert.Equal(2, media.Position.FileNumber);
        Assert.Equal(5, media.Position.BlockNumber);
        Assert.Equal(MediaStatus.Ok, media.BackspaceBlock());
        ExpectBlock(media, TestData.Block(20_000, 3));
        Assert.Equal(MediaStatus.TapeMark, media.BackspaceFile());
        Assert.Equal(3, media.Position.BlockNumber);
        Assert.Equal(1, media.Position.FileNumber);
        Assert.Equal(MediaStatus.LoadPoint, media.BackspaceFile());
        Assert.True(media.Position.AtLoadPoint);
        Assert.Equal(MediaStatus.LoadPoint, media.BackspaceBlock());
    }

    [Fact]
    public void Locate_jumps_to_any_block_including_on_a_freshly_opened_image()
    {
        using (var media = CreateImage())
            WriteFiles(media, [100, 200, 300], [400, 500]);
        using (var media = Reopen())
        {
            // Nothing walked yet: Locate walks the headers once, then jumps.
            Assert.Equal(MediaStatus.Ok, media.Locate(5));
            Assert.Equal(new TapePosition(5, 2, media.Position.Offset), media.Position);
            ExpectBlock(media, TestData.Block(500, 4));
            Assert.Equal(MediaStatus.Ok, media.Locate(1));
            ExpectBlock(media, TestData.Block(200, 1));
            Assert.Equal(MediaStatus.Ok, media.Locate(3));
            Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out _));
            Assert.Equal(MediaStatus.Ok, media.Locate(7));
            Assert.Equal(3, media.Position.FileNumber);
            Assert.Equal(media.ImageSize, media.Position.Offset);
            Assert.Equal(MediaStatus.LocateFailed, media.Locate(8));
            Assert.Equal(MediaStatus.LocateFailed, media.Locate(-1));
            Assert.Equal(MediaStatus.Ok, media.Locate(0));
            Assert.True(media.Position.AtLoadPoint);
        }
    }

    [Fact]
    public void Writing_mid_volume_discards_everything_after_it()
    {
        using var media = CreateImage();
        WriteFiles(media, [100, 200, 300], [400]);
        Assert.Equal(MediaStatus.Ok, media.Locate(2));
        byte[] replacement = TestData.Block(50, 99);
        Assert.Equal(MediaStatus.Ok, media.Write(replacement));
        Assert.Equal(media.Position.Offset, media.ImageSize);
        Assert.Equal(3, media.Position.BlockNumber);
        Assert.Equal(EndStatus, media.ReadForward(_buffer, out _));
        Assert.Equal(MediaStatus.LocateFailed, media.Locate(4));

        using var reopened = Reopen();
        ExpectBlock(reopened, TestData.Block(100, 0));
        ExpectBlock(reopened, TestData.Block(200, 1));
        ExpectBlock(reopened, replacement);
        Assert.Equal(EndStatus, reopened.ReadForward(_buffer, out _));
    }

    [Fact]
    public void Tape_mark_written_mid_volume_discards_the_rest()
    {
        using var media = CreateImage();
        WriteFiles(media, [100, 200, 300]);
        Assert.Equal(MediaStatus.Ok, media.Locate(1));
        Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
        Assert.Equal(2, media.Position.FileNumber);
        Assert.Equal(media.Position.Offset, media.ImageSize);
        Assert.Equal(MediaStatus.Ok, media.Rewind());
        ExpectBlock(media, TestData.Block(100, 0));
        Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out _));
        Assert.Equal(EndStatus, media.ReadForward(_buffer, out _));
    }

    [Fact]
    public void Data_security_erase_truncates_at_the_current_position()
    {
        using var media = CreateImage();
        WriteFiles(media, [100, 200], [300]);
        Assert.Equal(MediaStatus.Ok, media.Locate(1));
        long offset = media.Position.Offset;
        Assert.Equal(MediaStatus.Ok, media.EraseToEnd());
        Assert.Equal(offset, media.ImageSize);
        Assert.Equal(offset, StoredLength());
        Assert.Equal(EndStatus, media.ReadForward(_buffer, out _));
        Assert.Equal(MediaStatus.Ok, media.Rewind());
        Assert.Equal(MediaStatus.Ok, media.EraseToEnd());
        Assert.Equal(0, StoredLength());
    }

    [Fact]
    public void Read_only_volume_refuses_every_writing_operation_and_stays_unchanged()
    {
        using (var media = CreateImage())
            WriteFiles(media, [100, 200]);
        byte[] before = StoredVolume();
        using (var media = Reopen(Options with { ReadOnly = true }))
        {
            Assert.True(media.IsReadOnly);
            Assert.Equal(MediaStatus.Ok, media.ForwardSpaceBlock());
            Assert.Equal(MediaStatus.WriteProtected, media.Write(TestData.Block(10, 1)));
            Assert.Equal(MediaStatus.WriteProtected, media.WriteTapeMark());
            Assert.Equal(MediaStatus.WriteProtected, media.EraseGap());
            Assert.Equal(MediaStatus.WriteProtected, media.EraseToEnd());
            Assert.Equal(MediaStatus.WriteProtected, media.Synchronize());
            Assert.Equal(1, media.Position.BlockNumber);
            ExpectBlock(media, TestData.Block(200, 1));
        }
        Assert.Equal(before, StoredVolume());
    }

    [Fact]
    public void Synchronize_and_erase_gap_succeed_on_a_writable_volume()
    {
        using var media = CreateImage();
        Assert.Equal(MediaStatus.Ok, media.Write(TestData.Block(10, 1)));
        Assert.Equal(MediaStatus.Ok, media.Synchronize());
        Assert.Equal(MediaStatus.Ok, media.EraseGap());
        Assert.Equal(1, media.Position.BlockNumber);
    }

    [Fact]
    public void A_zero_length_block_reads_back_as_a_tape_mark_as_in_Hercules()
    {
        using var media = CreateImage();
        Assert.Equal(MediaStatus.Ok, media.Write(ReadOnlySpan<byte>.Empty));
        Assert.Equal(MediaStatus.Ok, media.Rewind());
        Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out int length));
        Assert.Equal(0, length);
        Assert.Equal(2, media.Position.FileNumber);
    }

    [Fact]
    public void A_read_buffer_smaller_than_the_largest_block_is_a_caller_bug()
    {
        using var media = CreateImage();
        Assert.Throws<ArgumentException>(() => media.ReadForward(new byte[100], out _));
    }

    [Fact]
    public void No_early_warning_without_maxsize()
    {
        using var media = CreateImage();
        WriteFiles(media, [60_000, 60_000, 60_000]);
        Assert.False(media.IsPastEarlyWarning);
    }

    [Fact]
    public void Early_warning_comes_within_eotmargin_of_maxsize()
    {
        using var media = CreateImage(Options with { MaxSize = 20_000, EotMargin = 5_000 });
        Assert.False(media.IsPastEarlyWarning);
        // Incompressible data, so HET sizes match AWS sizes.
        Assert.Equal(MediaStatus.Ok, media.Write(TestData.Block(10_000, 1)));
        Assert.False(media.IsPastEarlyWarning);
        Assert.Equal(MediaStatus.Ok, media.Write(TestData.Block(5_000, 3)));
        Assert.True(media.IsPastEarlyWarning);
        Assert.Equal(MediaStatus.Ok, media.Rewind());
        Assert.False(media.IsPastEarlyWarning);
    }
}

/// <summary>The contract for volumes in image files: created and reopened through <see cref="TapeImage"/>.</summary>
public abstract class ImageFileContractTests : MediaContractTests, IDisposable
{
    private readonly TempDirectory _directory = new();

    protected abstract string Extension { get; }

    private string ImagePath => _directory.File("volume" + Extension);

    public void Dispose() => _directory.Dispose();

    protected override ITapeMedia CreateVolume(TapeImageOptions options) => TestData.Create(ImagePath, Format, options);

    protected override ITapeMedia ReopenVolume(TapeImageOptions options) => TestData.Open(ImagePath, options);

    protected override byte[] StoredVolume() => File.ReadAllBytes(ImagePath);

    protected override long StoredLength() => new FileInfo(ImagePath).Length;
}

public sealed class AwsContractTests : ImageFileContractTests
{
    protected override TapeImageFormat Format => TapeImageFormat.Aws;
    protected override string Extension => ".aws";
    protected override MediaStatus EndStatus => MediaStatus.EndOfData;
}

public sealed class HetZlibContractTests : ImageFileContractTests
{
    protected override TapeImageFormat Format => TapeImageFormat.Het;
    protected override string Extension => ".het";
    protected override TapeImageOptions Options => new() { Method = HetCompression.Zlib };
    protected override MediaStatus EndStatus => MediaStatus.EndOfTape;
}

public sealed class HetBzip2ContractTests : ImageFileContractTests
{
    protected override TapeImageFormat Format => TapeImageFormat.Het;
    protected override string Extension => ".het";
    protected override TapeImageOptions Options => new() { Method = HetCompression.Bzip2 };
    protected override MediaStatus EndStatus => MediaStatus.EndOfTape;
}

public sealed class HetUncompressedContractTests : ImageFileContractTests
{
    protected override TapeImageFormat Format => TapeImageFormat.Het;
    protected override string Extension => ".het";
    protected override TapeImageOptions Options => new() { Compress = false };
    protected override MediaStatus EndStatus => MediaStatus.EndOfTape;
}

public sealed class FakeTapeContractTests : ImageFileContractTests
{
    protected override TapeImageFormat Format => TapeImageFormat.FakeTape;
    protected override string Extension => ".fkt";
    protected override MediaStatus EndStatus => MediaStatus.EndOfData;
    protected override int LargestBlock => 65535;
}

/// <summary>
/// The in-memory volume under the same contract: it keeps AWS positions, capacity and early warning
/// (maxsize, eotmargin and read-only come from the options; its chunks are always 65535 bytes, so the
/// contract's smaller chunk size changes only image offsets, which it computes as AWS does).
/// </summary>
public sealed class MemoryContractTests : MediaContractTests
{
    private MemoryTapeMedia? _volume;

    protected override TapeImageFormat Format => TapeImageFormat.Aws;
    protected override MediaStatus EndStatus => MediaStatus.EndOfData;

    protected override ITapeMedia CreateVolume(TapeImageOptions options) =>
        _volume = new MemoryTapeMedia(readOnly: options.ReadOnly, maxSize: options.MaxSize, eotMargin: options.EotMargin);

    protected override ITapeMedia ReopenVolume(TapeImageOptions options) =>
        _volume = MemoryTapeMedia.FromBlocks(Volume.Entries, options.ReadOnly, maxSize: options.MaxSize, eotMargin: options.EotMargin);

    /// <summary>The entries, each as a 4-byte length (-1 for a tape mark) and its bytes.</summary>
    protected override byte[] StoredVolume() =>
        Volume.Entries.SelectMany(e => BitConverter.GetBytes(e?.Length ?? -1).Concat(e ?? [])).ToArray();

    /// <summary>What the entries take in an AWS file.</summary>
    protected override long StoredLength() => Volume.Entries.Sum(MemoryTapeMedia.EntrySize);

    private MemoryTapeMedia Volume => _volume ?? throw new InvalidOperationException("no volume created yet");
}
