using System.Diagnostics;
using System.Globalization;

namespace ChannelTape.Cli;

/// <summary>
/// A progress bar for long image copies on stderr, drawn only when stderr is a terminal: percent
/// of the input bytes, rate and time left, redrawn at most every 100 ms on one line and cleared
/// at the end (the command then prints its plain summary line).
/// </summary>
public sealed class CopyProgress(TextWriter writer, bool draw, string label, long totalBytes) : IProgress<long>
{
    private const int BarWidth = 24;
    private static readonly TimeSpan s_redrawInterval = TimeSpan.FromMilliseconds(100);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan? _lastDrawn;
    private int _lastLength;

    /// <summary>Time since the copy started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    public void Report(long value)
    {
        if (!draw)
        {
            return;
        }

        var now = _clock.Elapsed;
        if (_lastDrawn is { } last && now - last < s_redrawInterval && value < totalBytes)
        {
            return;
        }

        _lastDrawn = now;
        var line = $"{label} {Render(value, totalBytes, now)}";
        writer.Write("\r" + line.PadRight(_lastLength));
        _lastLength = line.Length;
        writer.Flush();
    }

    /// <summary>Clears the bar (if one was drawn).</summary>
    public void Finish()
    {
        if (draw && _lastLength > 0)
        {
            writer.Write("\r" + new string(' ', _lastLength) + "\r");
            writer.Flush();
            _lastLength = 0;
        }
    }

    /// <summary>
    /// <c>[#########---------------]  37%  12.5 MiB/s  ETA 0:08</c>: bar, percent of
    /// <paramref name="total"/>, average rate since the start, and time left at that rate.
    /// </summary>
    public static string Render(long done, long total, TimeSpan elapsed)
    {
        double fraction = total <= 0 ? 1 : Math.Clamp((double)done / total, 0, 1);
        int filled = (int)(fraction * BarWidth);
        double seconds = elapsed.TotalSeconds;
        double rate = seconds > 0 ? done / seconds : 0;
        string eta = rate > 0 ? Duration(TimeSpan.FromSeconds((total - done) / rate)) : "?";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"[{new string('#', filled)}{new string('-', BarWidth - filled)}] {(int)(fraction * 100),3}%  {Rate(rate)}  ETA {eta}");
    }

    /// <summary>Bytes per second as B/s, KiB/s, MiB/s or GiB/s with one decimal.</summary>
    public static string Rate(double bytesPerSecond) => bytesPerSecond switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytesPerSecond:0} B/s"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytesPerSecond / 1024:0.0} KiB/s"),
        < 1024.0 * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytesPerSecond / (1024 * 1024):0.0} MiB/s"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytesPerSecond / (1024 * 1024 * 1024):0.0} GiB/s"),
    };

    /// <summary>H:MM:SS, or M:SS under an hour.</summary>
    public static string Duration(TimeSpan time) => time.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)time.TotalHours}:{time.Minutes:00}:{time.Seconds:00}")
        : string.Create(CultureInfo.InvariantCulture, $"{time.Minutes}:{time.Seconds:00}");
}
