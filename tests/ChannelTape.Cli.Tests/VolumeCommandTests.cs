using System.Text.Json;
using ChannelTape.Cli;
using ChannelTape.Labels;
using ChannelTape.Library;
using ChannelTape.Library.Catalog;

namespace ChannelTape.Cli.Tests;

public class VolumeCommandTests
{
    private static (int ExitCode, string Output, string Error) Run(string data, params string[] args)
    {
        return Ctape.Run(["volume", .. args, "--data", data]);
    }

    [Fact]
    public void Add_creates_the_catalog_and_reports_counts()
    {
        using var directory = new TempDirectory();

        Assert.Equal((0, "added 10 volumes to pool SCRATCH\n", ""), Run(directory.Path, "add", "T00000-T00009", "--pool", "SCRATCH"));
        Assert.Equal(
            (0, "added 2 volumes to pool OTHER, 3 already in the catalog (unchanged)\n", ""),
            Run(directory.Path, "add", "T00008-T00009", "T00010-T00011", "T00000", "--pool", "OTHER", "--media", "3480", "--capacity", "100M", "--labels", "NL", "--private", "--format", "het"));

        var volume = LibraryCatalog.Open(directory.Path).FindVolume(VolumeSerial.Parse("T00011"))!;
        Assert.Equal(("OTHER", VolumeStatus.Private, MediaType.Cst, 100L * 1024 * 1024, LabelType.None, "volumes/T00011.het"),
            (volume.Pool, volume.Status, volume.Media, volume.Capacity, volume.Labels, volume.ImagePath));
    }

    [Fact]
    public void List_prints_a_table_and_filters()
    {
        using var directory = new TempDirectory();
        Run(directory.Path, "add", "T00000-T00002", "--pool", "A");
        Run(directory.Path, "add", "U00000", "--pool", "B", "--private");

        var (code, output, _) = Run(directory.Path, "list", "--status", "scratch");

        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("VOLSER  POOL", lines[0], StringComparison.Ordinal);
        Assert.Equal(["T00000", "T00001", "T00002"], lines[1..^1].Select(l => l[..6]));
        Assert.Equal("3 volumes", lines[^1]);
        Assert.Contains("U00000  B                 private", Run(directory.Path, "list", "--pool", "B").Output, StringComparison.Ordinal);
    }

    [Fact]
    public void List_json_is_an_array_of_volume_objects()
    {
        using var directory = new TempDirectory();
        Run(directory.Path, "add", "T00000-T00001", "--pool", "A");

        var (code, output, _) = Run(directory.Path, "list", "--json");

        Assert.Equal(0, code);
        using var document = JsonDocument.Parse(output);
        var volumes = document.RootElement.EnumerateArray().ToList();
        Assert.Equal(["T00000", "T00001"], volumes.Select(v => v.GetProperty("volser").GetString()));
        Assert.Equal("scratch", volumes[0].GetProperty("status").GetString());
        Assert.Equal(800L * 1024 * 1024, volumes[0].GetProperty("capacity").GetInt64());
        Assert.Equal("3490E", volumes[0].GetProperty("media").GetString());
        Assert.Equal(JsonValueKind.Null, volumes[0].GetProperty("mountedOn").ValueKind);
        Assert.Equal("[]\n", Run(directory.Path, "list", "--pool", "NONE", "--json").Output);
    }

    [Fact]
    public void Show_prints_one_volume_with_its_mounts()
    {
        using var directory = new TempDirectory();
        Run(directory.Path, "add", "T00000", "--pool", "A");
        var catalog = CatalogTestSupport.OpenWithDrives(directory.Path);
        var mount = catalog.BeginMount(VolumeSerial.Parse("T00000"), 0x583);
        catalog.CompleteMount(mount.MountId);

        var (code, output, _) = Run(directory.Path, "show", "T00000");

        Assert.Equal(0, code);
        Assert.Contains("status        mounted on 0583", output, StringComparison.Ordinal);
        Assert.Contains($"image         {Path.Combine(directory.Path, "volumes", "T00000.aws")}", output, StringComparison.Ordinal);
        Assert.Contains("  0583  requested ", output, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(Run(directory.Path, "show", "T00000", "--json").Output);
        Assert.Equal("0583", json.RootElement.GetProperty("mountedOn").GetString());
    }

    [Fact]
    public void Scratch_unscratch_and_move_report_each_failure_and_exit_1()
    {
        using var directory = new TempDirectory();
        Run(directory.Path, "add", "T00000-T00001", "--pool", "A");

        Assert.Equal((0, "", ""), Run(directory.Path, "unscratch", "T00000", "T00001"));
        Assert.Equal(2, LibraryCatalog.Open(directory.Path).ListVolumes(status: VolumeStatus.Private).Count);
        Assert.Equal((0, "", ""), Run(directory.Path, "scratch", "T00001"));
        Assert.Equal(
            (1, "", "ctape volume move: X00000: no such volume\n"),
            Run(directory.Path, "move", "T00000", "X00000", "--pool", "B"));
        Assert.Equal("B", LibraryCatalog.Open(directory.Path).FindVolume(VolumeSerial.Parse("T00000"))!.Pool);
    }

    [Fact]
    public void Commands_other_than_add_need_an_existing_catalog()
    {
        using var directory = new TempDirectory();
        var missing = Path.Combine(directory.Path, "none");

        var (code, _, error) = Run(missing, "list");

        Assert.Equal(1, code);
        Assert.Equal($"ctape volume list: no catalog in {missing} (add volumes first, or give --data DIR)\n", error);
        Assert.False(Directory.Exists(missing));
    }

    [Theory]
    [InlineData("add", "../x", "--pool", "A")]
    [InlineData("add", "T0000", "--pool", "A")]
    [InlineData("add", "t00000", "--pool", "A")]
    [InlineData("add", "T00000")]
    [InlineData("add", "T00000", "--pool", "../etc")]
    [InlineData("add", "T00000", "--pool", "A", "--capacity", "0")]
    [InlineData("add", "T00000", "--pool", "A", "--media", "DAT")]
    [InlineData("show", "T00000/../../x")]
    [InlineData("scratch")]
    [InlineData("list", "--status", "lost")]
    [InlineData("import", "T00000")]
    public void Bad_arguments_are_usage_errors_and_change_nothing(params string[] args)
    {
        using var directory = new TempDirectory();
        var data = Path.Combine(directory.Path, "data");

        var (code, output, error) = Run(data, args);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.StartsWith("ctape volume", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal); // never a stack trace
        Assert.False(Directory.Exists(data));
    }
}

public class VolumeCommandCatalogErrorTests
{
    [Fact]
    public void A_file_that_is_not_a_catalog_is_reported_not_thrown()
    {
        using var directory = new TempDirectory();
        directory.Write("catalog.db", "this is not an SQLite database, just text that is long enough to have a header........");
        var (code, _, error) = Ctape.Run("volume", "list", "--data", directory.Path);

        Assert.Equal(1, code);
        Assert.StartsWith("ctape volume list: ", error, StringComparison.Ordinal);
        Assert.Contains("not a database", error, StringComparison.Ordinal);
    }
}
