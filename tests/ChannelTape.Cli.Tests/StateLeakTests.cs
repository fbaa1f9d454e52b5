using System.Diagnostics;
using System.Text.Json;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Media;
using ChannelTape.Text;

namespace ChannelTape.Cli.Tests;

/// <summary>
/// Commands against a live server leave nothing behind (issue 11, item 3): no pending request after a refused
/// mount or a copy or report that failed or timed out, no scratch volume used up by a conformance run, no
/// statistics counted by the reader, no half volume marked private after an interrupted import, and what a
/// server-side import wrote recorded as an offline import records it.
/// </summary>
public sealed class StateLeakTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("ctape-leak-").FullName;
    private LibraryServer? _served;

    private LibraryServer Served => _served ?? throw new InvalidOperationException("no server started");

    private string EndPoint => Served.EndPoint.ToString();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_served is not null)
        {
            await _served.DisposeAsync();
        }

        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void A_refused_operator_mount_leaves_no_pending_request()
    {
        Start();

        var (exit, _, error) = Ctape.Run("mount", "0582", "ZZZZZZ", "--server", EndPoint);

        Assert.Equal(1, exit);
        Assert.Contains("volume ZZZZZZ is not in the library", error, StringComparison.Ordinal);
        Assert.Null(Served.Host.View.State(0x0582)!.PendingRequest);
        // A volume given back later is not mounted on 0582 by itself.
        Assert.Equal(0, Ctape.Run("mount", "0581", "P00001", "--server", EndPoint).ExitCode);
        Assert.Equal(0, Ctape.Run("unload", "0581", "--server", EndPoint).ExitCode);
        Assert.Null(Served.Host.View.State(0x0582)!.VolumeSerial);
    }

    [Fact]
    public void A_volser_followed_by_options_is_mounted_with_them()
    {
        Start();

        var (exit, output, error) = Ctape.Run("mount", "0581", "T00007", "ro", "--server", EndPoint);

        Assert.True(exit == 0, error);
        Assert.Equal("0581: T00007 [1:00000000] IBM 3490 R/O\n", output);
        Assert.True(Served.Host.Drive(0x0581).Drive.Media!.IsReadOnly);
        var refused = Ctape.Run("mount", "0582", "T00008", "nosuchoption", "--server", EndPoint);
        Assert.Equal(1, refused.ExitCode); // options the server does not know are refused, not ignored
        Assert.Null(Served.Host.View.State(0x0582)!.VolumeSerial);
    }

    [Fact]
    public void Import_and_export_of_an_unknown_or_mounted_volume_are_refused_at_once_and_leave_nothing_pending()
    {
        Start();
        string image = TestImages.WriteLabelled(Path.Combine(_root, "in.aws"), TapeImageFormat.Aws, "P00001", "IN", 2);
        Assert.Equal(0, Ctape.Run("mount", "0581", "P00001", "--server", EndPoint).ExitCode);

        // With the default 30-second mount timeout: a refusal says why, where a wait would time out.
        var export = Ctape.Run("volume", "export", "ZZZZZZ", Path.Combine(_root, "x.aws"), "--server", EndPoint);
        Assert.Equal((1, "ctape volume export: volume ZZZZZZ: volume ZZZZZZ is not in the library\n"), (export.ExitCode, export.Error));
        export = Ctape.Run("volume", "export", "P00001", Path.Combine(_root, "x.aws"), "--server", EndPoint);
        Assert.Equal((1, "ctape volume export: volume P00001: volume P00001 is mounted on drive 0581\n"), (export.ExitCode, export.Error));
        var import = Ctape.Run("volume", "import", "ZZZZZZ", image, "--server", EndPoint);
        Assert.Equal(1, import.ExitCode);
        Assert.Contains("ZZZZZZ: no such volume", import.Error, StringComparison.Ordinal);
        import = Ctape.Run("volume", "import", "P00001", image, "--server", EndPoint);
        Assert.Equal((1, "ctape volume import: P00001: mounted, not imported\n"), (import.ExitCode, import.Error));

        Assert.All(Served.Host.View.Drives, d => Assert.Null(d.Volume.PendingRequest));
        Assert.False(File.Exists(Path.Combine(_root, "x.aws")));
    }

    [Fact]
    public void A_report_that_times_out_withdraws_its_request()
    {
        Start();

        // With another prefix than the server's, @VOLS is no administrative volume there but an unknown
        // volume: for a host's Load Display the library keeps the request pending.
        var (exit, _, error) = Ctape.Run("lms", "volumes", "--prefix", "@", "--timeout", "0.5", "--server", EndPoint);

        Assert.Equal(1, exit);
        Assert.Contains("was not mounted within 0.5 s (request withdrawn)", error, StringComparison.Ordinal);
        Assert.All(Served.Host.View.Drives, d => Assert.Null(d.Volume.PendingRequest));
    }

    [Fact]
    public void SIGTERM_while_a_report_waits_for_its_mount_withdraws_the_request()
    {
        Start();
        // @VOLS is an unknown volume to this server (its prefix is #): the request stays pending, as for a host,
        // until the 120-second timeout, or until ctape is stopped.
        using var lms = StartCtape("lms", "volumes", "--prefix", "@", "--timeout", "120", "--server", EndPoint);
        Assert.True(SpinWait.SpinUntil(() => Served.Host.View.Drives.Any(d => d.Volume.PendingRequest == "@VOLS"), EventRecorder.Patience),
            "the report's mount was not requested");

        Terminate(lms);

        string error = lms.StandardError.ReadToEnd();
        Assert.True(lms.WaitForExit(30_000), "ctape lms did not stop");
        Assert.Equal((1, "ctape lms volumes: stopped (SIGINT or SIGTERM)\n"), (lms.ExitCode, error));
        Assert.All(Served.Host.View.Drives, d => Assert.Null(d.Volume.PendingRequest));
    }

    [Fact]
    public void Reading_the_statistics_counts_no_unit_checks_or_exceptions_of_the_reading()
    {
        Start();

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(0, Ctape.Run("lms", "drives", "--server", EndPoint).ExitCode);
        }

        using var stats = JsonDocument.Parse(Ctape.Run("lms", "stats", "--json", "--server", EndPoint).Output);
        var values = stats.RootElement.GetProperty("rows").EnumerateArray()
            .ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("value"));
        Assert.Equal(0, values["UNIT CHECKS"].GetInt64());
        Assert.Equal(0, values["UNIT EXCEPTIONS"].GetInt64());
        Assert.Equal(0, Served.Host.Statistics.UnitExceptions);
    }

    [Fact]
    public void The_conformance_suite_against_a_live_library_uses_no_scratch_volume_and_leaves_no_request()
    {
        Start();
        string[] scripts = [.. new[] { "load_display_mounts.ccw", "05_mount.ccw", "cmd_3490_unloaded.ccw", "09_3420.ccw" }
            .Select(s => RepositoryFiles.Path(Path.Combine("ccw-scripts", s)))];

        var (exit, output, error) = Ctape.Run(["replay", .. scripts, "--server", EndPoint]);

        Assert.True(exit is 0 or 1, error); // expectations may differ on a library (its mounts answer Load Displays), nothing fails to run
        Assert.Contains("09_3420.ccw: skipped: the script is for an IBM 3420 at 0580; the server's drive 0580 is an IBM 3490", output, StringComparison.Ordinal);
        Assert.Equal(10, Served.Host.Catalog.ListVolumes(pool: "SCRATCH", status: VolumeStatus.Scratch).Count);
        Assert.All(Served.Host.View.Drives, d => Assert.Null(d.Volume.PendingRequest));
        Assert.All(Served.Host.View.Drives, d => Assert.Null(d.Volume.VolumeSerial));
    }

    [Fact]
    public void A_server_side_import_records_blocks_size_and_label_type_as_an_offline_import_does()
    {
        Start();
        string image = Path.Combine(_root, "ansi.aws");
        Assert.True(TapeImage.TryCreate(image, TapeImageFormat.Aws, new TapeImageOptions(), out var media, out var createError), createError);
        using (media)
        {
            Assert.Equal(MediaStatus.Ok, media!.Write(new Vol1Label("T00003", "", LabelEncoding.Ascii).ToBytes()));
            Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
            foreach (var block in TestImages.DataBlocks(3))
            {
                Assert.Equal(MediaStatus.Ok, media.Write(block));
            }

            Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
            Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
        }

        var (exit, _, error) = Ctape.Run("volume", "import", "T00003", image, "--server", EndPoint);
        Assert.True(exit == 0, error);

        // The library records the volume when the drive's unload reaches it, just after the Rewind Unload answered.
        VolumeRecord? volume = null;
        SpinWait.SpinUntil(() => (volume = Served.Host.Catalog.FindVolume(VolumeSerial.Parse("T00003"))!).Status != VolumeStatus.Mounted && volume.BytesUsed > 0,
            EventRecorder.Patience);
        Assert.Equal((LabelType.Ansi, new FileInfo(image).Length, VolumeStatus.Private), (volume!.Labels, volume.BytesUsed, volume.Status));
    }

    [Fact]
    public void An_import_that_fails_part_way_leaves_no_half_volume_and_nothing_on_the_drive()
    {
        Start(); // 10M volumes
        string image = TestImages.WriteLabelled(Path.Combine(_root, "too-big.aws"), TapeImageFormat.Aws, "T00006", "BIG", 5000); // 20 MB
        var serial = VolumeSerial.Parse("T00006");

        var (exit, _, error) = Ctape.Run("volume", "import", "T00006", image, "--server", EndPoint);

        Assert.Equal(1, exit);
        Assert.Contains("import failed", error, StringComparison.Ordinal);
        Assert.Contains("it is scratch again", error, StringComparison.Ordinal);
        SpinWait.SpinUntil(() => Served.Host.Catalog.FindVolume(serial)!.Status != VolumeStatus.Mounted, EventRecorder.Patience);
        var volume = Served.Host.Catalog.FindVolume(serial)!;
        Assert.Equal((VolumeStatus.Scratch, 0L), (volume.Status, volume.Blocks));
        Assert.All(Served.Host.View.Drives, d => Assert.Null(d.Volume.PendingRequest));
        Assert.All(Served.Host.View.Drives, d => Assert.Null(d.Volume.VolumeSerial));
        Assert.Equal(3, TestImages.ReadAll(Served.Host.Catalog.Layout.ImagePath(volume)).Count); // VOL1, dummy HDR1, tape mark
    }

    [Fact]
    public void SIGTERM_during_an_import_leaves_no_half_volume_marked_private()
    {
        Start(capacity: "400M");
        string image = TestImages.WriteLabelled(Path.Combine(_root, "big.aws"), TapeImageFormat.Aws, "T00005", "BIG", 30000);
        var serial = VolumeSerial.Parse("T00005");
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "ctape"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "volume", "import", "T00005", image, "--server", EndPoint })
        {
            start.ArgumentList.Add(argument);
        }

        using var import = Process.Start(start)!;
        // Stopped while it copies: the catalog says mounted before the command has seen its mount's device end
        // (a stop then only withdraws the mount), so wait until blocks reach the image.
        string path = Served.Host.Catalog.Layout.ImagePath(Served.Host.Catalog.FindVolume(serial)!);
        Assert.True(SpinWait.SpinUntil(() => Served.Host.Catalog.FindVolume(serial)!.Status == VolumeStatus.Mounted
            && File.Exists(path) && new FileInfo(path).Length > 1024 * 1024, EventRecorder.Patience),
            "the import did not start copying");
        using (var kill = Process.Start("kill", ["-TERM", import.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            kill.WaitForExit();
        }

        string error = import.StandardError.ReadToEnd();
        Assert.True(import.WaitForExit(60_000), "ctape volume import did not stop");
        Assert.Equal(1, import.ExitCode);
        Assert.Contains("import cancelled", error, StringComparison.Ordinal);
        Assert.Contains("it is scratch again", error, StringComparison.Ordinal);

        var volume = Served.Host.Catalog.FindVolume(serial)!;
        Assert.Equal((VolumeStatus.Scratch, 0L), (volume.Status, volume.Blocks));
        var blocks = TestImages.ReadAll(Served.Host.Catalog.Layout.ImagePath(volume));
        Assert.Equal(3, blocks.Count); // VOL1, dummy HDR1, tape mark: a new volume's labels
        Assert.StartsWith("VOL1T00005", Ebcdic.GetString(blocks[0]!), StringComparison.Ordinal);
        Assert.Null(blocks[2]);
    }

    private static Process StartCtape(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "ctape"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    private static void Terminate(Process process)
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private void Start(string capacity = "10M")
    {
        var result = ConfigurationParser.ParseText($$"""
            storage { root "{{_root}}/data"; format aws; }
            drive 0580-0583 { model 3490; media 3490E; pool SCRATCH; }
            pool SCRATCH { volumes T00000-T00009; media 3490E; capacity {{capacity}}; labels SL; scratch; }
            pool PRIV { volumes P00000-P00002; media 3490E; capacity 10M; labels SL; }
            """, "leak.conf", _root);
        Assert.Empty(result.Errors);
        _served = LibraryServer.Start(result.Configuration!);
    }
}
