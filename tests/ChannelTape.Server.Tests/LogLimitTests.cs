using ChannelTape.Hosting;
using ChannelTape.Runtime.Events;

namespace ChannelTape.Server.Tests;

/// <summary>Issue 13, item 4: log lines bounded, peer text escaped, repeated events rate-limited.</summary>
public sealed class LogLimitTests
{
    [Fact]
    public void Peer_text_in_a_log_line_is_escaped_and_bounded()
    {
        var hello = new HelloReceived("#1 10.0.0.1:4000", "evil\nwarning: forged line\u001b[31m" + new string('x', 500), 65792, Protocol.ProtocolFeatures.None);

        var line = LogLine.Of(hello);

        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\u001b', line);
        Assert.Contains("evil\\x0Awarning: forged line\\x1B[31m", line, StringComparison.Ordinal);
        Assert.Contains("more characters", line, StringComparison.Ordinal);
        Assert.True(line.Length < 300, line);
    }

    [Fact]
    public void A_whole_line_is_bounded_even_when_no_peer_text_was_escaped_on_the_way()
    {
        var closed = new ConnectionClosed("#2 10.0.0.1:4001", CloseCause.ProtocolError, new string('y', 10_000));

        Assert.True(LogLine.Of(closed).Length <= PeerText.LineLimit + 40);
    }

    [Fact]
    public void Repeated_events_of_one_kind_are_written_up_to_the_limit_per_window_and_the_rest_counted_in_one_line()
    {
        var time = new StepTime();
        var limiter = new EventRateLimiter(time);
        var refused = new ConnectionRefused("10.0.0.1:1", 64, 64);
        var admitted = 0;
        for (var i = 0; i < 10_000; i++)
        {
            admitted += limiter.Admit(refused, out _) ? 1 : 0;
        }

        Assert.Equal(EventRateLimiter.PerWindow, admitted);
        Assert.True(limiter.Admit(new ConnectionOpened("#3"), out var other) && other is null); // another kind has its own count

        time.Advance(EventRateLimiter.Window);
        Assert.True(limiter.Admit(refused, out var summary));
        Assert.Contains($"{10_000 - EventRateLimiter.PerWindow} more ConnectionRefused", summary, StringComparison.Ordinal);
    }

    private sealed class StepTime : TimeProvider
    {
        private long _ticks = 1;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
