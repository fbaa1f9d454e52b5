using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ChannelTape.Cli.Tests;

/// <summary>A <c>ctape serve</c> process of a test, as an installation starts it.</summary>
internal static class ServeProcess
{
    /// <summary>
    /// Starts <c>ctape serve --config CONFIG --listen 127.0.0.1:0 --no-http</c> in <paramref name="workingDirectory"/> and
    /// waits until it listens: the process and its port. Port 0: the server binds a free port itself and says which
    /// (a port picked here and bound there later could be taken meanwhile by another test's listener; a test failed
    /// that way once). Fails the test with what the server wrote when it exits or does not listen in time.
    /// </summary>
    public static (Process Server, int Port) Start(string config, string workingDirectory, TimeSpan patience)
    {
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "ctape"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (string argument in new[] { "serve", "--config", config, "--listen", "127.0.0.1:0", "--no-http" })
        {
            start.ArgumentList.Add(argument);
        }

        var server = Process.Start(start)!;
        var listening = new TaskCompletionSource<int>();
        var errors = new ConcurrentQueue<string>();
        server.OutputDataReceived += (_, e) =>
        {
            var match = e.Data is null ? null : Regex.Match(e.Data, @"listening on 127\.0\.0\.1:(\d+)");
            if (match is { Success: true })
            {
                listening.TrySetResult(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        };
        server.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                errors.Enqueue(e.Data);
            }
        };
        server.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("ctape serve exited: " + string.Join('\n', errors)));
        server.EnableRaisingEvents = true;
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            return (server, listening.Task.WaitAsync(patience).GetAwaiter().GetResult());
        }
        catch (TimeoutException)
        {
            server.Kill();
            throw new TimeoutException("ctape serve did not start:\n" + string.Join("\n", errors));
        }
    }
}
