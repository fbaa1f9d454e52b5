using System.Collections.Concurrent;
using ChannelTape.Server;

namespace ChannelTape.Server.Tests.Support;

/// <summary>Keeps the server's log lines so tests can check that a closed connection has a logged reason.</summary>
public sealed class ListLog : IServerLog
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyCollection<string> Lines => _lines;

    public void Write(LogLevel level, string message) => _lines.Enqueue($"{level}: {message}");

    /// <summary>Waits until a line containing all of <paramref name="parts"/> appears.</summary>
    public string WaitFor(TimeSpan timeout, params string[] parts)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var line = _lines.FirstOrDefault(l => parts.All(p => l.Contains(p, StringComparison.Ordinal)));
            if (line is not null)
            {
                return line;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"no log line with [{string.Join("] [", parts)}]; log:\n{string.Join("\n", _lines)}");
            }

            Thread.Sleep(10);
        }
    }
}
