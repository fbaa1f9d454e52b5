using System.Text;

namespace ChannelTape.Media.Tests;

/// <summary>
/// Interop with Hercules' own tools (docs/reference/hercules-tape.md §6): images Hercules makes read correctly
/// here, and images written here are mapped and extracted by hetmap, tapemap and hetget as expected.
/// </summary>
public sealed class HerculesInteropTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly byte[] _buffer = TestData.Buffer();

    public void Dispose() => _directory.Dispose();

    public static TheoryData<string, TapeImageFormat, int, bool, int> Writers => new()
    {
        // name, format, chunk size, compress, method
        { "plain.aws", TapeImageFormat.Aws, 65535, false, 1 },
        { "chunked.aws", TapeImageFormat.Aws, 4096, false, 1 },
        { "zlib.het", TapeImageFormat.Het, 65535, true, 1 },
        { "bzip2.het", TapeImageFormat.Het, 65535, true, 2 },
        { "chunked-zlib.het", TapeImageFormat.Het, 4096, true, 1 },
        { "uncompressed.het", TapeImageFormat.Het, 65535, false, 1 },
    };

    private const string Vol1 = "VOL1VOL001                               OWNER";
    private const string Hdr1 = "HDR1TEST.DATA        VOL00100010001       26001 000000000000TESTSYS";
    private const string Hdr2 = "HDR2F0800000080";
    private const string Eof1 = "EOF1TEST.DATA        VOL00100010001       26001 000000000005TESTSYS";

    // Hercules 3.13 reads blocks up to 65535 bytes only (hetlib.h HETMAX_BLOCKSIZE).
    private static readonly int[] DataBlockSizes = [800, 1800, 2800, 8000, 65535];

    private static byte[] DataBlock(int index)
    {
        // Compressible EBCDIC letters in a pattern that varies per block.
        var block = new byte[DataBlockSizes[index]];
        for (int j = 0; j < block.Length; j++)
            block[j] = (byte)(0xC1 + (j + index) % 9);
        return block;
    }

    /// <summary>A standard-label volume: VOL1 HDR1 HDR2 TM, five data blocks, TM, EOF1 TM TM.</summary>
    private static void WriteLabelledVolume(ITapeMedia media)
    {
        Assert.Equal(MediaStatus.Ok, media.Write(TestData.Ebcdic80(Vol1)));
        Assert.Equal(MediaStatus.Ok, media.Write(TestData.Ebcdic80(Hdr1)));
        Assert.Equal(MediaStatus.Ok, media.Write(TestData.Ebcdic80(Hdr2)));
        Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
        for (int i = 0; i < DataBlockSizes.Length; i++)
            Assert.Equal(MediaStatus.Ok, media.Write(DataBlock(i)));
        Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
        Assert.Equal(MediaStatus.Ok, media.Write(TestData.Ebcdic80(Eof1)));
        Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
        Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
    }

    /// <summary>Block data lengths as stored (compressed for HET), per file, from the raw chunk headers.</summary>
    private static List<List<int>> StoredBlockLengths(byte[] image)
    {
        var files = new List<List<int>> { new() };
        int position = 0, block = 0;
        while (position + 6 <= image.Length)
        {
            int length = image[position] | image[position + 1] << 8;
            byte flags = image[position + 4];
            position += 6 + length;
            if ((flags & 0x40) != 0)
            {
                files.Add(new List<int>());
                continue;
            }
            block += length;
            if ((flags & 0x20) != 0)
            {
                files[^1].Add(block);
                block = 0;
            }
        }
        return files;
    }

    private static string FileSection(int number, int[] sizes, List<int> stored)
    {
        var text = new StringBuilder();
        text.Append("File #              : ").Append(number).Append('\n');
        text.Append("Blocks              : ").Append(sizes.Length).Append('\n');
        text.Append("Min Blocksize       : ").Append(sizes.Length == 0 ? 0 : sizes.Min()).Append('\n');
        text.Append("Max Blocksize       : ").Append(sizes.Length == 0 ? 0 : sizes.Max()).Append('\n');
        text.Append("Uncompressed bytes  : ").Append(sizes.Sum()).Append('\n');
        text.Append("Min Blocksize-Comp  : ").Append(stored.Count == 0 ? 0 : stored.Min()).Append('\n');
        text.Append("Max Blocksize-Comp  : ").Append(stored.Count == 0 ? 0 : stored.Max()).Append('\n');
        text.Append("Compressed bytes    : ").Append(stored.Sum()).Append('\n');
        return text.ToString();
    }

    [Theory]
    [MemberData(nameof(Writers))]
    public void Hetmap_maps_a_volume_written_here_as_expected(string name, TapeImageFormat format, int chunkSize, bool compress, int method)
    {
        string path = _directory.File(name);
        var options = new TapeImageOptions { ChunkSize = chunkSize, Compress = compress, Method = (HetCompression)method };
        using (var media = TestData.Create(path, format, options))
            WriteLabelledVolume(media);

        var stored = StoredBlockLengths(File.ReadAllBytes(path));
        if (compress)
            Assert.True(stored[1].Sum() < DataBlockSizes.Sum(), "data blocks were stored compressed");
        int[][] sizes = [[80, 80, 80], DataBlockSizes, [80], []];
        var expected = new StringBuilder();
        for (int file = 0; file < 4; file++)
            expected.Append("---------------------\n").Append(FileSection(file + 1, sizes[file], stored[file]));
        int total = sizes.Sum(s => s.Sum()), storedTotal = stored.Sum(s => s.Sum());
        expected.Append("---------------------\nSummary             :\nFiles               : 4\nBlocks              : 9\n")
            .Append("Uncompressed bytes  : ").Append(total).Append('\n')
            .Append("Compressed bytes    : ").Append(storedTotal).Append('\n')
            .Append("Reduction           : ").Append(total - storedTotal);

        var map = HerculesTools.Run("hetmap", "-f", path);
        Assert.Equal(0, map.ExitCode);
        string header = $"---------------------\nFilename            : {path}\n";
        Assert.Equal(header + expected, map.Output.TrimEnd('\n'));

        var labels = HerculesTools.Run("hetmap", "-a", path);
        Assert.Equal(0, labels.ExitCode);
        Assert.Contains("Volume Serial       : 'VOL001'", labels.Output, StringComparison.Ordinal);
        Assert.Contains("Dataset ID          : 'TEST.DATA        '", labels.Output, StringComparison.Ordinal);
        Assert.Contains("Block Count Low     : '000005'", labels.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-d", "plain.aws", TapeImageFormat.Aws, 65535, false, 1)]
    [InlineData("-s", "strict.aws", TapeImageFormat.Aws, 4096, false, 1)]
    [InlineData("-z", "zlib.het", TapeImageFormat.Het, 65535, true, 1)]
    [InlineData("-b", "bzip2.het", TapeImageFormat.Het, 65535, true, 2)]
    public void Hetupd_copies_of_a_volume_are_byte_identical_to_the_same_volume_written_here(
        string hetupdOption, string name, TapeImageFormat format, int chunkSize, bool compress, int method)
    {
        // hetupd copies block by block through hetlib (-d uncompressed, -s chunks of 4096, -z zlib
        // level 4, -b bzip2); writing the same blocks here must give the same bytes. For HET this
        // holds with the host's zlib and libbz2, the libraries hetupd itself uses.
        if (compress)
            Assert.True(method == 1 ? SystemCompression.HasZlib : SystemCompression.HasBzip2, "host compression library present alongside Hercules");
        string source = _directory.File("source.het");
        using (var media = TestData.Create(source, TapeImageFormat.Het, new TapeImageOptions { Method = HetCompression.Bzip2 }))
            WriteLabelledVolume(media);
        string theirs = _directory.File("hetupd-" + name);
        var run = HerculesTools.Run("hetupd", hetupdOption, source, theirs);
        Assert.Equal(0, run.ExitCode);

        string ours = _directory.File(name);
        using (var media = TestData.Create(ours, format, new TapeImageOptions { ChunkSize = chunkSize, Compress = compress, Method = (HetCompression)method }))
            WriteLabelledVolume(media);
        Assert.Equal(File.ReadAllBytes(theirs), File.ReadAllBytes(ours));
    }

    [Fact]
    public void Tapesplt_pieces_of_a_volume_written_here_read_correctly()
    {
        string path = _directory.File("whole.aws");
        using (var media = TestData.Create(path, TapeImageFormat.Aws))
            WriteLabelledVolume(media);
        string labels = _directory.File("labels.aws"), rest = _directory.File("rest.aws");
        Assert.Equal(0, HerculesTools.Run("tapesplt", path, labels, "1", rest, "3").ExitCode);

        using (var media = TestData.Open(labels, new TapeImageOptions { ReadOnly = true }))
        {
            for (int i = 0; i < 3; i++)
                Assert.Equal(MediaStatus.Ok, media.ReadForward(_buffer, out _));
            Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out _));
            Assert.Equal(MediaStatus.EndOfData, media.ReadForward(_buffer, out _));
        }
        using (var media = TestData.Open(rest, new TapeImageOptions { ReadOnly = true }))
        {
            for (int i = 0; i < DataBlockSizes.Length; i++)
            {
                Assert.Equal(MediaStatus.Ok, media.ReadForward(_buffer, out int length));
                Assert.Equal(DataBlock(i), _buffer[..length]);
            }
            Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out _));
            Assert.Equal(MediaStatus.Ok, media.ReadForward(_buffer, out int eof1));
            Assert.Equal(TestData.Ebcdic80(Eof1), _buffer[..eof1]);
            Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out _));
            Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out _));
            Assert.Equal(MediaStatus.EndOfData, media.ReadForward(_buffer, out _));
            Assert.Equal(MediaStatus.TapeMark, media.BackspaceFile());
            Assert.Equal(MediaStatus.TapeMark, media.BackspaceFile());
            Assert.Equal(MediaStatus.TapeMark, media.BackspaceFile());
            Assert.Equal(MediaStatus.Ok, media.ReadBackward(_buffer, out int last));
            Assert.Equal(DataBlock(DataBlockSizes.Length - 1), _buffer[..last]);
        }
    }

    [Fact]
    public void Tapemap_maps_an_AWS_volume_written_here_as_expected()
    {
        string path = _directory.File("labelled.aws");
        using (var media = TestData.Create(path, TapeImageFormat.Aws))
            WriteLabelledVolume(media);
        var map = HerculesTools.Run("tapemap", path);
        Assert.Equal(0, map.ExitCode);
        string expected = string.Join('\n',
            Vol1.PadRight(80),
            Hdr1.PadRight(80),
            Hdr2.PadRight(80),
            "File 1: Blocks=3, block size min=80, max=80",
            "File 2: Blocks=5, block size min=800, max=65535",
            Eof1.PadRight(80),
            "File 3: Blocks=1, block size min=80, max=80",
            "File 4: Blocks=0, block size min=0, max=0",
            "End of tape.");
        Assert.Equal(expected, map.Output.TrimEnd('\n'));
    }

    [Theory]
    [InlineData("zlib.het", 1)]
    [InlineData("bzip2.het", 2)]
    [InlineData("plain.aws", 1)]
    public void Hetget_extracts_the_data_set_written_here(string name, int method)
    {
        string path = _directory.File(name);
        var format = name.EndsWith(".het", StringComparison.Ordinal) ? TapeImageFormat.Het : TapeImageFormat.Aws;
        using (var media = TestData.Create(path, format, new TapeImageOptions { Method = (HetCompression)method }))
            WriteLabelledVolume(media);
        string output = _directory.File("extracted.bin");
        var run = HerculesTools.Run("hetget", path, output, "1");
        Assert.Equal(0, run.ExitCode);
        byte[] expected = Enumerable.Range(0, DataBlockSizes.Length).SelectMany(DataBlock).ToArray();
        Assert.Equal(expected, File.ReadAllBytes(output));
    }

    [Fact]
    public void A_labelled_HET_volume_written_here_maps_like_the_one_hetinit_writes()
    {
        string ours = _directory.File("ours.het");
        string theirs = _directory.File("theirs.het");
        Assert.Equal(0, HerculesTools.Run("hetinit", theirs, "VOL002", "OWNER").ExitCode);
        using (var reader = TestData.Open(theirs))
        using (var writer = TestData.Create(ours, TapeImageFormat.Het))
        {
            // Copy block by block: hetinit's labels, through our reader and writer.
            while (true)
            {
                var status = reader.ReadForward(_buffer, out int length);
                if (status == MediaStatus.TapeMark)
                    Assert.Equal(MediaStatus.Ok, writer.WriteTapeMark());
                else if (status == MediaStatus.Ok)
                    Assert.Equal(MediaStatus.Ok, writer.Write(_buffer.AsSpan(0, length)));
                else
                {
                    Assert.Equal(MediaStatus.EndOfTape, status);
                    break;
                }
            }
        }
        string Map(string file) => HerculesTools.Run("hetmap", file).Output.Replace(file, "FILE", StringComparison.Ordinal);
        // Same labels, files, block counts and sizes; compressed sizes come from zlib, so compare
        // everything but the lines that depend on the compressor's exact output.
        static string WithoutCompressed(string map) => string.Join('\n', map.Split('\n')
            .Where(l => !l.Contains("-Comp", StringComparison.Ordinal) && !l.StartsWith("Compressed", StringComparison.Ordinal) && !l.StartsWith("Reduction", StringComparison.Ordinal)));
        Assert.Equal(WithoutCompressed(Map(theirs)), WithoutCompressed(Map(ours)));
        Assert.Contains("Volume Serial       : 'VOL002'", Map(ours), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, "sl.aws")]
    [InlineData(false, "sl.het")]
    [InlineData(true, "sl-uncompressed.het")]
    public void Hetinit_labelled_volumes_read_correctly(bool disableCompression, string name)
    {
        string path = _directory.File(name);
        var arguments = disableCompression ? new[] { "-d", path, "VOL001", "OWNER" } : new[] { path, "VOL001", "OWNER" };
        Assert.Equal(0, HerculesTools.Run("hetinit", arguments).ExitCode);
        AssertLabelledInit(path, name.EndsWith(".het", StringComparison.Ordinal) ? TapeImageFormat.Het : TapeImageFormat.Aws);
    }

    [Theory]
    [InlineData(true, "nl.aws")]
    [InlineData(false, "nl.het")]
    public void Hetinit_unlabelled_volumes_read_as_two_tape_marks(bool disableCompression, string name)
    {
        string path = _directory.File(name);
        var arguments = disableCompression ? new[] { "-n", "-d", path } : new[] { "-n", path };
        Assert.Equal(0, HerculesTools.Run("hetinit", arguments).ExitCode);
        AssertUnlabelled(path);
    }

    [Fact]
    public void Committed_hetinit_fixtures_read_correctly_without_the_tools()
    {
        string fixtures = Path.Combine(AppContext.BaseDirectory, "Fixtures");
        AssertLabelledInit(Path.Combine(fixtures, "hetinit-d-VOL001-OWNER.aws"), TapeImageFormat.Aws);
        AssertUnlabelled(Path.Combine(fixtures, "hetinit-n-d.aws"));
        AssertUnlabelled(Path.Combine(fixtures, "hetinit-n.het"));
        using var het = TestData.Open(Path.Combine(fixtures, "hetinit-VOL002.het"), new TapeImageOptions { ReadOnly = true });
        Assert.Equal(TapeImageFormat.Het, het.Format);
        Assert.Equal(MediaStatus.Ok, het.ReadForward(_buffer, out int length));
        Assert.Equal(TestData.Ebcdic80("VOL1VOL002"), _buffer[..length]);
    }

    private void AssertLabelledInit(string path, TapeImageFormat format)
    {
        Assert.Equal(format, TapeImage.DetectFormat(path));
        using var media = TestData.Open(path, new TapeImageOptions { ReadOnly = true });
        Assert.Equal(MediaStatus.Ok, media.ReadForward(_buffer, out int length));
        Assert.Equal(TestData.Ebcdic80("VOL1VOL001                               OWNER"), _buffer[..length]);
        Assert.Equal(MediaStatus.Ok, media.ReadForward(_buffer, out length));
        Assert.Equal(TestData.Ebcdic80("HDR1" + new string('0', 76)), _buffer[..length]);
        Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out _));
        Assert.Equal(format == TapeImageFormat.Het ? MediaStatus.EndOfTape : MediaStatus.EndOfData, media.ReadForward(_buffer, out _));
        Assert.Equal(new TapePosition(3, 2, new FileInfo(path).Length), media.Position);
        // Backward over the same labels.
        Assert.Equal(MediaStatus.TapeMark, media.ReadBackward(_buffer, out _));
        Assert.Equal(MediaStatus.Ok, media.ReadBackward(_buffer, out length));
        Assert.Equal(TestData.Ebcdic80("HDR1" + new string('0', 76)), _buffer[..length]);
    }

    private void AssertUnlabelled(string path)
    {
        using var media = TestData.Open(path, new TapeImageOptions { ReadOnly = true });
        Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out _));
        Assert.Equal(MediaStatus.TapeMark, media.ReadForward(_buffer, out _));
        Assert.Equal(3, media.Position.FileNumber);
        Assert.NotEqual(MediaStatus.Ok, media.ReadForward(_buffer, out _));
    }
}
