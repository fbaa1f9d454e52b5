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
        services.AddSingleton(provider => (options ?? new LibraryHostOptions()) is { Loggers: null } given
            ? given with { Loggers = provider.GetRequiredService<ILoggerFactory>() }
            : options!);
        services.AddSingleton<TapeServerService>();
        services.AddHostedService(provider => provider.GetRequiredService<TapeServerService>());
        services.Configure<ConsoleLifetimeOptions>(lifetime => lifetime.SuppressStatusMessages = true);
        services.AddSystemd();
        if (configuration.Log.Format == LogFormat.Json)
        {
            // Under systemd, AddSystemd puts the journal's formatter on the console; JSON asked for stays JSON.
            services.Configure<ConsoleLoggerOptions>(console => console.FormatterName = ConsoleFormatterNames.Json);
        }

        return services;
    }

    /// <summary>
    /// Log lines on standard error as ChannelTape has always written them: <c>2026-11-27T15:00:00.000Z info: message</c>,
    /// from <paramref name="minimum"/> up.
    /// </summary>
    public static ILoggingBuilder AddChannelTapeConsole(this ILoggingBuilder logging, LogLevel minimum = LogLevel.Information) =>
        logging.AddChannelTapeConsole(new LogConfiguration(minimum, LogFormat.Text));

    /// <summary>
    /// The log the configuration's <c>log</c> block (or <c>--log-level</c>, <c>--log-format</c>) asks for, on
    /// standard error: text lines (<see cref="TapeConsoleFormatter"/>), or one JSON object per line with the
    /// event's fields under <c>State</c> (drive, volser, host, outcome; docs/operations.md, "Logs").
    /// </summary>
    public static ILoggingBuilder AddChannelTapeConsole(this ILoggingBuilder logging, LogConfiguration log)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(log.Level);
        if (log.Format == LogFormat.Json)
        {
            logging.AddJsonConsole(json =>
            {
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                json.IncludeScopes = false;
            });
            logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        }
        else
        {
            logging.AddConsole(console =>
            {
                console.FormatterName = TapeConsoleFormatter.FormatterName;
                console.LogToStandardErrorThreshold = LogLevel.Trace;
            });
            logging.AddConsoleFormatter<TapeConsoleFormatter, ConsoleFormatterOptions>();
        }

        // A start that fails (catalog, address in use) is said once by the caller, without the host's stack trace.
        logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        // Kestrel's and ASP.NET Core's own chatter (a line per request) only when something is wrong.
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Microsoft.Hosting", LogLevel.Warning);
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
        catch (ManagementStartException e)
        {
            throw new LibraryStartException(e.Message);
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

        _log.Log(tapeEvent.Level, new EventId(0, tapeEvent.GetType().Name), new TapeEventLogState(tapeEvent), null, static (state, _) => LogLine.Of(state.Event));
    }
}

/// <summary>The library could not be served: the catalog did not open, or the address is in use. The message says which.</summary>
public sealed class LibraryStartException(string message) : Exception(message);

/// <summary>
/// An event as a log entry's state: the event's fields (<see cref="TapeEventFields"/>) as name/value pairs,
/// which the JSON console writes under <c>State</c>, with <c>event</c> (its type) first and
/// <c>{OriginalFormat}</c> last, as structured sinks expect.
/// </summary>
public sealed class TapeEventLogState(TapeEvent tapeEvent) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly IReadOnlyList<KeyValuePair<string, object?>> _fields =
        [new("event", tapeEvent.GetType().Name), .. TapeEventFields.Of(tapeEvent), new("{OriginalFormat}", tapeEvent.Message)];

    public TapeEvent Event { get; } = tapeEvent;

    public int Count => _fields.Count;

    public KeyValuePair<string, object?> this[int index] => _fields[index];

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _fields.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => Event.Message;
}

/// <summary>
/// What <c>ctape serve</c>'s command line changes in the configuration for the operations plane:
/// <c>--http ADDR:PORT</c>, <c>--no-http</c>, <c>--secret-file FILE</c> (the server's shared secret), <c>--log-level LEVEL</c>,
/// <c>--log-format text|json</c>. The command (whatever parses its arguments) hands the values here.
/// </summary>
public static class ServeOverrides
{
    /// <summary>The configuration with the given overrides; false with the message for a bad value.</summary>
    public static bool TryApply(LibraryConfiguration configuration, string? http, bool noHttp, string? secretFile, string? logLevel, string? logFormat,
        out LibraryConfiguration result, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        result = configuration;
        error = null;
        var management = configuration.Management;
        if (http is not null && noHttp)
        {
            error = "--http and --no-http contradict each other";
            return false;
        }

        if (http is not null)
        {
            if (!System.Net.IPEndPoint.TryParse(http, out var endPoint) || !http.Contains(':', StringComparison.Ordinal))
            {
                error = $"--http wants ADDR:PORT, got '{http}'";
                return false;
            }

            management = management with { Http = endPoint };
        }

        if (noHttp)
        {
            management = management with { Http = null };
        }

        var security = configuration.Security;
        if (secretFile is not null)
        {
            // The server's shared secret: hosts prove it (docs/security.md) and the management API asks for it as a bearer token.
            security = security with { SecretFile = Path.GetFullPath(secretFile) };
        }

        var log = configuration.Log;
        if (logLevel is not null)
        {
            if (!LogConfiguration.TryParseLevel(logLevel, out var level))
            {
                error = $"--log-level wants one of {string.Join(", ", LogConfiguration.LevelNames.Select(n => n.Name))}, got '{logLevel}'";
                return false;
            }

            log = log with { Level = level };
        }

        if (logFormat is not null)
        {
            log = logFormat switch
            {
                "text" => log with { Format = LogFormat.Text },
                "json" => log with { Format = LogFormat.Json },
                _ => null!,
            };
            if (log is null)
            {
                error = $"--log-format wants text or json, got '{logFormat}'";
                return false;
            }
        }

        result = configuration with { Management = management, Security = security, Log = log };
        return true;
    }
}
