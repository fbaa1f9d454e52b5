using ChannelTape.Runtime.Events;

namespace ChannelTape.Hosting;

/// <summary>
/// Keeps the log readable under a storm (docs/security.md, "Bounded resources"): at most
/// <see cref="PerWindow"/> events of one kind are written per <see cref="Window"/>; the rest are counted
/// and said in one line when the next event of that kind comes after the window. A connection storm
/// that once wrote 82,000 lines writes a few dozen.
/// </summary>
public sealed class EventRateLimiter(TimeProvider? time = null)
{
    public const int PerWindow = 50;

    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Dictionary<Type, (long Start, int Count, long Suppressed)> _kinds = [];
    private readonly Lock _lock = new();

    /// <summary>True when <paramref name="tapeEvent"/> is written; <paramref name="summary"/> names what was left out before it.</summary>
    public bool Admit(TapeEvent tapeEvent, out string? summary)
    {
        summary = null;
        var now = _time.GetTimestamp();
        var kind = tapeEvent.GetType();
        lock (_lock)
        {
            if (!_kinds.TryGetValue(kind, out var state) || _time.GetElapsedTime(state.Start, now) >= Window)
            {
                if (state.Suppressed > 0)
                {
                    summary = $"{state.Suppressed} more {kind.Name} event(s) were not logged ({PerWindow} per {Window.TotalSeconds:0} s are)";
                }

                _kinds[kind] = (now, 1, 0);
                return true;
            }

            if (state.Count < PerWindow)
            {
                _kinds[kind] = state with { Count = state.Count + 1 };
                return true;
            }

            _kinds[kind] = state with { Suppressed = state.Suppressed + 1 };
            return false;
        }
    }
}

/// <summary>One event as one bounded log line: peer text escaped, no line breaks, at most <see cref="PeerText.LineLimit"/> characters (errors, with their stack traces, 16,000).</summary>
public static class LogLine
{
    public static string Of(TapeEvent tapeEvent) =>
        PeerText.Escape(tapeEvent.Message, tapeEvent.Level >= Microsoft.Extensions.Logging.LogLevel.Error ? 16_000 : PeerText.LineLimit, escapeBackslash: false);
}

/// <summary>
/// The audit log (docs/security.md): every security-relevant event, one line each, appended to a file
/// (<c>security { audit-log "FILE"; }</c>) and flushed at once: attaches, take-overs, authentication,
/// operator mounts, command volumes, and every refusal.
/// </summary>
public sealed class AuditLog : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly EventRateLimiter _limiter = new();
    private readonly Lock _lock = new();

    public AuditLog(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read)) { AutoFlush = true };
    }

    /// <summary>True for an event the audit log keeps.</summary>
    public static bool Covers(TapeEvent tapeEvent) => tapeEvent switch
    {
        IAuditEvent => true,
        MountRefused => true,
        VolumeMounted { Source: MountSource.Operator } => true,
        VolumeUnloaded { Source: MountSource.Operator } => true,
        _ => false,
    };

    public void Write(TapeEvent tapeEvent)
    {
        if (!Covers(tapeEvent) || !_limiter.Admit(tapeEvent, out var summary))
        {
            return;
        }

        var stamp = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture);
        lock (_lock)
        {
            try
            {
                if (summary is not null)
                {
                    _writer.WriteLine($"{stamp} audit: {summary}");
                }

                _writer.WriteLine($"{stamp} audit: {tapeEvent.GetType().Name}: {LogLine.Of(tapeEvent)}");
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // A full disk must not stop the drives; the event is in the main log too.
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _writer.Dispose();
        }
    }
}
