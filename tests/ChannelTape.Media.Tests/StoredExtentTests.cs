namespace ChannelTape.Media.Tests;

/// <summary>
/// <see cref="ITapeMedia.TryGetStoredExtent"/> (used by read-ahead by reference, docs/protocol.md §5.3):
/// blocks stored in one piece without compression have an extent in the file, which really holds their
/// bytes there; no other block has one, and tape marks, the end of data and damaged blocks never do. The
/// question never moves the volume. <see cref="ExtentOrRead"/> walks a volume the way the server's
/// read-ahead does: skip a block that has an extent, else read it.
/// </summary>
public sealed class StoredExtentTests : IDisposable
{
    private static readonly int[] s_sizes = [1, 80, 4096, 4097, 30_000, 65_535, 65_536, 200_000];
    private readonly TempDirectory _directory = new();
    private readonly byte[] _buffer = TestData.Buffer();

    public void Dispose() => _directory.Dispose();

    public static TheoryData<string> Formats => new() { "aws", "aws chunksize=4096", "het compress=0", "het chunksize=4096 compress=0", "het", "fake" };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Blocks_in_one_uncompressed_piece_are_referred_to_where_the_file_holds_their_bytes_and_others_are_read(string format)
    {
        var (path, options) = Create(format, out var media);
        var sizes = format == "fake" ? s_sizes.Where(size => size <= 65_535).ToArray() : s_sizes;
        using (media)
        {
            for (var i = 0; i < sizes.Length; i++)
            {
                Assert.Equal(MediaStatus.Ok, media.Write(TestData.Block(sizes[i], i)));
            }

            Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
            Assert.Equal(MediaStatus.Ok, media.Rewind());
            var file = File.ReadAllBytes(path); // written with the volume still open: nothing may wait in a buffer
            var referred = 0;
            for (var i = 0; i < sizes.Length; i++)
            {
                var block = TestData.Block(sizes[i], i);
                Assert.Equal(MediaStatus.Ok, ExtentOrRead(media, out var length, out var offset));
                Assert.Equal(block.Length, length);
                Assert.Equal(i + 1, media.Position.BlockNumber);
                if (offset >= 0)
                {
                    referred++;
                    Assert.Equal(block, file.AsSpan((int)offset, length).ToArray());
                }
                else
                {
                    Assert.Equal(block, _buffer.AsSpan(0, length).ToArray());
                }

                var oneChunk = format == "fake" || sizes[i] <= options.ChunkSize;
                if (format != "het")
                {
                    Assert.Equal(oneChunk, offset >= 0);
                }
                else if (i % 2 == 0 && sizes[i] >= 4096 || !oneChunk)
                {
                    Assert.Equal(-1, offset); // compressed (TestData: even seeds compress), or more than one chunk
                }
            }

            Assert.True(referred > 0);
            Assert.Equal(MediaStatus.TapeMark, ExtentOrRead(media, out var markLength, out var markOffset));
            Assert.Equal((0, -1L), (markLength, markOffset));
            Assert.Equal(format.StartsWith("het", StringComparison.Ordinal) ? MediaStatus.EndOfTape : MediaStatus.EndOfData,
                ExtentOrRead(media, out _, out var endOffset));
            Assert.Equal(-1, endOffset);
            Assert.Equal(sizes.Length + 1, media.Position.BlockNumber);
        }
    }

    [Theory]
    [InlineData("aws", MediaStatus.BlockShort)]
    [InlineData("het compress=0", MediaStatus.DataCheck)]
    [InlineData("fake", MediaStatus.BlockShort)]
    public void A_block_the_file_does_not_hold_whole_is_reported_as_ReadForward_reports_it(string format, MediaStatus expected)
    {
        var (path, _) = Create(format, out var media);
        using (media)
        {
            Assert.Equal(MediaStatus.Ok, media.Write(TestData.Block(100, 1)));
            Assert.Equal(MediaStatus.Ok, media.Write(TestData.Block(100, 3)));
        }

        using (var stream = new FileStream(path, FileMode.Open))
        {
            stream.SetLength(stream.Length - 10);
        }

        using var reopened = TestData.Open(path, Options(format));
        Assert.Equal(MediaStatus.Ok, ExtentOrRead(reopened, out _, out var first));
        Assert.True(first >= 0);
        Assert.Equal(expected, ExtentOrRead(reopened, out var length, out var offset));
        Assert.Equal((0, -1L), (length, offset));
        Assert.Equal(1, reopened.Position.BlockNumber);
    }

    [Theory]
    [InlineData("aws")]
    [InlineData("fake")]
    public void A_damaged_header_is_a_data_check_not_a_reference(string format)
    {
        var (path, _) = Create(format, out var media);
        using (media)
        {
            Assert.Equal(MediaStatus.Ok, media.Write(TestData.Block(100, 1)));
            Assert.Equal(MediaStatus.Ok, media.Write(TestData.Block(100, 3)));
        }

        var bytes = File.ReadAllBytes(path);
        var second = format == "fake" ? 12 + 100 : 6 + 100;
        if (format == "fake")
        {
            bytes[second + 8] ^= 0x01; // the XOR check no longer matches (faketape.c read_fakehdr)
        }
        else
        {
            bytes[second + 4] = 0x40 | 0x20; // tape mark flag on a chunk with data (awstape.c "Invalid tapemark")
        }

        File.WriteAllBytes(path, bytes);
        using var reopened = TestData.Open(path, Options(format));
        Assert.Equal(MediaStatus.Ok, ExtentOrRead(reopened, out _, out _));
        Assert.Equal(MediaStatus.DataCheck, ExtentOrRead(reopened, out var length, out var offset));
        Assert.Equal((0, -1L), (length, offset));
        Assert.Equal(1, reopened.Position.BlockNumber);
    }

    [Fact]
    public void A_memory_volume_has_no_file_so_no_block_has_an_extent()
    {
        using var media = MemoryTapeMedia.FromBlocks([[1, 2, 3], null]);
        Assert.Equal(MediaStatus.Ok, ExtentOrRead(media, out var length, out var offset));
        Assert.Equal((3, -1L), (length, offset));
        Assert.Equal([1, 2, 3], _buffer[..3]);
        Assert.Equal(MediaStatus.TapeMark, ExtentOrRead(media, out _, out offset));
        Assert.Equal(-1, offset);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Blocks_known_from_the_index_are_referred_to_exactly_as_a_fresh_walk_of_the_file_refers_to_them(string format)
    {
        // A volume that wrote its blocks refers to them from its index (AWS: no header read); the same
        // file opened again has no index and walks the headers. Both must give the same answers.
        var (path, options) = Create(format, out var writer);
        var sizes = format == "fake" ? s_sizes.Where(size => size <= 65_535).ToArray() : s_sizes;
        var fromIndex = new List<(MediaStatus, int, long)>();
        using (writer)
        {
            for (var i = 0; i < sizes.Length; i++)
            {
                Assert.Equal(MediaStatus.Ok, writer.Write(TestData.Block(sizes[i], i)));
                if (i == 2)
                {
                    Assert.Equal(MediaStatus.Ok, writer.Write([])); // zero length: read as a tape mark
                }
            }

            Assert.Equal(MediaStatus.Ok, writer.WriteTapeMark());
            Assert.Equal(MediaStatus.Ok, writer.Rewind());
            for (var i = 0; i < sizes.Length + 3; i++)
            {
                var status = ExtentOrRead(writer, out var length, out var offset);
                fromIndex.Add((status, length, offset));
            }
        }

        Assert.True(TapeImage.TryOpen(path, options, out var reader, out var error), error);
        using (reader)
        {
            for (var i = 0; i < fromIndex.Count; i++)
            {
                var status = ExtentOrRead(reader, out var length, out var offset);
                Assert.Equal(fromIndex[i], (status, length, offset));
            }
        }

        Assert.Contains(fromIndex, entry => entry.Item3 >= 0);
        Assert.Contains(fromIndex, entry => entry.Item1 == MediaStatus.TapeMark);
    }

    [Fact]
    public void An_AWS_chunk_with_compression_flags_is_referred_to_since_AWS_reads_its_bytes_as_they_are()
    {
        // awstape.c never decompresses: ReadForward returns a flagged chunk as stored, so a reference to it
        // gives the same bytes, whether the block is found by a header walk or (after that) from the index.
        // The first block is plain: flags on the first header would make the image a HET one (gettapetype).
        var path = _directory.File("flagged.aws");
        var plain = TestData.Block(80, 1);
        var flagged = TestData.Block(300, 7);
        var image = new byte[2 * AwsBlockHeader.Size + plain.Length + flagged.Length];
        new AwsBlockHeader((ushort)plain.Length, 0, AwsFlags1.StartOfRecord | AwsFlags1.EndOfRecord, AwsFlags2.None).Write(image);
        plain.CopyTo(image, AwsBlockHeader.Size);
        var second = AwsBlockHeader.Size + plain.Length;
        new AwsBlockHeader((ushort)flagged.Length, (ushort)plain.Length,
            AwsFlags1.StartOfRecord | AwsFlags1.EndOfRecord | AwsFlags1.Zlib, AwsFlags2.None).Write(image.AsSpan(second));
        flagged.CopyTo(image, second + AwsBlockHeader.Size);
        File.WriteAllBytes(path, image);
        var expected = (flagged.Length, (long)(second + AwsBlockHeader.Size));

        Assert.True(TapeImage.TryOpen(path, new TapeImageOptions(), out var fresh, out var error), error);
        using (fresh)
        {
            Assert.Equal(TapeImageFormat.Aws, fresh.Format);
            Assert.Equal(MediaStatus.Ok, fresh.ReadForward(_buffer, out _));
            Assert.Equal(MediaStatus.Ok, ExtentOrRead(fresh, out var length, out var offset)); // header walk
            Assert.Equal(expected, (length, offset));
            Assert.Equal(MediaStatus.Ok, fresh.Rewind());
            Assert.Equal(MediaStatus.Ok, fresh.ReadForward(_buffer, out _));
            Assert.Equal(MediaStatus.Ok, fresh.ReadForward(_buffer, out length));
            Assert.Equal(flagged, _buffer.AsSpan(0, length).ToArray()); // the bytes as stored
            Assert.Equal(MediaStatus.Ok, fresh.Locate(1));
            Assert.Equal(MediaStatus.Ok, ExtentOrRead(fresh, out length, out offset)); // from the index
            Assert.Equal(expected, (length, offset));
        }
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void Asking_for_an_extent_never_moves_the_volume_and_knows_no_block_past_the_position(string format)
    {
        var (_, _) = Create(format, out var media);
        using (media)
        {
            Assert.Equal(MediaStatus.Ok, media.Write(TestData.Block(100, 1)));
            Assert.Equal(MediaStatus.Ok, media.Write(TestData.Block(100, 3)));
            Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
            Assert.Equal(MediaStatus.Ok, media.Rewind());

            var first = media.TryGetStoredExtent(0, out var offset, out var length);
            Assert.Equal(0, media.Position.BlockNumber);
            Assert.Equal(first, media.TryGetStoredExtent(0, out var again, out var againLength));
            Assert.Equal((offset, length), (again, againLength));
            Assert.False(media.TryGetStoredExtent(2, out _, out _)); // the tape mark
            Assert.False(media.TryGetStoredExtent(4, out _, out _)); // past the blocks known
            Assert.False(media.TryGetStoredExtent(-1, out _, out _));
            Assert.Equal(0, media.Position.BlockNumber);
        }
    }

    /// <summary>
    /// The server's read-ahead step: a block with an extent is skipped (the host reads it from the file), any
    /// other is read; <paramref name="offset"/> is -1 for a block read.
    /// </summary>
    private MediaStatus ExtentOrRead(ITapeMedia media, out int length, out long offset)
    {
        if (media.TryGetStoredExtent(media.Position.BlockNumber, out offset, out length))
        {
            Assert.Equal(MediaStatus.Ok, media.ForwardSpaceBlock());
            return MediaStatus.Ok;
        }

        Assert.Equal((-1L, 0), (offset, length));
        return media.ReadForward(_buffer, out length);
    }

    private (string Path, TapeImageOptions Options) Create(string format, out ITapeMedia media)
    {
        var words = format.Split(' ');
        var options = Options(format);
        var path = _directory.File("volume." + words[0]);
        media = TestData.Create(path, words[0] switch
        {
            "aws" => TapeImageFormat.Aws,
            "het" => TapeImageFormat.Het,
            _ => TapeImageFormat.FakeTape,
        }, options);
        return (path, options);
    }

    private static TapeImageOptions Options(string format)
    {
        Assert.True(TapeImageOptions.TryParse(format.Split(' ').Skip(1), out var options, out var error), error);
        return options;
    }
}
