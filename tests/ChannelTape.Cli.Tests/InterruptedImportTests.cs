using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using ChannelTape.Labels;
using ChannelTape.Library;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Mounts;
using ChannelTape.Media;

namespace ChannelTape.Cli.Tests;

/// <summary>
/// SIGTERM during an import leaves no half volume marked private (issue 11, item 3), where the copy is made
/// without a drive: <c>ctape volume import</c> offline, and <c>ctape serve</c> stopped while its management API
/// imports from the transfer folder. (Through a drive, <c>--server</c>: <see cref="StateLeakTests"/>.) The copy is
/// stopped between two blocks, the half copy deleted and the catalog left as it was.
/// </summary>
public sealed class InterruptedImportTests : IDisposable
{
    /// <summary>400 MB converted to HET on the way: the copy takes seconds, the signal comes while it runs.</summary>
    private const int Blocks = 100_000;

    private readonly string _root = Directory.CreateTempSubdirectory("ctape-sigterm-").FullName;
    private Process? _process;

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process?.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task SIGTERM_during_an_offline_import_leaves_no_volume_and_no_half_copy()
    {
        string data = Path.Combine(_root, "data");
        string image = TestImages.WriteLabelled(Path.Combine(_root, "big.aws"), TapeImageFormat.Aws, "P00005", "BIG", Blocks);
        _process = Start("volume", "import", "P00005", image, "--pool", "PRIV", "--format", "het", "--data", data);
        var stderr = _process.StandardError.ReadToEndAsync();

        WaitForPartialCopy(Path.Combine(data, "volumes"), "P00005");
        Terminate(_process);

        Assert.True(_process.WaitForExit(60_000), "ctape volume import did not stop");
        Assert.Equal(1, _process.ExitCode);
        Assert.Contains("ctape volume import: import of P00005 cancelled; nothing imported", await stderr, StringComparison.Ordinal);
        var catalog = LibraryCatalog.Open(data);
        Assert.Null(catalog.FindVolume(VolumeSerial.Parse("P00005")));
        Assert.Empty(Directory.GetFiles(catalog.Layout.VolumesDirectory));
    }

    [Fact]
    public async Task SIGTERM_to_serve_during_an_import_through_the_management_API_leaves_the_volume_as_it_was()
    {
        string data = Path.Combine(_root, "data");
        string transfer = Directory.CreateDirectory(Path.Combine(_root, "transfer")).FullName;
        TestImages.WriteLabelled(Path.Combine(transfer, "big.aws"), TapeImageFormat.Aws, "T00005", "BIG", Blocks);
        string config = Path.Combine(_root, "serve.conf");
        File.WriteAllText(config, $$"""
            storage { root "{{data}}"; format aws; }
            drive 0580-0581 { model 3490; media 3490E; pool SCRATCH; }
            pool SCRATCH { volumes T00000-T00009; media 3490E; capacity 1G; labels SL; scratch; }
            http 127.0.0.1:0;
            transfer-folder "{{transfer}}";
            """);
        _process = Start("serve", "--config", config, "--listen", "127.0.0.1:0");
        var api = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        DataReceivedEventHandler watch = (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            if (Regex.Match(e.Data, @"management API.* on (http://127\.0\.0\.1:\d+/)") is { Success: true } match)
            {
                api.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        _process.OutputDataReceived += watch;
        _process.ErrorDataReceived += watch;
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Assert.True(await Task.WhenAny(api.Task, Task.Delay(TimeSpan.FromSeconds(60))) == api.Task, "ctape serve did not start:\n" + string.Join("\n", output));

        using var http = new HttpClient { BaseAddress = await api.Task, Timeout = TimeSpan.FromSeconds(120) };
        var import = http.PostAsJsonAsync("api/volumes/T00005/import", new { file = "big.aws", format = "het" });
        WaitForPartialCopy(Path.Combine(data, "volumes"), "T00005");
        Terminate(_process);

        Assert.True(_process.WaitForExit(60_000), "ctape serve did not stop");
        Assert.Equal(0, _process.ExitCode);
        using (var response = await import)
        {
            // The server answered before it stopped: the import was taken back, not left to finish or die half way.
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Contains("nothing imported", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var catalog = LibraryCatalog.Open(data);
        var volume = catalog.FindVolume(VolumeSerial.Parse("T00005"))!;
        Assert.Equal((VolumeStatus.Scratch, 0L, 0L), (volume.Status, volume.Blocks, volume.BytesUsed));
        Assert.Empty(Directory.GetFiles(catalog.Layout.VolumesDirectory, "*" + LibraryRecovery.PartialMarker + "*"));
    }

    private Process Start(params string[] arguments)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "ctape"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start)!;
    }

    /// <summary>Until the copy has begun: its partial image is in the volumes folder.</summary>
    private static void WaitForPartialCopy(string volumes, string serial) =>
        Assert.True(
            SpinWait.SpinUntil(
                () => Directory.Exists(volumes) && Directory.GetFiles(volumes, $".{serial}.*{LibraryRecovery.PartialMarker}*").Length > 0,
                TimeSpan.FromSeconds(60)),
            "the import did not start copying");

    private static void Terminate(Process process)
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }
}
