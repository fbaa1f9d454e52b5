namespace ChannelTape.Media.Tests;

/// <summary>Device-statement words (tapedev.c ptab / mountnewtape; docs/reference/hercules-tape.md §6.2, §6.5).</summary>
public sealed class TapeImageOptionsTests
{
    private static TapeImageOptions Parse(params string[] words)
    {
        Assert.True(TapeImageOptions.TryParse(words, out var options, out string? error), error);
        Assert.Null(error);
        return options;
    }

    private static string Reject(params string[] words)
    {
        Assert.False(TapeImageOptions.TryParse(words, out _, out string? error));
        Assert.NotNull(error);
        return error!;
    }

    [Fact]
    public void Defaults_are_Hercules_defaults()
    {
        var options = Parse();
        Assert.False(options.ReadOnly);
        Assert.Equal(0, options.MaxSize);
        Assert.Equal(128 * 1024, options.EotMargin);
        Assert.Equal(65535, options.ChunkSize);
        Assert.True(options.Compress);
        Assert.Equal(HetCompression.Zlib, options.Method);
        Assert.Equal(4, options.Level);
        Assert.False(options.StrictSize);
    }

    [Theory]
    [InlineData("ro")]
    [InlineData("noring")]
    [InlineData("readonly=1")]
    [InlineData("RO")]
    public void Read_only_words(string word) => Assert.True(Parse(word).ReadOnly);

    [Theory]
    [InlineData("rw")]
    [InlineData("ring")]
    [InlineData("readonly=0")]
    public void Read_write_words_undo_ro(string word) => Assert.False(Parse("ro", word).ReadOnly);

    [Theory]
    [InlineData("maxsize=1000", 1000L)]
    [InlineData("maxsize=64K", 65536L)]
    [InlineData("maxsize=5M", 5L * 1024 * 1024)]
    [InlineData("maxsize=2g", 2L * 1024 * 1024 * 1024)]
    [InlineData("maxsize=1T", 1L << 40)]
    [InlineData("maxsizeK=10", 10240L)]
    [InlineData("maxsizeM=3", 3L * 1024 * 1024)]
    [InlineData("maxsize=0", 0L)]
    public void Capacity_words(string word, long bytes) => Assert.Equal(bytes, Parse(word).MaxSize);

    [Theory]
    [InlineData("eotmargin=0", 0L)]
    [InlineData("eotmargin=4096", 4096L)]
    [InlineData("eotmargin=1M", 1024L * 1024)]
    public void End_of_tape_margin(string word, long bytes) => Assert.Equal(bytes, Parse(word).EotMargin);

    [Fact]
    public void HET_words()
    {
        var options = Parse("compress=0", "method=2", "level=9", "chunksize=4096", "strictsize=1");
        Assert.False(options.Compress);
        Assert.Equal(HetCompression.Bzip2, options.Method);
        Assert.Equal(9, options.Level);
        Assert.Equal(4096, options.ChunkSize);
        Assert.True(options.StrictSize);
        Assert.True(Parse("idrc=1", "compress=0", "idrc=1").Compress);
    }

    [Fact]
    public void Awstape_word_turns_compression_off_and_chunks_at_4096()
    {
        var options = Parse("awstape");
        Assert.False(options.Compress);
        Assert.Equal(4096, options.ChunkSize);
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("maxsize=")]
    [InlineData("maxsize=12X")]
    [InlineData("maxsize=-5")]
    [InlineData("maxsize=99999999999T")]
    [InlineData("maxsizeK=5K")]
    [InlineData("eotmargin=abc")]
    [InlineData("method=3")]
    [InlineData("level=0")]
    [InlineData("level=10")]
    [InlineData("chunksize=4095")]
    [InlineData("chunksize=65536")]
    [InlineData("compress=2")]
    [InlineData("ro=1")]
    [InlineData("--no-erg")]
    public void Unknown_or_invalid_words_are_refused_naming_the_word(string word)
    {
        string error = Reject("ro", word, "maxsize=10");
        Assert.Contains($"'{word}'", error, StringComparison.Ordinal);
    }
}

/// <summary>Format detection (tapedev.c gettapetype; docs/reference/hercules-tape.md §6.5).</summary>
public sealed class DetectFormatTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private string Image(string name, string hex)
    {
        string path = _directory.File(name);
        File.WriteAllBytes(path, TestData.Hex(hex));
        return path;
    }

    [Theory]
    [InlineData("a.aws", TapeImageFormat.Aws)]
    [InlineData("a.AWS", TapeImageFormat.Aws)]
    [InlineData("a.het", TapeImageFormat.Het)]
    [InlineData("a.Het", TapeImageFormat.Het)]
    [InlineData("a.fkt", TapeImageFormat.FakeTape)]
    [InlineData("a.tape", TapeImageFormat.Aws)]
    public void By_name_when_the_data_cannot_tell(string name, TapeImageFormat format)
    {
        // A leading tape mark is undecidable by data; a missing file has no data at all.
        Assert.Equal(format, TapeImage.DetectFormat(Image(name, "0000 0000 40 00")));
        Assert.Equal(format, TapeImage.DetectFormat(_directory.File("missing-" + name)));
    }

    [Fact]
    public void Data_wins_over_the_name()
    {
        Assert.Equal(TapeImageFormat.Het, TapeImage.DetectFormat(Image("z.aws", "1000 0000 A1 00")));
        Assert.Equal(TapeImageFormat.Het, TapeImage.DetectFormat(Image("bt.aws", "1000 0000 A0 80")));
        Assert.Equal(TapeImageFormat.FakeTape, TapeImage.DetectFormat(Image("f.aws", "303030303030")));
        Assert.Equal(TapeImageFormat.Aws, TapeImage.DetectFormat(Image("p.fkt", "5000 0000 A0 00")));
        Assert.Equal(TapeImageFormat.Het, TapeImage.DetectFormat(Image("noext", "1000 0000 A2 00")));
    }

    [Fact]
    public void A_het_name_wins_over_plain_AWS_data()
        => Assert.Equal(TapeImageFormat.Het, TapeImage.DetectFormat(Image("plain.het", "5000 0000 A0 00")));

    [Fact]
    public void Nonzero_previous_length_or_short_file_is_undecided_so_the_name_decides()
    {
        Assert.Equal(TapeImageFormat.Het, TapeImage.DetectFormat(Image("odd.het", "5000 1200 A0 00")));
        Assert.Equal(TapeImageFormat.Aws, TapeImage.DetectFormat(Image("short", "5000")));
    }
}

/// <summary>Capacity and end-of-tape rules per format (docs/reference/hercules-tape.md §6.5; awstape.c, hettape.c, faketape.c).</summary>
public sealed class CapacityTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void AWS_write_that_would_end_past_maxsize_is_refused_and_writes_nothing()
    {
        string path = _directory.File("cap.aws");
        using var media = TestData.Create(path, TapeImageFormat.Aws, new TapeImageOptions { MaxSize = 1000, EotMargin = 100 });
        Assert.Equal(MediaStatus.Ok, media.Write(new byte[500]));          // ends at 506
        Assert.Equal(MediaStatus.EndOfTape, media.Write(new byte[489]));   // 506 + 489 + 6 = 1001 > 1000
        Assert.Equal(506, new FileInfo(path).Length);
        Assert.Equal(1, media.Position.BlockNumber);
        Assert.False(media.IsPastEarlyWarning);                            // 506 + 100 <= 1000
        Assert.Equal(MediaStatus.Ok, media.Write(new byte[488]));          // exactly 1000
        Assert.True(media.IsPastEarlyWarning);
        Assert.Equal(MediaStatus.EndOfTape, media.WriteTapeMark());        // 1000 + 6 > 1000
        Assert.Equal(1000, media.ImageSize);
    }

    [Fact]
    public void AWS_tape_mark_fits_when_its_header_fits()
    {
        using var media = TestData.Create(_directory.File("tm.aws"), TapeImageFormat.Aws, new TapeImageOptions { MaxSize = 12 });
        Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
        Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
        Assert.Equal(MediaStatus.EndOfTape, media.WriteTapeMark());
        Assert.Equal(MediaStatus.EndOfTape, media.Write(ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void AWS_early_warning_is_never_at_load_point()
    {
        using var media = TestData.Create(_directory.File("lp.aws"), TapeImageFormat.Aws, new TapeImageOptions { MaxSize = 1000 });
        Assert.False(media.IsPastEarlyWarning); // 0 + 128 KiB > 1000, but passedeot_awstape exempts load point
        Assert.Equal(MediaStatus.Ok, media.Write(new byte[1]));
        Assert.True(media.IsPastEarlyWarning);
    }

    [Fact]
    public void HET_writes_until_the_file_reaches_maxsize_and_reports_end_of_tape_past_it()
    {
        string path = _directory.File("cap.het");
        byte[] noise = TestData.Block(600, 1);
        using var media = TestData.Create(path, TapeImageFormat.Het, new TapeImageOptions { MaxSize = 1000, EotMargin = 100 });
        Assert.False(media.IsPastEarlyWarning);
        Assert.Equal(MediaStatus.Ok, media.Write(noise));                   // 606
        Assert.False(media.IsPastEarlyWarning);                             // 606 + 100 <= 1000
        Assert.Equal(MediaStatus.EndOfTape, media.Write(noise));            // 1212 > 1000: kept, end of tape
        Assert.True(media.IsPastEarlyWarning);
        Assert.Equal(1212, new FileInfo(path).Length);
        Assert.Equal(2, media.Position.BlockNumber);
        Assert.Equal(MediaStatus.EndOfTape, media.Write(noise));            // already at/over maxsize: refused
        Assert.Equal(1212, new FileInfo(path).Length);
        Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());                // tape marks are not checked
        Assert.Equal(1218, media.ImageSize);
    }

    [Fact]
    public void HET_early_warning_applies_at_load_point_too()
    {
        // hettape.c passedeot_het has no load-point exemption.
        using var media = TestData.Create(_directory.File("lp.het"), TapeImageFormat.Het, new TapeImageOptions { MaxSize = 1000 });
        Assert.True(media.IsPastEarlyWarning);
    }

    [Fact]
    public void HET_strictsize_removes_the_block_that_crossed_maxsize()
    {
        string path = _directory.File("strict.het");
        byte[] noise = TestData.Block(600, 1);
        using var media = TestData.Create(path, TapeImageFormat.Het, new TapeImageOptions { MaxSize = 1000, StrictSize = true });
        Assert.Equal(MediaStatus.Ok, media.Write(noise));
        Assert.Equal(MediaStatus.EndOfTape, media.Write(noise));
        Assert.Equal(606, new FileInfo(path).Length);
        Assert.Equal(1, media.Position.BlockNumber);
        Assert.Equal(MediaStatus.Ok, media.Rewind());
        Assert.Equal(MediaStatus.Ok, media.ForwardSpaceBlock());
        Assert.Equal(MediaStatus.EndOfTape, media.ForwardSpaceBlock());
    }

    [Fact]
    public void FakeTape_capacity_counts_its_12_byte_header()
    {
        using var media = TestData.Create(_directory.File("cap.fkt"), TapeImageFormat.FakeTape, new TapeImageOptions { MaxSize = 100 });
        Assert.Equal(MediaStatus.EndOfTape, media.Write(new byte[89]));
        Assert.Equal(MediaStatus.Ok, media.Write(new byte[88]));
        Assert.Equal(100, media.ImageSize);
        Assert.Equal(MediaStatus.EndOfTape, media.WriteTapeMark());
    }

    [Fact]
    public void Read_only_volume_refuses_writes_before_capacity_is_considered()
    {
        string path = _directory.File("rocap.aws");
        using (TestData.Create(path, TapeImageFormat.Aws))
        {
        }
        using var media = TestData.Open(path, new TapeImageOptions { ReadOnly = true, MaxSize = 1 });
        Assert.Equal(MediaStatus.WriteProtected, media.Write(new byte[100]));
        Assert.Equal(MediaStatus.WriteProtected, media.WriteTapeMark());
    }
}
