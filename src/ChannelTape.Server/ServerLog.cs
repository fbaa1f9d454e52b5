namespace ChannelTape.Server;

/// <summary>Severity of a server log line.</summary>
public enum LogLevel
{
    Info,
    Warning,
    Error,
}

/// <summary>Where the server writes what it does and why it closed a connection.</summary>
public interface IServerLog
{
    void Write(LogLevel level, string message);
}

/// <summary>Log lines on standard error: <c>2026-11-27T15:00:00.000Z warning: message</c>.</summary>
public sealed class StandardErrorLog : IServerLog
{
    private readonly Lock _lock = new();

    public void Write(LogLevel level, string message)
    {
        var line = $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {level.ToString().ToLowerInvariant()}: {message}";
        lock (_lock)
        {
            Console.Error.WriteLine(line);
        }
    }
}
