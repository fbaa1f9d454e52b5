using System.Net;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using ChannelTape.Management.Api;
using ChannelTape.Management.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChannelTape.Management;

/// <summary>What the endpoints share: the library, what the monitor learned, snapshots, JSON settings, access rules.</summary>
internal sealed class ManagementContext(ManagedLibrary library, OperationsMonitor monitor, ManagementSettings settings, Snapshots snapshots,
    PrometheusExposition exposition, JsonSerializerOptions json)
{
    public ManagedLibrary Library { get; } = library;

    public OperationsMonitor Monitor { get; } = monitor;

    public ManagementSettings Settings { get; } = settings;

    public Snapshots Snapshots { get; } = snapshots;

    public PrometheusExposition Exposition { get; } = exposition;

    public JsonSerializerOptions Json { get; } = json;

    public ManagementAccess Access { get; } = new(settings.Secret);

    public VolumeTransfers Transfers { get; } = new(library, settings.TransferFolder);

    /// <summary>The API's address once listening.</summary>
    public Uri? Address { get; set; }
}

/// <summary>
/// The operations plane of <c>ctape serve</c> (docs/operations.md) on Kestrel: the JSON management API
/// under <c>/api</c> with its OpenAPI document at <c>/openapi/v1.json</c>, <c>/metrics</c> (Prometheus
/// text), <c>/healthz</c> and <c>/readyz</c>, and the status page at <c>/</c>, all served from this
/// assembly. Built by the composition root (LibraryHost) beside the tape server, started and stopped with it.
/// </summary>
public sealed class ManagementServer : IAsyncDisposable
{
    /// <summary>Largest request body taken (JSON requests are small).</summary>
    public const long MaxRequestBody = 1024 * 1024;

    private readonly WebApplication _app;
    private readonly ManagementContext _context;
    private readonly ThroughputSampler _throughput;
    private readonly TapeMetrics _metrics;
    private readonly PrometheusExposition _exposition;
    private bool _started;
    private int _disposed;

    public ManagementServer(ManagedLibrary library, OperationsMonitor monitor, ManagementSettings settings, ILoggerFactory? loggers = null)
    {
        Settings = settings;
        _throughput = new ThroughputSampler(library.View.Drives);
        _metrics = new TapeMetrics(library, monitor);
        _exposition = new PrometheusExposition(_metrics.Meter);
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.Never };
        _context = new ManagementContext(library, monitor, settings, new Snapshots(library, monitor, _throughput), _exposition, json);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(ManagementServer).Assembly.GetName().Name,
            EnvironmentName = "Production",
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers ?? NullLoggerFactory.Instance);
        // The process's signals belong to the outer host (ctape serve's), which stops this one in order.
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, InnerLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(settings.Http);
            kestrel.Limits.MaxRequestBodySize = MaxRequestBody;
            kestrel.AddServerHeader = false;
        });
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi("v1", options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "ChannelTape management API";
            document.Info.Version = typeof(ManagementServer).Assembly.GetName().Version?.ToString(3) ?? "1";
            document.Info.Description = "Drives, mounts, volumes, pools, events and statistics of a ctape serve, and the operator's actions "
                + "(docs/operations.md). Device numbers are four hex digits (\"0580\"). With a secret configured, writes need "
                + "'Authorization: Bearer SECRET', and so do reads from outside loopback.";
            return Task.CompletedTask;
        }));

        _app = builder.Build();
        _app.UseExceptionHandler();
        // What routing answers on its own (no such path, method or body type) as problem details that say so.
        _app.UseStatusCodePages(statusContext =>
        {
            var http = statusContext.HttpContext;
            var status = http.Response.StatusCode;
            var problem = status switch
            {
                StatusCodes.Status404NotFound => Problems.NotFound($"no such path {Problems.Shorten(http.Request.Path.Value ?? "")}: the API is described at /openapi/v1.json"),
                StatusCodes.Status405MethodNotAllowed => Problems.Problem(status, "method not allowed", $"{http.Request.Method} is not allowed on {Problems.Shorten(http.Request.Path.Value ?? "")}"),
                StatusCodes.Status415UnsupportedMediaType => Problems.Problem(status, "unsupported media type", $"the body must be application/json, not {Problems.Shorten(http.Request.ContentType ?? "nothing")}"),
                _ => Problems.Problem(status, ReasonPhrases.GetReasonPhrase(status), ReasonPhrases.GetReasonPhrase(status)),
            };
            return problem.ExecuteAsync(http);
        });
        _app.Use(async (http, next) =>
        {
            if (_context.Access.Check(http) is { } refusal)
            {
                await refusal.ExecuteAsync(http).ConfigureAwait(false);
                return;
            }

            await next(http).ConfigureAwait(false);
        });

        var api = _app.MapGroup("/api");
        DriveEndpoints.Map(api, _context);
        LibraryEndpoints.Map(api, _context);
        ServerEndpoints.Map(_app, api, _context);
        PageEndpoints.Map(_app);
        _app.MapOpenApi("/openapi/{documentName}.json");
    }

    public ManagementSettings Settings { get; }

    /// <summary>Where the API listens (with the real port when bound to port 0); after <see cref="StartAsync"/>.</summary>
    public IPEndPoint LocalEndPoint { get; private set; } = new(IPAddress.None, 0);

    /// <summary>The API's address, e.g. <c>http://127.0.0.1:7491/</c>.</summary>
    public Uri Address => new($"http://{(LocalEndPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{LocalEndPoint.Address}]" : LocalEndPoint.Address.ToString())}:{LocalEndPoint.Port}/");

    /// <summary>Starts listening; an address in use throws <see cref="IOException"/>.</summary>
    public async Task StartAsync()
    {
        await _app.StartAsync().ConfigureAwait(false);
        _started = true;
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(address);
        LocalEndPoint = new IPEndPoint(Settings.Http.Address, uri.Port);
        _context.Address = Address;
    }

    public async Task StopAsync()
    {
        if (_started)
        {
            _started = false;
            await _app.StopAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _exposition.Dispose();
        _metrics.Dispose();
        await _throughput.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>A host lifetime that waits for nothing and listens to no signal: the management API starts and stops when told.</summary>
internal sealed class InnerLifetime : Microsoft.Extensions.Hosting.IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>The status page at <c>/</c>: one HTML file, its script and style, embedded in this assembly (no CDN).</summary>
internal static class PageEndpoints
{
    private static readonly Assembly s_assembly = typeof(PageEndpoints).Assembly;

    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => File("index.html", "text/html; charset=utf-8")).ExcludeFromDescription();
        app.MapGet("/page/{name}", (string name) => name switch
        {
            "app.js" => File(name, "text/javascript; charset=utf-8"),
            "style.css" => File(name, "text/css; charset=utf-8"),
            "icon.svg" => File(name, "image/svg+xml"),
            _ => Problems.NotFound($"no page file {Problems.Shorten(name)}"),
        }).ExcludeFromDescription();
    }

    private static IResult File(string name, string contentType)
    {
        using var stream = s_assembly.GetManifestResourceStream("page/" + name)
            ?? throw new InvalidOperationException($"the status page file {name} is not embedded");
        using var reader = new StreamReader(stream);
        return Results.Text(reader.ReadToEnd(), contentType);
    }
}
