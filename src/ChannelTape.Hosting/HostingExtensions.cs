using ChannelTape.Library.Configuration;
using ChannelTape.Runtime.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace ChannelTape.Hosting;

/// <summary>
/// <c>ctape serve</c> on the generic host (Microsoft.Extensions.Hosting): the library served as a hosted
/// service, its events logged through <see cref="ILogger"/>, graceful shutdown on SIGINT/SIGTERM (the host's
/// console lifetime) and systemd's notify protocol when run as a <c>Type=notify</c> unit.
/// </summary>
public static class HostingExtensions
{
    /// <summary>The logger category of the server's and the library's events.</summary>
    public const string EventCategory = "ChannelTape";

    /// <summary>
    /// Serves <paramref name="configuration"/>: a <see cref="LibraryHost"/> built when the host starts (a
    /// catalog that cannot be opened or an address in use stops the start with the reason) and stopped in
    /// order when the host stops.
    /// </summary>
    public static IServiceCollection AddChannelTapeServer(this IServiceCollection services, LibraryConfiguration configuration, LibraryHostOptions? options = null)
    {
        services.AddSingleton(configuration);
        services.AddSingleton(options ?? new LibraryHostOptions());
        services.AddSingleton<TapeServerService>();
        services.AddHostedService(provider => provider.GetRequiredService<TapeServerService>());
        services.Configure<ConsoleLifetimeOptions>(lifetime => lifetime.SuppressStatusMessages = true);
        services.AddSystemd();
        return services;
    }

    /// <summary>
    /// Log lines on standard error as ChannelTape has always written them: <c>2026-11-27T15:00:00.000Z info: message</c>,
    /// from <paramref name="minimum"/> up.
    /// </summary>
    public static ILoggingBuilder AddChannelTapeConsole(this ILoggingBuilder logging, LogLevel minimum = LogLevel.Information)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(minimum);
        logging.AddConsole(console =>
        {
            console.FormatterName = TapeConsoleFormatter.FormatterName;
            console.LogToStandardErrorThreshold = LogLevel.Trace;
        });
        logging.AddConsoleFormatter<TapeConsoleFormatter, ConsoleFormatterOptions>();
        // A start that fails (catalog, address in use) is said once by the caller, without the host's stack trace.
        logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        return logging;
    }
}

/// <summary>
/// The library served as a hosted service: builds the <see cref="LibraryHost"/> and starts listening when
/// the host starts, logs every event, and stops the server in order when the host stops.
/// </summary>
public sealed class TapeServerService(LibraryConfiguration configuration, LibraryHostOptions options, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _log = loggers.CreateLogger(HostingExtensions.EventCategory);
    private readonly EventRateLimiter _limiter = new();

    /// <summary>The library served, once started.</summary>
    public LibraryHost? Library { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var events = new TapeEventHub();
        events.Subscribe(Log);
        if (!LibraryHost.TryBuild(configuration, options, out var library, out var error, events))
        {
            throw new LibraryStartException(error);
        }

        Library = library;
        try
        {
            library.Start();
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new LibraryStartException($"cannot listen on {configuration.Listen}: {e.Message}");
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Library?.StopAsync() ?? Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (Library is { } library)
        {
            await library.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One event, one bounded line (peer text escaped, <see cref="LogLine"/>), at most so many of a kind per
    /// window (<see cref="EventRateLimiter"/>); the event itself is the state, so structured sinks see its fields.
    /// </summary>
    private void Log(TapeEvent tapeEvent)
    {
        if (!_log.IsEnabled(tapeEvent.Level))
        {
            return;
        }

        if (!_limiter.Admit(tapeEvent, out var summary))
        {
            return;
        }

        if (summary is not null)
        {
            _log.Log(LogLevel.Warning, new EventId(0, "EventsSuppressed"), summary);
        }

        _log.Log(tapeEvent.Level, new EventId(0, tapeEvent.GetType().Name), tapeEvent, null, static (e, _) => LogLine.Of(e));
    }
}

/// <summary>The library could not be served: the catalog did not open, or the address is in use. The message says which.</summary>
public sealed class LibraryStartException(string message) : Exception(message);
