using ChannelTape.Cli;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Media;

namespace ChannelTape.Cli.Tests;

/// <summary><c>ctape volume import|export</c> (issue 4, item 4): images in and out of the library, checked block by block.</summary>
public sealed class VolumeTransferTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    private string Data => Path.Combine(_directory.Path, "data");

    private string File(string name) => Path.Combine(_directory.Path, name);

    public void Dispose() => _directory.Dispose();

    private (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        return Ctape.Run(["volume", .. args, "--data", Data]);
    }

    private LibraryCatalog Catalog => LibraryCatalog.Open(Data);

    private string[] VolumeFiles() =>
        Directory.Exists(Path.Combine(Data, "volumes")) ? Directory.GetFiles(Path.Combine(Data, "volumes")).Select(f => Path.GetFileName(f)).ToArray() : [];

    [Fact]
    public void Importing_an_aws_image_adds_a_private_volume_with_its_data_set_blocks_and_bytes()
    {
        var source = TestImages.WriteLabelled(File("in.aws"), TapeImageFormat.Aws, "IMP001", "PAYROLL.WEEKLY", 5);

        var (code, output, error) = Run("import", "IMP001", source, "--pool", "IMPORTS");

        Assert.Equal("", error);
        Assert.Equal(0, code);
        Assert.Equal("imported IMP001 from " + source + " (AWS to AWS, new in pool IMPORTS): 10 blocks, 4 tape marks, ", output[..output.IndexOf(" tape marks, ", StringComparison.Ordinal)] + " tape marks, ");
        var volume = Catalog.FindVolume(VolumeSerial.Parse("IMP001"))!;
        Assert.Equal(
            ("IMPORTS", VolumeStatus.Private, "PAYROLL.WEEKLY", 5L, new FileInfo(source).Length, LabelType.Standard, "volumes/IMP001.aws"),
            (volume.Pool, volume.Status, volume.DataSetName, volume.Blocks, volume.BytesUsed, volume.Labels, volume.ImagePath));
        // Same format: the file is copied as it is.
        Assert.Equal(System.IO.File.ReadAllBytes(source), System.IO.File.ReadAllBytes(Catalog.Layout.ImagePath(volume)));
        Assert.Equal(["IMP001.aws"], VolumeFiles());
    }

    [Fact]
    public void Het_imported_as_aws_is_byte_identical_to_the_same_volume_written_as_aws_and_exports_back_to_het()
    {
        var het = TestImages.WriteLabelled(File("in.het"), TapeImageFormat.Het, "CNV001", "CONVERT.ME", 40, new TapeImageOptions { Compress = true, Method = HetCompression.Bzip2 });
        var aws = TestImages.WriteLabelled(File("same.aws"), TapeImageFormat.Aws, "CNV001", "CONVERT.ME", 40);
        Assert.True(new FileInfo(het).Length < new FileInfo(aws).Length / 4); // really compressed

        Assert.Equal(0, Run("import", "CNV001", het, "--pool", "P", "--format", "aws").ExitCode);
        var image = Catalog.Layout.ImagePath(Catalog.FindVolume(VolumeSerial.Parse("CNV001"))!);
        Assert.Equal(System.IO.File.ReadAllBytes(aws), System.IO.File.ReadAllBytes(image));

        var (code, output, _) = Run("export", "CNV001", File("out.het"));
        Assert.Equal(0, code);
        Assert.Equal($"exported CNV001 to {File("out.het")} (AWS to HET): 45 blocks, 4 tape marks, ", output[..output.IndexOf(" tape marks, ", StringComparison.Ordinal)] + " tape marks, ");
        Assert.Equal(TestImages.ReadAll(het), TestImages.ReadAll(File("out.het")));
        Assert.True(new FileInfo(File("out.het")).Length < new FileInfo(aws).Length / 4);
        // Hercules sees the same files, blocks and sizes in all three.
        var map = TestImages.HetmapStructure(het);
        Assert.Contains("Blocks              : 40", map, StringComparison.Ordinal);
        Assert.Equal(map, TestImages.HetmapStructure(image));
        Assert.Equal(map, TestImages.HetmapStructure(File("out.het")));
    }

    [Fact]
    public void A_hetinit_volume_imports_with_its_labels_and_no_data_set()
    {
        var hetinit = File("hetinit.het");
        // Hercules' own initialiser: VOL1, dummy HDR1, tape mark, compressed.
        var start = new System.Diagnostics.ProcessStartInfo("hetinit") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var word in new[] { "-d", hetinit, "HRC001" })
        {
            start.ArgumentList.Add(word);
        }

        using (var process = System.Diagnostics.Process.Start(start)!)
        {
            process.WaitForExit(60_000);
            Assert.Equal(0, process.ExitCode);
        }

        Assert.Equal(0, Run("import", "HRC001", hetinit, "--pool", "P").ExitCode);
        var volume = Catalog.FindVolume(VolumeSerial.Parse("HRC001"))!;
        Assert.Equal(("volumes/HRC001.het", LabelType.Standard, (string?)null, 0L), (volume.ImagePath, volume.Labels, volume.DataSetName, volume.Blocks));
        Assert.Equal(System.IO.File.ReadAllBytes(hetinit), System.IO.File.ReadAllBytes(Catalog.Layout.ImagePath(volume)));
    }

    [Fact]
    public void A_faketape_image_becomes_aws()
    {
        var fake = TestImages.WriteLabelled(File("in.fkt"), TapeImageFormat.FakeTape, "FKT001", "FAKE.TAPE", 3);

        Assert.Equal(0, Run("import", "FKT001", fake, "--pool", "P").ExitCode);

        var volume = Catalog.FindVolume(VolumeSerial.Parse("FKT001"))!;
        Assert.Equal(("volumes/FKT001.aws", "FAKE.TAPE", 3L), (volume.ImagePath, volume.DataSetName, volume.Blocks));
        Assert.Equal(TestImages.ReadAll(fake), TestImages.ReadAll(Catalog.Layout.ImagePath(volume)));
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("bad-header")]
    [InlineData("bad-compressed-data")]
    [InlineData("empty")]
    public void A_corrupt_image_is_refused_and_leaves_nothing_behind(string damage)
    {
        var format = damage == "bad-compressed-data" ? TapeImageFormat.Het : TapeImageFormat.Aws;
        var path = TestImages.WriteLabelled(File(format == TapeImageFormat.Het ? "bad.het" : "bad.aws"), format, "BAD001", "BROKEN", 10);
        var bytes = System.IO.File.ReadAllBytes(path);
        switch (damage)
        {
            case "truncated":
                bytes = bytes[..(bytes.Length - 100)]; // cuts EOF2 short
                break;
            case "bad-header":
                bytes[(3 * (6 + 80)) + 6 + 4] = 0x40; // the first data block's header says tape mark, with 4000 bytes of data
                break;
            case "bad-compressed-data":
                bytes[bytes.Length / 2] ^= 0xFF;
                break;
            case "empty":
                bytes = [];
                break;
        }

        System.IO.File.WriteAllBytes(path, bytes);
        Run("add", "BAD001", "--pool", "P");

        var (code, output, error) = Run("import", "BAD001", path, "--replace");

        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.StartsWith($"ctape volume import: {path}: ", error, StringComparison.Ordinal);
        Assert.EndsWith("; nothing imported\n", error, StringComparison.Ordinal);
        Assert.Empty(VolumeFiles());
        var volume = Catalog.FindVolume(VolumeSerial.Parse("BAD001"))!;
        Assert.Equal((VolumeStatus.Scratch, 0L, 0L, (string?)null), (volume.Status, volume.BytesUsed, volume.Blocks, volume.DataSetName));
    }

    [Fact]
    public void Corrupt_image_error_names_the_block_and_offset()
    {
        var path = TestImages.WriteLabelled(File("cut.aws"), TapeImageFormat.Aws, "CUT001", "CUT", 2);
        var bytes = System.IO.File.ReadAllBytes(path);
        System.IO.File.WriteAllBytes(path, bytes[..^3]); // the last tape mark's header is cut short

        var (code, _, error) = Run("import", "CUT001", path, "--pool", "P");

        Assert.Equal(1, code);
        Assert.Equal($"ctape volume import: {path}: not a valid AWS image: block cut off by the end of the file at block 10 (byte offset {bytes.Length - 6}); nothing imported\n", error);
        Assert.Null(Catalog.FindVolume(VolumeSerial.Parse("CUT001")));
    }

    [Fact]
    public void An_image_labelled_for_another_volume_is_refused()
    {
        var path = TestImages.WriteLabelled(File("other.aws"), TapeImageFormat.Aws, "OTHER1", "X", 1);

        var (code, _, error) = Run("import", "MINE01", path, "--pool", "P");

        Assert.Equal(1, code);
        Assert.Equal($"ctape volume import: {path}: its VOL1 label names volume OTHER1, not MINE01 (a host would refuse it); nothing imported\n", error);
        Assert.Empty(VolumeFiles());
        Assert.Null(Catalog.FindVolume(VolumeSerial.Parse("MINE01")));
    }

    [Fact]
    public void Import_and_export_are_refused_while_the_volume_is_mounted()
    {
        var path = TestImages.WriteLabelled(File("m.aws"), TapeImageFormat.Aws, "T00000", "M", 1);
        Run("add", "T00000", "--pool", "P");
        Assert.Equal(0, Run("import", "T00000", path).ExitCode);
        var catalog = CatalogTestSupport.OpenWithDrives(Data);
        var mount = catalog.BeginMount(VolumeSerial.Parse("T00000"), 0x0580);
        catalog.CompleteMount(mount.MountId);

        Assert.Equal((1, "", "ctape volume import: T00000: mounted on 0580, not imported\n"), Run("import", "T00000", path, "--replace"));
        Assert.Equal((1, "", "ctape volume export: T00000: mounted on 0580, not exported\n"), Run("export", "T00000", File("x.aws")));
        Assert.False(System.IO.File.Exists(File("x.aws")));

        catalog.EndMount(mount.MountId);
        Assert.Equal(0, Run("export", "T00000", File("x.aws")).ExitCode);
        Assert.Equal(System.IO.File.ReadAllBytes(path), System.IO.File.ReadAllBytes(File("x.aws")));
    }

    [Fact]
    public void Replacing_an_image_needs_replace_and_switching_format_removes_the_old_file()
    {
        var first = TestImages.WriteLabelled(File("1.aws"), TapeImageFormat.Aws, "REP001", "FIRST", 1);
        var second = TestImages.WriteLabelled(File("2.het"), TapeImageFormat.Het, "REP001", "SECOND", 2);
        Assert.Equal(0, Run("import", "REP001", first, "--pool", "P").ExitCode);

        var refused = Run("import", "REP001", second);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("already has an image", refused.Error, StringComparison.Ordinal);
        Assert.Equal(1, Run("import", "REP001", second, "--pool", "Q", "--replace").ExitCode); // --pool names a new volume's pool only
        Assert.Equal(
            (1, "", "ctape volume import: REP001 is already in the catalog; --media and --capacity only apply to a new volume\n"),
            Run("import", "REP001", second, "--capacity", "1G", "--replace"));

        Assert.Equal(0, Run("import", "REP001", second, "--replace").ExitCode);
        var volume = Catalog.FindVolume(VolumeSerial.Parse("REP001"))!;
        Assert.Equal(("P", "volumes/REP001.het", "SECOND", 2L), (volume.Pool, volume.ImagePath, volume.DataSetName, volume.Blocks));
        Assert.Equal(["REP001.het"], VolumeFiles());
    }

    [Fact]
    public void Import_of_an_unknown_volume_without_a_pool_and_export_over_a_file_are_refused()
    {
        var path = TestImages.WriteLabelled(File("u.aws"), TapeImageFormat.Aws, "UNK001", "U", 1);
        Run("add", "T00000", "--pool", "P");

        Assert.Equal((1, "", "ctape volume import: UNK001: no such volume (give --pool POOL to add it)\n"), Run("import", "UNK001", path));
        Assert.Equal(0, Run("import", "UNK001", path, "--pool", "P").ExitCode);
        Assert.Equal((1, "", $"ctape volume export: {path}: already exists, not overwritten\n"), Run("export", "UNK001", path));
        Assert.Equal((1, "", "ctape volume export: T00000 has no image yet (it is created when the volume is first mounted)\n"), Run("export", "T00000", File("t.aws")));
        Assert.Equal((1, "", $"ctape volume export: {File("nodir")}: no such directory\n"), Run("export", "UNK001", Path.Combine(File("nodir"), "t.aws")));
    }

    [Fact]
    public void Progress_bar_is_drawn_on_a_terminal_and_cleared_and_nothing_is_drawn_otherwise()
    {
        var path = TestImages.WriteLabelled(File("p.aws"), TapeImageFormat.Aws, "PRG001", "P", 50);
        var output = new StringWriter();
        var error = new StringWriter();

        Assert.Equal(0, CtapeCommandLine.Run(["volume", "import", "PRG001", path, "--pool", "P", "--data", Data],
            new CliContext(output, error, TimeProvider.System, ProgressBar: true)));

        var drawn = error.ToString();
        Assert.StartsWith("\rimporting PRG001 [", drawn, StringComparison.Ordinal);
        Assert.Contains("] 100%  ", drawn, StringComparison.Ordinal);
        Assert.EndsWith("\r", drawn, StringComparison.Ordinal);
        Assert.Equal("", Run("export", "PRG001", File("q.aws")).Error);
    }

    [Fact]
    public void Progress_line_shows_percent_rate_and_time_left()
    {
        Assert.Equal(
            "[########----------------]  37%  7.4 MiB/s  ETA 0:08",
            CopyProgress.Render(37L * 1024 * 1024, 100L * 1024 * 1024, TimeSpan.FromSeconds(5)));
        Assert.Equal("[########################] 100%  1.0 GiB/s  ETA 0:00", CopyProgress.Render(2L << 30, 2L << 30, TimeSpan.FromSeconds(2)));
        Assert.Equal("1:02:03", CopyProgress.Duration(new TimeSpan(1, 2, 3)));
    }
}
