using ICSharpCode.SharpZipLib.Zip.Compression;

namespace ChannelTape.Media.Tests;

/// <summary>
/// Corrupt and truncated images give the status Hercules gives (docs/reference/hercules-tape.md §2.3, awstape.c,
/// hetlib.c, faketape.c), never an exception and never a hang.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly byte[] _buffer = TestData.Buffer();

    public void Dispose() => _directory.Dispose();

    private ITapeMedia Image(string name, byte[] content)
    {
        string path = _directory.File(name);
        File.WriteAllBytes(path, content);
        return TestData.Open(path, new TapeImageOptions { ReadOnly = true });
    }

    private static byte[] Aws(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    private static byte[] Header(int length, int previous, byte flags1, byte flags2 = 0)
        => [(byte)length, (byte)(length >> 8), (byte)previous, (byte)(previous >> 8), flags1, flags2];

    private static byte[] Zlib(byte[] data)
    {
        var deflater = new Deflater(4);
        deflater.SetInput(data);
        deflater.Finish();
        var output = new byte[data.Length + 1024];
        int length = 0;
        while (!deflater.IsFinished)
            length += deflater.Deflate(output, length, output.Length - length);
        return output[..length];
    }

    [Fact]
    public void Zero_length_AWS_file_is_end_of_data_everywhere()
    {
        using var media = Image("empty.aws", []);
        Assert.Equal(MediaStatus.EndOfData, media.ReadForward(_buffer, out _));
        Assert.Equal(MediaStatus.EndOfData, media.ForwardSpaceBlock());
        Assert.Equal(MediaStatus.EndOfData, media.ForwardSpaceFile());
        Assert.Equal(MediaStatus.LoadPoint, media.ReadBackward(_buffer, out _));
        Assert.Equal(MediaStatus.LoadPoint, media.BackspaceBlock());
        Assert.Equal(MediaStatus.LoadPoint, media.BackspaceFile());
        Assert.Equal(MediaStatus.LocateFailed, media.Locate(1));
        Assert.Equal(MediaStatus.Ok, media.Locate(0));
    }

    [Fact]
    public void Zero_length_HET_file_opened_read_only_is_end_of_tape()
    {
        using var media = Image("empty.het", []);
        Assert.Equal(MediaStatus.EndOfTape, media.ReadForward(_buffer, out _));
        Assert.Equal(MediaStatus.EndOfTape, media.ForwardSpaceBlock());
    }

    [Fact]
    public void Zero_length_HET_file_opened_for_writing_becomes_two_tape_marks_as_het_open_makes_it()
    {
        string path = _directory.File("new.het");
        File.WriteAllBytes(path, []);
        using (var media = TestData.Open(path))
        {
            Assert.True(media.Position.AtLoadPoint);
            Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out _));
        }
        Assert.Equal(TestData.Hex("0000 0000 40 00 0000 0000 40 00"), File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void Truncated_AWS_header_is_a_short_block(int bytes)
    {
        using var media = Image("hdr.aws", Aws(Header(4, 0, 0xA0), [1, 2, 3, 4], new byte[bytes]));
        Assert.Equal(MediaStatus.Ok, media.ReadForward(_buffer, out int length));
        Assert.Equal(4, length);
        Assert.Equal(MediaStatus.BlockShort, media.ReadForward(_buffer, out _));
        Assert.Equal(1, media.Position.BlockNumber);
    }

    [Fact]
    public void Truncated_AWS_data_is_a_short_block()
    {
        using var media = Image("data.aws", Aws(Header(100, 0, 0xA0), new byte[50]));
        Assert.Equal(MediaStatus.BlockShort, media.ReadForward(_buffer, out _));
        Assert.True(media.Position.AtLoadPoint);
    }

    [Fact]
    public void Length_pointing_past_end_of_file_is_spaced_over_then_end_of_data_as_in_Hercules()
    {
        // fsb_awstape walks headers only, so it passes a block whose data is missing; the next
        // header then lies past the end of the file.
        using var media = Image("past.aws", Aws(Header(60_000, 0, 0xA0), new byte[10]));
        Assert.Equal(MediaStatus.Ok, media.ForwardSpaceBlock());
        Assert.Equal(MediaStatus.EndOfData, media.ReadForward(_buffer, out _));
        Assert.Equal(MediaStatus.Ok, media.BackspaceBlock());
        Assert.Equal(MediaStatus.BlockShort, media.ReadForward(_buffer, out _));
    }

    [Fact]
    public void Middle_chunk_pointing_past_end_of_file_is_end_of_data()
    {
        // awstape.c read_awstape: end of file at a following chunk's header is "end of tape" (ERA 31).
        using var media = Image("chain.aws", Aws(Header(4, 0, 0x80), [1, 2, 3, 4]));
        Assert.Equal(MediaStatus.EndOfData, media.ReadForward(_buffer, out _));
    }

    [Fact]
    public void Tape_mark_flag_with_data_is_a_data_check()
    {
        using var media = Image("tm.aws", Aws(Header(10, 0, 0x40), new byte[10]));
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
        Assert.Equal(MediaStatus.DataCheck, media.ForwardSpaceBlock());
        Assert.True(media.Position.AtLoadPoint);
    }

    [Fact]
    public void Tape_mark_after_data_in_the_same_block_is_a_data_check()
    {
        using var media = Image("tm2.aws", Aws(Header(3, 0, 0x80), [1, 2, 3], Header(0, 3, 0x40)));
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
    }

    [Fact]
    public void Block_over_2_MiB_is_a_data_check()
    {
        var chunks = new List<byte[]>();
        for (int i = 0; i < 33; i++)
        {
            chunks.Add(Header(65535, i == 0 ? 0 : 65535, (byte)(i == 0 ? 0x80 : 0x00)));
            chunks.Add(new byte[65535]);
        }
        using var media = Image("huge.aws", Aws([.. chunks]));
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
        Assert.Equal(MediaStatus.DataCheck, media.ForwardSpaceBlock());
        Assert.Equal(MediaStatus.LocateFailed, media.Locate(1));
    }

    [Fact]
    public void Exactly_2_MiB_in_chunks_reads()
    {
        var chunks = new List<byte[]>();
        int remaining = 2 * 1024 * 1024, previous = 0;
        bool first = true;
        while (remaining > 0)
        {
            int length = Math.Min(65535, remaining);
            remaining -= length;
            chunks.Add(Header(length, previous, (byte)((first ? 0x80 : 0) | (remaining == 0 ? 0x20 : 0))));
            chunks.Add(new byte[length]);
            previous = length;
            first = false;
        }
        using var media = Image("max.aws", Aws([.. chunks]));
        Assert.Equal(MediaStatus.Ok, media.ReadForward(_buffer, out int blockLength));
        Assert.Equal(2 * 1024 * 1024, blockLength);
    }

    [Fact]
    public void A_file_of_zeros_is_a_data_check_without_a_walk_to_its_end()
    {
        // Zero-length chunks without end-of-record: more than 16 in one block are a corrupt image
        // (docs/device-behaviour.md, "Runs of empty chunks"), so nothing walks 3 MiB six bytes at a time.
        using var media = Image("zeros.aws", new byte[3 * 1024 * 1024]);
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
        Assert.Equal(MediaStatus.DataCheck, media.ForwardSpaceFile());
        Assert.Equal(MediaStatus.LocateFailed, media.Locate(long.MaxValue));
    }

    [Fact]
    public void Absurd_locate_targets_fail_without_walking_forever()
    {
        using var media = Image("small.aws", Aws(Header(1, 0, 0xA0), [9], Header(0, 1, 0x40)));
        Assert.Equal(MediaStatus.LocateFailed, media.Locate(long.MaxValue));
        Assert.Equal(2, media.Position.BlockNumber);
        Assert.Equal(MediaStatus.LocateFailed, media.Locate(long.MinValue));
        Assert.Equal(MediaStatus.Ok, media.Locate(1));
    }

    [Fact]
    public void Garbage_previous_lengths_do_not_disturb_backward_motion()
    {
        // Previous-length fields pointing anywhere (even at themselves): the index, not the chain, is used.
        using var media = Image("prev.aws", Aws(Header(2, 0xFFFF, 0xA0), [1, 2], Header(3, 0, 0xA0), [3, 4, 5], Header(0, 0x1234, 0x40)));
        Assert.Equal(MediaStatus.TapeMark, media.ForwardSpaceFile());
        Assert.Equal(MediaStatus.TapeMark, media.ReadBackward(_buffer, out _));
        Assert.Equal(MediaStatus.Ok, media.ReadBackward(_buffer, out int length));
        Assert.Equal(new byte[] { 3, 4, 5 }, _buffer[..length]);
        Assert.Equal(MediaStatus.Ok, media.ReadBackward(_buffer, out length));
        Assert.Equal(new byte[] { 1, 2 }, _buffer[..length]);
        Assert.Equal(MediaStatus.LoadPoint, media.ReadBackward(_buffer, out _));
    }

    [Fact]
    public void Read_backward_over_a_corrupt_block_reports_it_and_stays_put()
    {
        // Spacing walks headers only and passes the truncated second block; reading it backward finds it short.
        using var media = Image("bad-back.aws", Aws(Header(10, 0, 0xA0), new byte[10], Header(100, 10, 0xA0), new byte[20]));
        Assert.Equal(MediaStatus.Ok, media.ForwardSpaceBlock());
        Assert.Equal(MediaStatus.Ok, media.ForwardSpaceBlock());
        Assert.Equal(MediaStatus.BlockShort, media.ReadBackward(_buffer, out _));
        Assert.Equal(2, media.Position.BlockNumber);
        Assert.Equal(MediaStatus.Ok, media.BackspaceBlock());
        Assert.Equal(MediaStatus.Ok, media.ReadBackward(_buffer, out int length));
        Assert.Equal(10, length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void Truncated_HET_header_is_end_of_tape(int bytes)
    {
        using var media = Image("hdr.het", Aws(Header(0, 0, 0x40), new byte[bytes]));
        Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out _));
        Assert.Equal(MediaStatus.EndOfTape, media.ReadForward(_buffer, out _));
    }

    [Fact]
    public void Truncated_HET_data_is_a_data_check()
    {
        // hetlib.c het_read: premature end of file -> HETE_PREMEOF -> read_het data check.
        using var media = Image("data.het", Aws(Header(100, 0, 0xA1), new byte[50]));
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
    }

    [Fact]
    public void HET_chunk_without_start_of_record_is_a_data_check()
    {
        using var media = Image("bor.het", Aws(Header(0, 0, 0x40), Header(3, 0, 0x21), [1, 2, 3]));
        Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out _));
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
    }

    [Fact]
    public void HET_second_start_of_record_inside_a_block_is_a_data_check()
    {
        using var media = Image("bor2.het", Aws(Header(2, 0, 0x80), [1, 2], Header(2, 2, 0xA0), [3, 4]));
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
    }

    [Fact]
    public void HET_compression_flags_that_differ_between_chunks_are_a_data_check()
    {
        byte[] compressed = Zlib(new byte[1000]);
        using var media = Image("mix.het", Aws(Header(4, 0, 0x81), compressed[..4], Header(compressed.Length - 4, 4, 0x20), compressed[4..]));
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
    }

    [Fact]
    public void HET_zlib_and_bus_tech_flags_together_are_a_data_check()
    {
        byte[] compressed = Zlib(new byte[1000]);
        using var media = Image("both.het", Aws(Header(compressed.Length, 0, 0xA1, 0x80), compressed));
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
    }

    [Fact]
    public void HET_bus_tech_zlib_block_reads()
    {
        byte[] data = TestData.Block(5000, 2);
        byte[] compressed = Zlib(data);
        using var media = Image("bustech.het", Aws(Header(compressed.Length, 0, 0xA0, 0x80), compressed));
        Assert.Equal(MediaStatus.Ok, media.ReadForward(_buffer, out int length));
        Assert.Equal(data, _buffer[..length]);
    }

    [Theory]
    [InlineData((byte)0xA1)]
    [InlineData((byte)0xA2)]
    [InlineData((byte)0xA3)]
    public void HET_data_that_does_not_decompress_is_a_data_check(byte flags)
    {
        byte[] garbage = TestData.Block(300, 5);
        using var media = Image("garbage.het", Aws(Header(garbage.Length, 0, flags), garbage));
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
    }

    [Fact]
    public void HET_block_whose_data_does_not_decompress_is_passed_by_the_read_that_meets_it()
    {
        // hetlib.c het_read has read every chunk of the block when it fails to decompress it, so
        // Hercules is after the block (golden corrupt_het_bad_data): the next Read gets the block
        // after it and a Backspace Block returns to it for a retry, as on a real drive.
        byte[] good = Zlib(TestData.Block(1000, 1));
        byte[] garbage = TestData.Block(300, 5);
        using var media = Image("passed.het", Aws(Header(good.Length, 0, 0xA1), good, Header(garbage.Length, good.Length, 0xA1), garbage,
            Header(3, garbage.Length, 0xA0), [7, 8, 9], Header(0, 3, 0x40)));
        Assert.Equal(MediaStatus.Ok, media.ReadForward(_buffer, out _));
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out int length));
        Assert.Equal(0, length);
        Assert.Equal(2, media.Position.BlockNumber);
        Assert.Equal(MediaStatus.Ok, media.ReadForward(_buffer, out length));
        Assert.Equal(new byte[] { 7, 8, 9 }, _buffer[..length]);

        Assert.Equal(MediaStatus.Ok, media.BackspaceBlock());
        Assert.Equal(MediaStatus.Ok, media.BackspaceBlock());
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
        Assert.Equal(2, media.Position.BlockNumber);

        // Read Backward over it reports it and stays after it, as Hercules' het_bsb + failing read does.
        Assert.Equal(MediaStatus.DataCheck, media.ReadBackward(_buffer, out _));
        Assert.Equal(2, media.Position.BlockNumber);

        Assert.Equal(MediaStatus.Ok, media.Locate(3));
        Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out _));
        Assert.Equal(MediaStatus.Ok, media.Rewind());
        Assert.Equal(MediaStatus.TapeMark, media.ForwardSpaceFile());
        Assert.Equal(4, media.Position.BlockNumber);
    }

    public static TheoryData<string, byte[]> BrokenHetBlocks()
    {
        byte[] compressed = Zlib(TestData.Block(1000, 2));
        return new()
        {
            { "compression flags differ between chunks", Aws(Header(4, 3, 0x81), compressed[..4], Header(compressed.Length - 4, 4, 0x20), compressed[4..]) },
            { "no start of record", Aws(Header(compressed.Length, 3, 0x21), compressed) },
            { "a second start of record", Aws(Header(4, 3, 0x81), compressed[..4], Header(compressed.Length - 4, 4, 0xA1), compressed[4..]) },
            { "a tape mark inside the block", Aws(Header(4, 3, 0x81), compressed[..4], Header(0, 4, 0x40)) },
            { "the file ends inside the data", Aws(Header(compressed.Length, 3, 0xA1), compressed[..10]) },
        };
    }

    [Theory]
    [MemberData(nameof(BrokenHetBlocks))]
    public void HET_block_with_a_broken_structure_is_a_data_check_that_leaves_the_volume_in_front_of_it(string broken, byte[] block)
    {
        // het_read stops inside such a block (Hercules then reads on from the middle of it); here the
        // volume stays in front of it, as for AWS, so every Read reports it (golden corrupt_het_bad_structure).
        using var media = Image("broken.het", Aws(Header(3, 0, 0xA0), [1, 2, 3], block));
        Assert.Equal(MediaStatus.Ok, media.ReadForward(_buffer, out _));
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
        Assert.True(media.Position.BlockNumber == 1, broken);
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
        Assert.Equal(MediaStatus.Ok, media.BackspaceBlock());
        Assert.True(media.Position.AtLoadPoint, broken);
    }

    [Fact]
    public void HET_truncated_zlib_stream_is_a_data_check()
    {
        byte[] compressed = Zlib(TestData.Block(5000, 2));
        using var media = Image("cut.het", Aws(Header(compressed.Length - 5, 0, 0xA1), compressed[..^5]));
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
    }

    [Fact]
    public void HET_block_that_decompresses_beyond_2_MiB_is_a_data_check()
    {
        byte[] compressed = Zlib(new byte[3 * 1024 * 1024]);
        Assert.True(compressed.Length < 65535);
        using var media = Image("bomb.het", Aws(Header(compressed.Length, 0, 0xA1), compressed));
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
    }

    [Fact]
    public void HET_tape_mark_with_data_is_a_data_check()
    {
        using var media = Image("tm.het", Aws(Header(4, 0, 0x40), new byte[4]));
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
    }

    [Fact]
    public void FakeTape_damaged_headers_are_data_checks()
    {
        using (var media = Image("xor.fkt", "000000500051"u8.ToArray().Concat(new byte[80]).ToArray()))
            Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
        using (var media = Image("hex.fkt", "0000005G0050"u8.ToArray().Concat(new byte[80]).ToArray()))
            Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
    }

    [Fact]
    public void FakeTape_truncation_is_a_short_block_and_a_clean_end_is_end_of_data()
    {
        using (var media = Image("short.fkt", "000000500050"u8.ToArray().Concat(new byte[10]).ToArray()))
            Assert.Equal(MediaStatus.BlockShort, media.ReadForward(_buffer, out _));
        using (var media = Image("hdr.fkt", "00000000"u8.ToArray()))
            Assert.Equal(MediaStatus.BlockShort, media.ReadForward(_buffer, out _));
        using (var media = Image("end.fkt", "000000000000"u8.ToArray()))
        {
            Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out _));
            Assert.Equal(MediaStatus.EndOfData, media.ReadForward(_buffer, out _));
        }
    }

    [Fact]
    public void Missing_file_fails_to_open_with_its_name()
    {
        string path = _directory.File("missing.aws");
        Assert.False(TapeImage.TryOpen(path, new TapeImageOptions(), out var media, out string? error));
        Assert.Null(media);
        Assert.Contains(path, error, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Directory_and_OMA_descriptor_fail_to_open()
    {
        Assert.False(TapeImage.TryOpen(_directory.Path, new TapeImageOptions(), out _, out _));
        string tdf = _directory.File("volume.tdf");
        File.WriteAllText(tdf, "@TDF\nfile TEXT a.txt\nEOT\n");
        Assert.False(TapeImage.TryOpen(tdf, new TapeImageOptions(), out _, out string? error));
        Assert.Contains("OMA", error, StringComparison.Ordinal);
    }

    [Fact]
    public void OMA_descriptor_content_under_another_name_fails_to_open()
    {
        string path = _directory.File("volume.aws");
        File.WriteAllText(path, "@TDF\nfile TEXT a.txt\nEOT\n");
        Assert.False(TapeImage.TryOpen(path, new TapeImageOptions(), out _, out string? error));
        Assert.Contains("OMA", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pipe_is_refused_and_an_endless_device_reads_as_empty()
    {
        if (!OperatingSystem.IsLinux())
            return;
        string fifo = _directory.File("pipe.aws");
        var mkfifo = System.Diagnostics.Process.Start("mkfifo", fifo);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        Assert.False(TapeImage.TryOpen(fifo, new TapeImageOptions(), out _, out string? error));
        Assert.Contains("not a regular file", error, StringComparison.Ordinal);
        Assert.Equal(TapeImageFormat.Aws, TapeImage.DetectFormat(fifo));

        // /dev/zero reads zeros for ever; its length is 0, so the volume ends at once.
        using var zero = TestData.Open("/dev/zero", new TapeImageOptions { ReadOnly = true });
        Assert.Equal(MediaStatus.EndOfData, zero.ReadForward(_buffer, out _));
        Assert.Equal(MediaStatus.LocateFailed, zero.Locate(100));
    }

    [Fact]
    public void A_file_that_cannot_be_opened_for_writing_opens_read_only()
    {
        string path = _directory.File("ro.aws");
        File.WriteAllBytes(path, TestData.Hex("0000 0000 40 00"));
        if (OperatingSystem.IsWindows())
            File.SetAttributes(path, FileAttributes.ReadOnly);
        else
            File.SetUnixFileMode(path, UnixFileMode.UserRead);
        bool writable;
        try
        {
            using (File.Open(path, FileMode.Open, FileAccess.ReadWrite))
                writable = true; // root ignores file modes, as it does for Hercules
        }
        catch (UnauthorizedAccessException)
        {
            writable = false;
        }
        using var media = TestData.Open(path);
        Assert.Equal(!writable, media.IsReadOnly);
        Assert.Equal(writable ? MediaStatus.Ok : MediaStatus.WriteProtected, media.EraseGap());
    }

    [Fact]
    public void Create_refuses_to_overwrite_a_volume_with_data()
    {
        string path = _directory.File("keep.aws");
        File.WriteAllBytes(path, TestData.Hex("0000 0000 40 00"));
        Assert.False(TapeImage.TryCreate(path, TapeImageFormat.Aws, new TapeImageOptions(), out _, out string? error));
        Assert.Contains("not empty", error, StringComparison.Ordinal);
        Assert.Equal(6, new FileInfo(path).Length);
    }

    [Theory]
    [InlineData("zeros.aws")]
    [InlineData("zeros.het")]
    [InlineData("zeros.fkt")]
    public void A_large_zero_filled_sparse_image_is_a_data_check_at_once_not_a_walk_over_every_header(string name)
    {
        // Issue 13: 64 GiB of holes, every header all zeros. Walking it six bytes at a time would hold the drive
        // for hours per command; the image is refused at its first block instead, however it is moved over.
        string path = _directory.File(name);
        using (var file = File.Create(path))
        {
            file.SetLength(64L << 30);
        }

        using var media = TestData.Open(path, new TapeImageOptions { ReadOnly = true });
        Assert.Equal(MediaStatus.DataCheck, media.ReadForward(_buffer, out _));
        Assert.Equal(MediaStatus.DataCheck, media.ForwardSpaceFile());
        Assert.Equal(MediaStatus.DataCheck, media.ForwardSpaceBlock());
        Assert.Equal(0, media.Position.Offset);
    }

    [Fact]
    public void A_block_of_a_few_empty_chunks_before_its_last_still_reads()
    {
        var content = Aws(Header(0, 0, 0x80), Header(0, 0, 0x00), Header(3, 0, 0x20), [1, 2, 3]);
        using var media = Image("empties.aws", content);

        Assert.Equal(MediaStatus.Ok, media.ReadForward(_buffer, out int length));
        Assert.Equal(3, length);
    }
}
