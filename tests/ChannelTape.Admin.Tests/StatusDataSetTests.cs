using System.Diagnostics;
using ChannelTape.Admin.Reports;
using ChannelTape.Labels;
using ChannelTape.Media;

namespace ChannelTape.Admin.Tests;

public sealed class StatusDataSetTests
{
    private static readonly DateTimeOffset s_created = new(2026, 11, 27, 15, 0, 0, TimeSpan.Zero);

    private static IEnumerable<IReadOnlyList<string?>> ScratchRows(int count) =>
        Enumerable.Range(0, count).Select(i => new ScratchVolumeRow("SCRATCH", $"T{i:D5}", "3490E", 800_000_000).ToValues());

    [Fact]
    public void Written_data_set_reads_back_with_labels_header_rows_and_counts()
    {
        var media = new MemoryTapeMedia();
        long written = StatusDataSetWriter.Write(media, "#SCRAT", StatusReports.Scratch, "", s_created, ScratchRows(450));
        Assert.Equal(450, written);

        // VOL1 HDR1 HDR2 TM, 3 blocks (200 + 200 + 52 records incl. header and trailer), TM EOF1 EOF2 TM TM
        Assert.Equal(12, media.Entries.Count);
        Assert.Null(media.Entries[3]);
        Assert.Equal(ReportLayout.BlockSize, media.Entries[4]!.Length);
        Assert.Equal(52 * ReportLayout.RecordLength, media.Entries[6]!.Length);

        media.Rewind();
        var reader = new StatusDataSetReader(new MediaBlockSource(media));
        var rows = reader.ReadDataRecords("#SCRAT").Select(r => ScratchVolumeRow.FromValues(StatusReports.Scratch.ParseData(r))).ToList();
        Assert.Equal(450, rows.Count);
        Assert.Equal("T00449", rows[^1].VolumeSerial);
        Assert.Equal(new StatusHeader("SCRATCH", ReportLayout.LayoutVersion, s_created, ""), reader.Header);
        Assert.Equal("CTAPE.STATUS.SCRATCH"[^17..], reader.Header1!.DataSetIdentifier);
        Assert.Equal(ReportLayout.BlockSize, reader.Header2!.BlockLength);
    }

    [Fact]
    public void Empty_report_still_has_header_and_trailer_records()
    {
        var media = new MemoryTapeMedia();
        StatusDataSetWriter.Write(media, "#SCRAT", StatusReports.Scratch, "SCR", s_created, []);
        media.Rewind();
        var reader = new StatusDataSetReader(new MediaBlockSource(media));
        Assert.Empty(reader.ReadDataRecords("#SCRAT").ToList());
        Assert.Equal("SCR", reader.Header!.Selector);
    }

    [Fact]
    public void Reader_rejects_wrong_volume_and_wrong_block_count()
    {
        var media = new MemoryTapeMedia();
        StatusDataSetWriter.Write(media, "#SCRAT", StatusReports.Scratch, "", s_created, ScratchRows(10));
        media.Rewind();
        var wrongVolume = Assert.Throws<InvalidDataException>(() => new StatusDataSetReader(new MediaBlockSource(media)).ReadDataRecords("#DRIVE").ToList());
        Assert.Contains("VOL1 names #SCRAT", wrongVolume.Message, StringComparison.Ordinal);

        // EOF1 says 2 blocks, the data set has 1.
        var entries = media.Entries.ToList();
        int eof1 = entries.FindIndex(e => e is not null && DataSetLabel1.TryParse(e, LabelEncoding.Ebcdic, out var l) && l!.Kind == DataSetLabelKind.EndOfFile);
        DataSetLabel1.TryParse(entries[eof1]!, LabelEncoding.Ebcdic, out var label);
        entries[eof1] = (label! with { BlockCount = 2 }).ToBytes();
        var tampered = MemoryTapeMedia.FromBlocks(entries);
        var badCount = Assert.Throws<InvalidDataException>(() => new StatusDataSetReader(new MediaBlockSource(tampered)).ReadDataRecords("#SCRAT").ToList());
        Assert.Contains("EOF1 block count 2, read 1 blocks", badCount.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reader_rejects_a_volume_that_ends_inside_the_data()
    {
        var media = new MemoryTapeMedia();
        StatusDataSetWriter.Write(media, "#SCRAT", StatusReports.Scratch, "", s_created, ScratchRows(10));
        var cut = MemoryTapeMedia.FromBlocks(media.Entries.Take(5));
        var error = Assert.Throws<InvalidDataException>(() => new StatusDataSetReader(new MediaBlockSource(cut)).ReadDataRecords("#SCRAT").ToList());
        Assert.Contains("ends inside the data set", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Hercules_hetmap_tapemap_and_hetget_read_the_data_set_written_to_an_aws_image()
    {
        using var directory = new TempDirectory();
        string image = Path.Combine(directory.Path, "scrat.aws");
        Assert.True(TapeImage.TryCreate(image, TapeImageFormat.Aws, new TapeImageOptions(), out var media, out string? error), error);
        using (media)
        {
            StatusDataSetWriter.Write(media!, "#SCRAT", StatusReports.Scratch, "", s_created, ScratchRows(250));
        }

        var map = Run("hetmap", "-a", image);
        Assert.Contains("Volume Serial       : '#SCRAT'", map, StringComparison.Ordinal);
        Assert.Contains("Dataset ID          : 'PE.STATUS.SCRATCH'", map, StringComparison.Ordinal);
        Assert.Contains("Record Length       : '00160'", map, StringComparison.Ordinal);
        Assert.Contains("Block Size          : '32000'", map, StringComparison.Ordinal);
        Assert.Contains("Block Count Low     : '000002'", map, StringComparison.Ordinal); // EOF1: two data blocks

        var tapemap = Run("tapemap", image);
        Assert.Contains("VOL1#SCRAT", tapemap, StringComparison.Ordinal);
        Assert.Contains("File 2: Blocks=2, block size min=8320, max=32000", tapemap, StringComparison.Ordinal); // 252 records of 160 bytes
        Assert.Contains("EOF1PE.STATUS.SCRATCH#SCRAT", tapemap, StringComparison.Ordinal);

        string extracted = Path.Combine(directory.Path, "scrat.txt");
        Run("hetget", "-a", image, extracted, "1");
        var lines = File.ReadAllText(extracted).Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(252, lines.Length); // header, 250 rows, trailer
        Assert.StartsWith("H CTAPE-STATUS SCRATCH", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("D SCRATCH  T00000", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("T 000000000250", lines[^1], StringComparison.Ordinal);
    }

    private static string Run(string tool, params string[] arguments)
    {
        string path = File.Exists($"/usr/bin/{tool}") ? $"/usr/bin/{tool}"
            : throw new FileNotFoundException($"Hercules tool '{tool}' is not installed (Debian package 'hercules'; run scripts/install-prereqs.sh)");
        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), $"{tool} did not finish");
        Assert.True(process.ExitCode == 0, $"{tool} exit {process.ExitCode}: {errors.Result}");
        return output.Result + errors.Result;
    }

    private sealed class TempDirectory : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("ctape-admin-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
