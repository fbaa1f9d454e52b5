using System.Text.Json;
using ChannelTape.Client.Management;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace ChannelTape.Management.Api;

/// <summary>The server itself: who it is, its events (also live), its totals, metrics and health.</summary>
internal static class ServerEndpoints
{
    public static void Map(IEndpointRouteBuilder app, IEndpointRouteBuilder api, ManagementContext context)
    {
        var library = context.Library;
        api.MapGet("/server", () => Results.Ok(new ServerInfo(
                library.Server.Options.ServerName,
                library.Server.LocalEndPoint.ToString(),
                context.Address?.ToString() ?? "",
                library.View.Drives.Count,
                context.Access.HasSecret,
                context.Settings.TransferFolder is not null)))
            .WithTags("server").WithSummary("Who the server is and where it listens")
            .Produces<ServerInfo>();
        api.MapGet("/statistics", () => Results.Ok(Statistics(context)))
            .WithTags("server").WithSummary("Totals since the server started: CCWs, unit checks, data read and written, mounts, connections, protocol errors")
            .Produces<StatisticsInfo>();
        api.MapGet("/events", (string? device, long? after, int? limit) =>
            {
                string? drive = null;
                if (device is not null)
                {
                    if (!Problems.TryDevice(device, out var number, out var problem))
                    {
                        return problem!;
                    }

                    drive = Snapshots.Hex(number);
                }

                if (limit is < 1 or > OperationsMonitor.RecentCapacity)
                {
                    return Problems.BadRequest($"limit {limit} is out of range, expected 1 to {OperationsMonitor.RecentCapacity}");
                }

                return Results.Ok(context.Monitor.Recent(drive, after, limit ?? 100));
            })
            .WithTags("events").WithSummary($"The last events (at most {OperationsMonitor.RecentCapacity} kept), newest first: of one drive, after an id")
            .Produces<IReadOnlyList<EventInfo>>().ProducesProblem(StatusCodes.Status400BadRequest);
        api.MapGet("/events/stream", (HttpContext http, IHostApplicationLifetime lifetime) => StreamAsync(http, context, lifetime))
            .WithTags("events").WithSummary("Every event from now on as server-sent events (text/event-stream; event 'tape', data an EventInfo)");

        app.MapGet("/metrics", () => Results.Text(context.Exposition.Collect(), Metrics.PrometheusExposition.ContentType))
            .WithTags("operations").WithSummary("Metrics in the Prometheus text format (docs/operations.md lists every series)");
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" }))
            .WithTags("operations").WithSummary("Liveness: answers while the process serves HTTP");
        app.MapGet("/readyz", () =>
            {
                try
                {
                    _ = library.Server.LocalEndPoint;
                    _ = library.Catalog.CountVolumes();
                    return Results.Ok(new { status = "ready", listen = library.Server.LocalEndPoint.ToString(), drives = library.View.Drives.Count });
                }
                catch (Exception e) when (e is InvalidOperationException or IOException or Microsoft.Data.Sqlite.SqliteException)
                {
                    return Problems.Unavailable($"not ready: {e.Message}");
                }
            })
            .WithTags("operations").WithSummary("Readiness: the tape server listens and the catalog answers");
    }

    private static StatisticsInfo Statistics(ManagementContext context)
    {
        var library = context.Library;
        var drives = library.View.Drives;
        return new StatisticsInfo(
            library.Statistics.StartedAt,
            Math.Round(library.Statistics.Uptime.TotalSeconds, 3),
            library.Statistics.Ccws,
            library.Statistics.UnitChecks,
            library.Statistics.UnitExceptions,
            drives.Sum(d => d.Drive.Counters.BlocksRead),
            drives.Sum(d => d.Drive.Counters.BytesRead),
            drives.Sum(d => d.Drive.Counters.BlocksWritten),
            drives.Sum(d => d.Drive.Counters.BytesWritten),
            context.Monitor.MountsDone,
            context.Monitor.MountsRefused,
            library.Server.ConnectionCount,
            context.Monitor.ConnectionsAccepted,
            context.Monitor.ConnectionsRefused,
            context.Monitor.ProtocolErrors);
    }

    /// <summary>Server-sent events: a comment at once (so the client knows it is connected), then one event per TapeEvent, a keep-alive every 15 s.</summary>
    private static async Task StreamAsync(HttpContext http, ManagementContext context, IHostApplicationLifetime lifetime)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        var response = http.Response;
        try
        {
            await response.WriteAsync(": ctape events\n\n", stop.Token).ConfigureAwait(false);
            await response.Body.FlushAsync(stop.Token).ConfigureAwait(false);
            using var follower = context.Monitor.Follow();
            while (true)
            {
                EventInfo next;
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stop.Token))
                {
                    wait.CancelAfter(TimeSpan.FromSeconds(15));
                    try
                    {
                        next = await follower.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                    {
                        await response.WriteAsync(": keep-alive\n\n", stop.Token).ConfigureAwait(false);
                        await response.Body.FlushAsync(stop.Token).ConfigureAwait(false);
                        continue;
                    }
                }

                await response.WriteAsync($"id: {next.Id}\nevent: tape\ndata: {JsonSerializer.Serialize(next, context.Json)}\n\n", stop.Token).ConfigureAwait(false);
                await response.Body.FlushAsync(stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // The page went away, or the server is stopping.
        }
        catch (IOException)
        {
            // The connection broke.
        }
    }
}
