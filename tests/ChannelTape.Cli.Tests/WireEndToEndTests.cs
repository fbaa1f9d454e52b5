using System.Text.Json;
using ChannelTape.Admin.Lms;
using ChannelTape.Admin.Reports;
using ChannelTape.Admin.Volumes;
using ChannelTape.Channel;
using ChannelTape.Cli;
using ChannelTape.Client;
using ChannelTape.Labels;
using ChannelTape.Library;
using ChannelTape.Library.Configuration;
using ChannelTape.Server;
using ChannelTape.Testing;
using ChannelTape.Text;

namespace ChannelTape.Cli.Tests;

/// <summary>
/// The whole server as <c>ctape serve</c> composes it (library, admin volumes, statistics), on
/// 127.0.0.1, driven over the wire protocol by RemoteDevice and by <c>ctape lms</c>.
/// </summary>
public sealed class WireEndToEndTests : IAsyncLifetime
{
    private readonly string _root = Directory.CreateTempSubdirectory("ctape-wire-").FullName;
    private LibraryServer _served = null!;
    private string _endPoint = "";

    public Task InitializeAsync()
    {
        var result = ConfigurationParser.ParseText($$"""
            storage { root "{{Path.Combine(_root, "data")}}"; format aws; }
            drive 0580-0583 { model 3490; media 3490E; pool SCRATCH; }
            pool SCRATCH { volumes T00000-T00019; media 3490E; capacity 10M; labels SL; scratch; }
            pool PRIV { volumes P00000-P00004; media 3490E; capacity 10M; labels SL; }
            """, "wire.conf", _root);
        Assert.Empty(result.Errors);
        _served = LibraryServer.Start(result.Configuration!);
        _endPoint = _served.EndPoint.ToString();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _served.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Host_mounts_by_load_display_writes_a_labelled_data_set_and_reads_it_back_after_a_new_mount()
    {
        using (var writer = Connect(0x0581))
        using (var session = new DriveSession(writer))
        {
            session.Mount("P00003", TimeSpan.FromSeconds(10));
            Span<byte> block = stackalloc byte[80];
            Assert.Equal(BlockReadOutcome.Block, session.ReadBlock(block, out _)); // VOL1
            var hdr1 = new DataSetLabel1(DataSetLabelKind.Header, "PROD.PAYROLL.WEEKLY", "P00003");
            var hdr2 = new DataSetLabel2(DataSetLabelKind.Header, 'F', 800, 80);
            session.WriteBlock(hdr1.ToBytes());
            session.WriteBlock(hdr2.ToBytes());
            session.WriteTapeMarks(1);
            for (int i = 0; i < 4; i++)
            {
                session.WriteBlock(Ebcdic.GetBytes($"RECORD {i}".PadRight(800)));
            }

            session.WriteTapeMarks(1);
            session.WriteBlock((hdr1 with { Kind = DataSetLabelKind.EndOfFile, BlockCount = 4 }).ToBytes());
            session.WriteBlock((hdr2 with { Kind = DataSetLabelKind.EndOfFile }).ToBytes());
            session.WriteTapeMarks(2);
            session.RewindVolume();
            session.Unload();
        }

        using (var reader = Connect(0x0582))
        using (var session = new DriveSession(reader))
        {
            session.Mount("P00003", TimeSpan.FromSeconds(10));
            var blocks = new List<string>();
            var buffer = new byte[65535];
            for (int i = 0; i < 8; i++)
            {
                var outcome = session.ReadBlock(buffer, out int length);
                blocks.Add(outcome == BlockReadOutcome.TapeMark ? "TM" : Ebcdic.GetString(buffer.AsSpan(0, length)).TrimEnd());
            }

            Assert.Equal("VOL1P00003", blocks[0][..10]);
            Assert.StartsWith("HDR1OD.PAYROLL.WEEKLY", blocks[1], StringComparison.Ordinal); // rightmost 17 characters
            Assert.StartsWith("HDR2F0080000080", blocks[2], StringComparison.Ordinal);
            Assert.Equal(["TM", "RECORD 0", "RECORD 1", "RECORD 2", "RECORD 3"], blocks[3..]);
            session.Unload();
        }

        // The unload reaches the library's scheduler just after the Rewind Unload has answered.
        SpinWait.SpinUntil(() => _served.Host.Catalog.MountHistory(VolumeSerial.Parse("P00003")).All(m => m.UnmountedAt is not null),
            TimeSpan.FromSeconds(10));
        var volume = _served.Host.Catalog.FindVolume(VolumeSerial.Parse("P00003"))!;
        Assert.Equal("OD.PAYROLL.WEEKLY", volume.DataSetName);
        Assert.Equal(4, volume.Blocks);
        var history = _served.Host.Catalog.MountHistory(VolumeSerial.Parse("P00003"));
        Assert.Equal(2, history.Count);
        Assert.All(history, m => Assert.NotNull(m.UnmountedAt));
        Assert.Equal([(ushort)0x0582, (ushort)0x0581], history.Select(m => m.DeviceNumber));
    }

    [Fact]
    public void Lms_reads_reports_over_the_wire_and_they_agree_with_the_catalog()
    {
        var (exit, output, error) = Lms("pools", "--json");
        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var pools = json.RootElement.GetProperty("rows").EnumerateArray().ToDictionary(p => p.GetProperty("pool").GetString()!);
        Assert.Equal(20, pools["SCRATCH"].GetProperty("scratch").GetInt64());
        Assert.Equal(5, pools["PRIV"].GetProperty("volumes").GetInt64());

        (exit, output, error) = Lms("drives");
        Assert.True(exit == 0, error);
        Assert.Contains("4 row(s)", output, StringComparison.Ordinal);
        Assert.Contains("0583", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Lms_command_changes_the_catalog_and_a_bad_request_changes_nothing()
    {
        var (exit, output, error) = Lms("command", "UNSCRATCH T00007", "MOVE T00008 PRIV");
        Assert.True(exit == 0, error + output);
        Assert.Equal(ChannelTape.Library.Catalog.VolumeStatus.Private, _served.Host.Catalog.FindVolume(VolumeSerial.Parse("T00007"))!.Status);
        Assert.Equal("PRIV", _served.Host.Catalog.FindVolume(VolumeSerial.Parse("T00008"))!.Pool);

        (exit, output, _) = Lms("command", "SCRATCH T00007", "MOVE T00009 NOPOOL");
        Assert.Equal(1, exit);
        Assert.Contains("NOTDONE", output, StringComparison.Ordinal);
        Assert.Contains("ERROR", output, StringComparison.Ordinal);
        Assert.Equal(ChannelTape.Library.Catalog.VolumeStatus.Private, _served.Host.Catalog.FindVolume(VolumeSerial.Parse("T00007"))!.Status);
        Assert.Equal("SCRATCH", _served.Host.Catalog.FindVolume(VolumeSerial.Parse("T00009"))!.Pool);
    }

    [Fact]
    public void Lms_command_with_a_request_over_80_characters_is_an_error_and_nothing_is_written()
    {
        var (exit, output, error) = Lms("command", "SCRATCH T00007 " + new string('X', 80));

        Assert.Equal(2, exit); // a usage error: the request is refused before anything is mounted
        Assert.Contains("is longer than 80 characters", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", error + output, StringComparison.Ordinal);
        Assert.All(_served.Host.Drives, d => Assert.False(d.Drive.IsLoaded));
    }

    [Fact]
    public void Lms_takes_a_free_drive_when_others_are_busy()
    {
        using var busy = Connect(0x0580);
        using var loaded = Connect(0x0581);
        Assert.True(loaded.Mount("P00001").Result == 0);
        var (exit, output, error) = Lms("stats");
        Assert.True(exit == 0, error);
        Assert.Contains("CCWS", output, StringComparison.Ordinal);
        Assert.Equal("P00001", _served.Host.View.State(0x0581)!.VolumeSerial); // left alone
    }

    [Fact]
    public void Status_and_volume_commands_work_against_a_running_server()
    {
        var (exit, output, error) = Ctape.Run("status", "--server", _endPoint, "--drives", "0580-0583");
        Assert.True(exit == 0, error);
        Assert.StartsWith("DRIVE  MODEL  STATE", output, StringComparison.Ordinal);
        Assert.Contains("0583   3490   empty", output, StringComparison.Ordinal);
        Assert.Contains("SCRATCH                 20         0         0        20", output, StringComparison.Ordinal);

        Assert.Equal(0, Volume("unscratch", "T00001", "T00002").Exit);
        Assert.Equal(ChannelTape.Library.Catalog.VolumeStatus.Private, _served.Host.Catalog.FindVolume(VolumeSerial.Parse("T00002"))!.Status);

        (exit, output, error) = Volume("list", "--pool", "SCRATCH", "--json");
        Assert.True(exit == 0, error);
        using var json = JsonDocument.Parse(output);
        var rows = json.RootElement.EnumerateArray().ToList();
        Assert.Equal(20, rows.Count); // T00000-T00019; P00000-P00004 are in PRIV
        Assert.Equal("private", rows.Single(r => r.GetProperty("volser").GetString() == "T00001").GetProperty("status").GetString());
        Assert.Equal(18, JsonDocument.Parse(Volume("list", "--pool", "SCRATCH", "--status", "scratch", "--json").Output).RootElement.GetArrayLength());
        Assert.Equal(0, JsonDocument.Parse(Volume("list", "--pool", "NOSUCH", "--json").Output).RootElement.GetArrayLength());

        Assert.Equal(0, Volume("add", "P00005-P00009", "--pool", "PRIV").Exit);
        Assert.Equal("PRIV", _served.Host.Catalog.FindVolume(VolumeSerial.Parse("P00009"))!.Pool);
        (exit, _, error) = Volume("add", "P00009-P00010", "--pool", "PRIV");
        Assert.Equal(1, exit);
        Assert.Contains("already in the catalog", error, StringComparison.Ordinal);
        Assert.Null(_served.Host.Catalog.FindVolume(VolumeSerial.Parse("P00010"))); // all or nothing

        Assert.Equal(0, Volume("move", "T00002", "--pool", "PRIV").Exit); // the same --pool as offline
        Assert.Equal("PRIV", _served.Host.Catalog.FindVolume(VolumeSerial.Parse("T00002"))!.Pool);
        Assert.Equal(2, Volume("list", "T00001").Exit); // no operands
        (exit, _, error) = Volume("add", "P00011", "--pool", "PRIV", "--media", "3480");
        Assert.Equal(2, exit); // an option a server cannot honour is refused, not ignored
        Assert.Contains("--media is not available with --server", error, StringComparison.Ordinal);
        Assert.Equal(2, Ctape.Run("volume", "list", "--server", _endPoint, "--data", _root).ExitCode);
    }

    [Fact]
    public void Operator_mount_and_unload_reach_a_free_drive_and_are_refused_on_a_host_attached_one()
    {
        var (exit, output, error) = Ctape.Run("mount", "0583", "P00004", "--server", _endPoint);
        Assert.True(exit == 0, error);
        Assert.Equal("P00004", _served.Host.View.State(0x0583)!.VolumeSerial);
        Assert.StartsWith("0583: P00004 [1:00000000] IBM 3490 R/W", output, StringComparison.Ordinal);
        Assert.Equal(0, Ctape.Run("unload", "0583", "--server", _endPoint).ExitCode);
        Assert.Null(_served.Host.View.State(0x0583)!.VolumeSerial);
        (exit, _, error) = Ctape.Run("mount", "0583", "NOSUCH", "--server", _endPoint);
        Assert.Equal(1, exit);
        Assert.Equal("ctape mount: drive 0583: volume NOSUCH is not in the library\n", error);

        using var host = Connect(0x0582);
        Assert.Equal(1, Ctape.Run("mount", "0582", "P00004", "--server", _endPoint).ExitCode);
    }

    [Fact]
    public void Volume_export_and_import_through_a_drive_copy_every_block_and_tape_mark()
    {
        string hetinitImage = Path.Combine(_root, "in.aws");
        Assert.True(ChannelTape.Media.TapeImage.TryCreate(hetinitImage, ChannelTape.Media.TapeImageFormat.Aws, new ChannelTape.Media.TapeImageOptions(), out var image, out string? createError), createError);
        using (image)
        {
            foreach (var block in new byte[]?[] { Ebcdic.GetBytes("VOL1P00002".PadRight(80)), Ebcdic.GetBytes("HDR1DATA".PadRight(80)), null, new byte[30000], new byte[1], null, null })
            {
                Assert.Equal(ChannelTape.Media.MediaStatus.Ok, block is null ? image!.WriteTapeMark() : image!.Write(block));
            }
        }

        var (exit, output, error) = Volume("import", "P00002", hetinitImage);
        Assert.True(exit == 0, error);
        Assert.Contains("4 blocks, 3 tape marks, 30161 bytes", output, StringComparison.Ordinal);
        // The copy went through write-behind (docs/protocol.md §5.1): the drive's connection says so when it ends.
        _served.Recorder.WaitFor<DriveDetached>(e => e.Streaming.BufferedWrites > 0);
        // The library records what was written when the drive's unload reaches its scheduler, just after
        // the Rewind Unload that ends the import has answered.
        long expectedBytes = new FileInfo(hetinitImage).Length;
        SpinWait.SpinUntil(() => _served.Host.Catalog.FindVolume(VolumeSerial.Parse("P00002"))!.BytesUsed == expectedBytes, TimeSpan.FromSeconds(10));
        Assert.Equal(expectedBytes, _served.Host.Catalog.FindVolume(VolumeSerial.Parse("P00002"))!.BytesUsed);

        string exported = Path.Combine(_root, "out.aws");
        Assert.Equal(0, Volume("export", "P00002", exported).Exit);
        Assert.Equal(File.ReadAllBytes(hetinitImage), File.ReadAllBytes(exported));
        _served.Recorder.WaitFor<DriveDetached>(e => e.Streaming.ReadAheadSent > 0);

        string corrupt = Path.Combine(_root, "corrupt.aws");
        File.WriteAllBytes(corrupt, [0x50, 0x00, 0x00, 0x00, 0xA0, 0x00, 0x01, 0x02]); // 80-byte block cut after 2 bytes
        (exit, _, error) = Volume("import", "P00002", corrupt);
        Assert.Equal(1, exit);
        Assert.Contains("P00002 holds 2 data blocks; give --replace to overwrite them", error, StringComparison.Ordinal);
        (exit, _, error) = Volume("import", "P00002", corrupt, "--replace");
        Assert.Equal(1, exit);
        Assert.Contains("nothing was written", error, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(hetinitImage), File.ReadAllBytes(_served.Host.Catalog.Layout.ImagePath(_served.Host.Catalog.FindVolume(VolumeSerial.Parse("P00002"))!)));
    }

    [Theory]
    [InlineData("samples/03_write_read.json")]
    [InlineData("samples/04_positioning.json")]
    [InlineData("samples/05_mount.json")]
    [InlineData("samples/06_chaining.json")]
    [InlineData("samples/07_errors.json")]
    [InlineData("samples/08_readonly.json")]
    [InlineData("cases/chain_data_read.json")]
    [InlineData("cases/eot_3490_maxsizeK64_eotmargin16384.json")]
    [InlineData("cases/corrupt_truncated_header.json")]
    public void Replay_over_the_wire_gives_the_same_result_as_in_process(string golden)
    {
        string path = Path.Combine(RepositoryFiles.Root, "tests", "golden", golden);
        var test = ChannelTape.Scripts.Replay.ReplayTestParser.ParseFile(path);
        var local = new ChannelTape.Scripts.Replay.ReplayRunner(new ChannelTape.Scripts.Replay.TapeDriveReplayFactory())
            .Run(test, new(Path.Combine(_root, "run")));
        Directory.Delete(Path.Combine(_root, "run"), recursive: true); // the same work directory, so paths in the results agree
        int colon = _endPoint.LastIndexOf(':');
        var remote = new ChannelTape.Scripts.Replay.ReplayRunner(
                new ChannelTape.Scripts.Replay.RemoteReplayFactory(_endPoint[..colon], int.Parse(_endPoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture)))
            .Run(test, new(Path.Combine(_root, "run")));
        Assert.Equal($"ChannelTape server at {_endPoint}", remote["emulator"]!.GetValue<string>()); // names the server it ran on
        foreach (var field in new[] { "test", "emulator" })
        {
            local.Remove(field);
            remote.Remove(field);
        }

        Assert.Equal(local.ToJsonString(), remote.ToJsonString());
    }

    private RemoteDevice Connect(ushort device)
    {
        int colon = _endPoint.LastIndexOf(':');
        return RemoteDevice.Connect(_endPoint[..colon], int.Parse(_endPoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), device);
    }

    private (int Exit, string Output, string Error) Lms(params string[] args) =>
        Ctape.Run(["lms", .. args, "--server", _endPoint, "--drives", "0580-0583", "--timeout", "10"]);

    private (int Exit, string Output, string Error) Volume(params string[] args) =>
        Ctape.Run(["volume", .. args, "--server", _endPoint, "--drives", "0580-0583"]);
}
