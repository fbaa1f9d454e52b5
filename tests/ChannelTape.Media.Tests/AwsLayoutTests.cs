using System.Text;

namespace ChannelTape.Media.Tests;

/// <summary>Byte-exact image layouts from docs/reference/hercules-tape.md §6.1-§6.3 (awstape.c, hetlib.c, faketape.c).</summary>
public sealed class AwsLayoutTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Ten_thousand_bytes_at_chunksize_4096_split_into_three_chunks_then_a_tape_mark()
    {
        string path = _directory.File("chunks.aws");
        byte[] block = TestData.Block(10_000, 2);
        using (var media = TestData.Create(path, TapeImageFormat.Aws, new TapeImageOptions { ChunkSize = 4096 }))
        {
            Assert.Equal(MediaStatus.Ok, media.Write(block));
            Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
        }
        byte[] image = File.ReadAllBytes(path);
        var expected = new List<byte>();
        expected.AddRange(TestData.Hex("0010 0000 80 00"));
        expected.AddRange(block[..4096]);
        expected.AddRange(TestData.Hex("0010 0010 00 00"));
        expected.AddRange(block[4096..8192]);
        expected.AddRange(TestData.Hex("1007 0010 20 00"));
        expected.AddRange(block[8192..]);
        expected.AddRange(TestData.Hex("0000 1007 40 00"));
        Assert.Equal(expected.ToArray(), image);
    }

    [Fact]
    public void The_awstape_word_gives_4096_byte_chunks()
    {
        Assert.True(TapeImageOptions.TryParse(["awstape"], out var options, out _));
        string path = _directory.File("p390.aws");
        using (var media = TestData.Create(path, TapeImageFormat.Aws, options))
            Assert.Equal(MediaStatus.Ok, media.Write(new byte[5000]));
        byte[] image = File.ReadAllBytes(path);
        Assert.Equal(TestData.Hex("0010 0000 80 00"), image[..6]);
        Assert.Equal(TestData.Hex("8803 0010 20 00"), image[4102..4108]);
        Assert.Equal(5012, image.Length);
    }

    [Fact]
    public void Default_chunk_size_is_65535()
    {
        string path = _directory.File("big.aws");
        using (var media = TestData.Create(path, TapeImageFormat.Aws))
            Assert.Equal(MediaStatus.Ok, media.Write(new byte[100_000]));
        byte[] image = File.ReadAllBytes(path);
        Assert.Equal(TestData.Hex("FFFF 0000 80 00"), image[..6]);
        Assert.Equal(TestData.Hex("A186 FFFF 20 00"), image[(6 + 65535)..(12 + 65535)]);
        Assert.Equal(100_012, image.Length);
    }

    [Fact]
    public void Standard_label_volume_matches_hetinit_minus_d()
    {
        // docs/reference/hercules-tape.md §6.1: `hetinit -d` output is 50 00 00 00 A0 00 + VOL1, 50 00 50 00 A0 00 + HDR1, 00 00 50 00 40 00.
        string path = _directory.File("sl.aws");
        byte[] vol1 = TestData.Ebcdic80("VOL1VOL001                               OWNER");
        byte[] hdr1 = TestData.Ebcdic80("HDR1" + new string('0', 76));
        using (var media = TestData.Create(path, TapeImageFormat.Aws))
        {
            Assert.Equal(MediaStatus.Ok, media.Write(vol1));
            Assert.Equal(MediaStatus.Ok, media.Write(hdr1));
            Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
        }
        byte[] expected = [.. TestData.Hex("5000 0000 A0 00"), .. vol1, .. TestData.Hex("5000 5000 A0 00"), .. hdr1, .. TestData.Hex("0000 5000 40 00")];
        Assert.Equal(expected, File.ReadAllBytes(path));
        Assert.Equal(expected, File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "hetinit-d-VOL001-OWNER.aws")));
    }

    [Fact]
    public void Unlabelled_empty_volume_is_two_tape_marks()
    {
        string path = _directory.File("nl.aws");
        using (var media = TestData.Create(path, TapeImageFormat.Aws))
        {
            Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
            Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
        }
        Assert.Equal(TestData.Hex("0000 0000 40 00 0000 0000 40 00"), File.ReadAllBytes(path));
    }

    [Fact]
    public void Writing_after_reading_a_multi_chunk_block_chains_from_its_last_chunk()
    {
        // Hercules rereads the block's *first* header here and so overwrites the block's tail (§8.9);
        // the index knows the block's end and its last chunk length.
        string path = _directory.File("append.aws");
        using (var media = TestData.Create(path, TapeImageFormat.Aws, new TapeImageOptions { ChunkSize = 4096 }))
            Assert.Equal(MediaStatus.Ok, media.Write(new byte[10_000]));
        using (var media = TestData.Open(path))
        {
            Assert.Equal(MediaStatus.Ok, media.ForwardSpaceBlock());
            Assert.Equal(MediaStatus.Ok, media.Write(new byte[3]));
        }
        byte[] image = File.ReadAllBytes(path);
        Assert.Equal(10_018 + 9, image.Length);
        Assert.Equal(TestData.Hex("0300 1007 A0 00"), image[10_018..10_024]);
    }

    [Fact]
    public void File_is_truncated_after_every_write()
    {
        string path = _directory.File("trunc.aws");
        using var media = TestData.Create(path, TapeImageFormat.Aws);
        for (int i = 0; i < 5; i++)
            Assert.Equal(MediaStatus.Ok, media.Write(new byte[1000]));
        Assert.Equal(MediaStatus.Ok, media.Rewind());
        Assert.Equal(MediaStatus.Ok, media.Write(new byte[10]));
        Assert.Equal(16, new FileInfo(path).Length);
        Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
        Assert.Equal(TestData.Hex("0A00 0000 A0 00 00000000000000000000 0000 0A00 40 00"), File.ReadAllBytes(path));
    }

    [Fact]
    public void Het_zlib_block_is_one_compressed_chunk_with_flags_A1_and_an_RFC1950_header()
    {
        string path = _directory.File("z.het");
        byte[] block = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("HERCULES TAPE ", 800)))[..10_000];
        using (var media = TestData.Create(path, TapeImageFormat.Het))
        {
            Assert.Equal(MediaStatus.Ok, media.Write(block));
            Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
        }
        byte[] image = File.ReadAllBytes(path);
        int length = image[0] | image[1] << 8;
        Assert.True(length < 1000, $"compressed length {length}");
        Assert.Equal(TestData.Hex("0000 A1 00"), image[2..6]);
        Assert.Equal(TestData.Hex("785E"), image[6..8]); // zlib header for level 4
        Assert.Equal(6 + length + 6, image.Length);
        Assert.Equal([(byte)length, (byte)(length >> 8), 0x40, 0x00], new[] { image[^4], image[^3], image[^2], image[^1] });
    }

    [Fact]
    public void Het_keeps_a_block_uncompressed_when_compression_does_not_shrink_it()
    {
        string path = _directory.File("random.het");
        byte[] block = TestData.Block(5000, 1); // noise
        using (var media = TestData.Create(path, TapeImageFormat.Het))
            Assert.Equal(MediaStatus.Ok, media.Write(block));
        byte[] image = File.ReadAllBytes(path);
        Assert.Equal(TestData.Hex("8813 0000 A0 00"), image[..6]);
        Assert.Equal(block, image[6..]);
    }

    [Fact]
    public void Het_bzip2_block_has_flags_A2_and_a_bzip2_stream_of_the_level_as_block_size()
    {
        string path = _directory.File("bz.het");
        using (var media = TestData.Create(path, TapeImageFormat.Het, new TapeImageOptions { Method = HetCompression.Bzip2, Level = 9 }))
            Assert.Equal(MediaStatus.Ok, media.Write(new byte[20_000]));
        byte[] image = File.ReadAllBytes(path);
        Assert.Equal(TestData.Hex("0000 A2 00"), image[2..6]);
        Assert.Equal("BZh9"u8.ToArray(), image[6..10]);
    }

    [Fact]
    public void Het_compressed_blocks_larger_than_a_chunk_are_chunked_with_the_compression_bits_on_every_chunk()
    {
        string path = _directory.File("chunked.het");
        // Noise in every other byte: compresses, but to far more than one 4096-byte chunk.
        byte[] noise = TestData.Block(30_000, 1);
        byte[] block = new byte[30_000];
        for (int i = 0; i < block.Length; i += 2)
            block[i] = noise[i];
        using (var media = TestData.Create(path, TapeImageFormat.Het, new TapeImageOptions { ChunkSize = 4096, Level = 1 }))
            Assert.Equal(MediaStatus.Ok, media.Write(block));
        byte[] image = File.ReadAllBytes(path);
        Assert.Equal(0x81, image[4]);
        Assert.Equal(TestData.Hex("0010 0000 81 00"), image[..6]);
        Assert.Equal(TestData.Hex("0010 0010 01 00"), image[4102..4108]);
        using var reopened = TestData.Open(path);
        byte[] buffer = TestData.Buffer();
        Assert.Equal(MediaStatus.Ok, reopened.ReadForward(buffer, out int length));
        Assert.Equal(block, buffer[..length]);
    }

    [Fact]
    public void FakeTape_headers_are_ascii_hex_previous_current_xor()
    {
        string path = _directory.File("flex.fkt");
        using (var media = TestData.Create(path, TapeImageFormat.FakeTape))
        {
            Assert.Equal(MediaStatus.Ok, media.Write(new byte[80]));
            Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
        }
        byte[] image = File.ReadAllBytes(path);
        Assert.Equal("000000500050"u8.ToArray(), image[..12]);
        Assert.Equal("005000000050"u8.ToArray(), image[92..104]);
        Assert.Equal(104, image.Length);
    }
}
