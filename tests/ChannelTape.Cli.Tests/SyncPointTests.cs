using System.Diagnostics;
using System.Text.RegularExpressions;
using ChannelTape.Channel;
using ChannelTape.Client;

namespace ChannelTape.Cli.Tests;

/// <summary>
/// Issue 13, item 6: Write Tape Mark and Rewind Unload are synchronisation points, as on a 3490 in
/// buffered mode. <c>ctape serve</c> runs under strace, which records every fsync and fdatasync and the
/// file each descriptor was opened on: Writes alone force nothing to disk, a tape mark forces the image,
/// the unload forces the image and commits the catalog with full synchronisation; a pool with
/// <c>sync none;</c> forces nothing.
/// </summary>
public sealed class SyncPointTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ctape-sync-").FullName;
    private Process? _server;

    public void Dispose()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill(entireProcessTree: true);
            _server.WaitForExit();
        }

        _server?.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void A_tape_mark_and_the_unload_fsync_the_image_and_the_unload_commits_the_catalog_with_full_synchronisation()
    {
        var trace = Path.Combine(_root, "strace.txt");
        var port = StartServerUnderStrace(trace, """
            drive 0580-0581;
            pool DURABLE { volumes D00000-D00009; capacity 10M; }
            pool FAST { volumes F00000-F00009; capacity 10M; sync none; }
            """);
        using var device = RemoteDevice.Connect("127.0.0.1", port, 0x0580);
        Assert.Equal(Protocol.MountResult.Done, device.Mount("D00001").Result);
        var image = Path.Combine(_root, "data", "volumes", "D00001.aws");
        var afterMount = Syncs(trace, image);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(device, 0x01, new byte[4096], i).Status);
        }

        Assert.Equal(afterMount, Syncs(trace, image));
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(device, 0x1F, new byte[1], 0).Status); // Write Tape Mark
        var afterTapeMark = WaitForMore(trace, image, afterMount);
        Assert.Equal(afterMount + 1, afterTapeMark);

        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(device, 0x01, new byte[4096], 0).Status);
        var catalogBefore = Syncs(trace, Path.Combine(_root, "data", "catalog.db"), prefix: true);
        Run(device, 0x0F, new byte[1], 0); // Rewind Unload
        Assert.Equal(afterTapeMark + 1, WaitForMore(trace, image, afterTapeMark));
        Assert.True(WaitForMore(trace, Path.Combine(_root, "data", "catalog.db"), catalogBefore, prefix: true) > catalogBefore,
            "the unload's catalog commit was not synchronised");

        // A pool that asks for no sync points: nothing is forced by the tape mark.
        using var fast = RemoteDevice.Connect("127.0.0.1", port, 0x0581);
        Assert.Equal(Protocol.MountResult.Done, fast.Mount("F00001").Result);
        var fastImage = Path.Combine(_root, "data", "volumes", "F00001.aws");
        var fastAfterMount = Syncs(trace, fastImage);
        Run(fast, 0x01, new byte[4096], 0);
        Run(fast, 0x1F, new byte[1], 0);
        Thread.Sleep(500);
        Assert.Equal(fastAfterMount, Syncs(trace, fastImage));
    }

    private static CcwResult Run(RemoteDevice device, byte command, byte[] buffer, int sequence) =>
        device.Execute(new CcwRequest(command, CcwFlags.None, CcwFlags.None, buffer.Length, 0, sequence), buffer);

    /// <summary>fsync and fdatasync calls on descriptors opened on <paramref name="path"/> (or any file starting with it) so far.</summary>
    private static int Syncs(string trace, string path, bool prefix = false)
    {
        var descriptors = new Dictionary<string, string>(); // "pid fd" -> path
        var count = 0;
        string[] lines;
        using (var stream = new FileStream(trace, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
        using (var reader = new StreamReader(stream))
        {
            lines = reader.ReadToEnd().Split('\n');
        }

        // With several threads strace splits a call it sees interrupted by another:
        // "PID fsync(27 <unfinished ...>" and later "PID <... fsync resumed>) = 0"; join them again.
        var pending = new Dictionary<string, string>();
        foreach (var raw in lines)
        {
            var line = raw;
            var unfinished = Regex.Match(line, @"^(\d+)\s+(.*) <unfinished \.\.\.>$");
            if (unfinished.Success)
            {
                pending[unfinished.Groups[1].Value] = unfinished.Groups[2].Value;
                continue;
            }

            var resumed = Regex.Match(line, @"^(\d+)\s+<\.\.\. \w+ resumed>(.*)$");
            if (resumed.Success && pending.Remove(resumed.Groups[1].Value, out var start))
            {
                line = $"{resumed.Groups[1].Value} {start}{resumed.Groups[2].Value}";
            }

            var open = Regex.Match(line, @"^(\d+)\s+openat\(AT_FDCWD, ""([^""]+)"".*\)\s+=\s+(\d+)");
            if (open.Success)
            {
                descriptors[open.Groups[3].Value] = open.Groups[2].Value;
                continue;
            }

            var sync = Regex.Match(line, @"^(\d+)\s+f(?:data)?sync\((\d+)\)\s+=\s+0");
            if (sync.Success && descriptors.TryGetValue(sync.Groups[2].Value, out var file)
                && (prefix ? file.StartsWith(path, StringComparison.Ordinal) : file == path))
            {
                count++;
            }
        }

        return count;
    }

    private static int WaitForMore(string trace, string path, int than, bool prefix = false)
    {
        var deadline = Environment.TickCount64 + 10_000;
        int now;
        while ((now = Syncs(trace, path, prefix)) <= than && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(50);
        }

        Thread.Sleep(200); // and nothing more than the one awaited follows
        return Syncs(trace, path, prefix);
    }

    private int StartServerUnderStrace(string trace, string configuration)
    {
        var config = Path.Combine(_root, "sync.conf");
        File.WriteAllText(config, $"storage {{ root \"{Path.Combine(_root, "data")}\"; }}\n{configuration}");
        var start = new ProcessStartInfo("strace")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root,
        };
        foreach (var argument in new[]
        {
            "-f", "-qq", "-e", "trace=openat,fsync,fdatasync", "-e", "signal=none", "-o", trace,
            Path.Combine(AppContext.BaseDirectory, "ctape"), "serve", "--config", config, "--listen", "127.0.0.1:0", "--no-http",
        })
        {
            start.ArgumentList.Add(argument);
        }

        _server = Process.Start(start)!;
        var listening = new TaskCompletionSource<int>();
        _server.OutputDataReceived += (_, e) =>
        {
            var match = e.Data is null ? null : Regex.Match(e.Data, @"listening on 127\.0\.0\.1:(\d+)");
            if (match is { Success: true })
            {
                listening.TrySetResult(int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        Assert.True(listening.Task.Wait(TimeSpan.FromSeconds(90)), "ctape serve did not start under strace");
        return listening.Task.Result;
    }
}
