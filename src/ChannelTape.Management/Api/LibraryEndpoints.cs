using ChannelTape.Client.Management;
using ChannelTape.Labels;
using ChannelTape.Library;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace ChannelTape.Management.Api;

/// <summary><c>/api/volumes</c> and <c>/api/pools</c>: the catalog, read a page at a time, and the operator's volume changes.</summary>
internal static class LibraryEndpoints
{
    public const int MaxPage = 1000;

    public static void Map(IEndpointRouteBuilder api, ManagementContext context)
    {
        var catalog = context.Library.Catalog;
        var volumes = api.MapGroup("/volumes").WithTags("volumes");
        volumes.MapGet("", (string? pool, string? status, int? offset, int? limit) =>
            {
                VolumeStatus? wanted = status switch
                {
                    null => null,
                    "scratch" => VolumeStatus.Scratch,
                    "private" => VolumeStatus.Private,
                    "mounted" => VolumeStatus.Mounted,
                    _ => (VolumeStatus)(-1),
                };
                if (wanted == (VolumeStatus)(-1))
                {
                    return Problems.BadRequest($"unknown status '{Problems.Shorten(status!)}', expected scratch, private or mounted");
                }

                if (offset is < 0)
                {
                    return Problems.BadRequest($"offset {offset} is negative");
                }

                if (limit is < 1 or > MaxPage)
                {
                    return Problems.BadRequest($"limit {limit} is out of range, expected 1 to {MaxPage}");
                }

                var page = catalog.ListVolumes(pool, wanted, offset ?? 0, limit ?? 100);
                return Results.Ok(new VolumePage(catalog.CountVolumes(pool, wanted), offset ?? 0, limit ?? 100, [.. page.Select(Snapshots.Volume)]));
            })
            .WithSummary("Volumes in serial order, of one pool and/or status, a page at a time (limit at most 1000)")
            .Produces<VolumePage>().ProducesProblem(StatusCodes.Status400BadRequest);
        volumes.MapGet("/{volser}", (string volser) =>
                !Problems.TrySerial(volser, out var serial, out var problem) ? problem!
                : catalog.FindVolume(serial) is { } volume ? Results.Ok(Snapshots.Volume(volume))
                : Problems.NotFound($"no volume {serial} in the library"))
            .WithSummary("One volume")
            .Produces<VolumeInfo>().ProducesProblem(StatusCodes.Status404NotFound);
        volumes.MapPost("", async (HttpRequest request) =>
            {
                var (body, problem) = await Problems.ReadBodyAsync<AddVolumesBody>(request, context.Json).ConfigureAwait(false);
                return body is null ? problem! : Add(context, body);
            })
            .WithSummary("Adds volumes (serials or ranges) to a pool; those already in the catalog stay as they are")
            .Accepts<AddVolumesBody>("application/json")
            .Produces<AddVolumesResult>().ProducesProblem(StatusCodes.Status400BadRequest);
        volumes.MapPost("/{volser}/scratch", (string volser) =>
                Change(context, volser, "scratch", serial => catalog.SetScratch(serial, scratch: true)))
            .WithSummary("Returns a volume to scratch (refused while it is mounted)")
            .Produces<VolumeInfo>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        volumes.MapPost("/{volser}/unscratch", (string volser) =>
                Change(context, volser, "unscratch", serial => catalog.SetScratch(serial, scratch: false)))
            .WithSummary("Makes a volume private (refused while it is mounted)")
            .Produces<VolumeInfo>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        volumes.MapPost("/{volser}/move", async (string volser, HttpRequest request) =>
            {
                var (body, problem) = await Problems.ReadBodyAsync<MoveBody>(request, context.Json).ConfigureAwait(false);
                if (body is null)
                {
                    return problem!;
                }

                return !PoolNames.IsValid(body.Pool ?? "")
                    ? Problems.BadRequest($"invalid pool name '{Problems.Shorten(body.Pool ?? "")}': 1-{PoolNames.MaxLength} of A-Z a-z 0-9 _ -")
                    : Change(context, volser, $"move to pool {body.Pool}", serial => catalog.MoveToPool(serial, body.Pool!));
            })
            .WithSummary("Moves a volume to another pool (refused while it is mounted)")
            .Accepts<MoveBody>("application/json")
            .Produces<VolumeInfo>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        volumes.MapPost("/{volser}/import", async (string volser, HttpRequest request, IHostApplicationLifetime lifetime) =>
            {
                var (body, problem) = await Problems.ReadBodyAsync<ImportBody>(request, context.Json).ConfigureAwait(false);
                // The copy stops when the server stops (SIGTERM) or the client goes away: nothing is left half imported.
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(request.HttpContext.RequestAborted, lifetime.ApplicationStopping);
                return body is null ? problem!
                    : !Problems.TrySerial(volser, out var serial, out problem) ? problem!
                    : await Task.Run(() => context.Transfers.Import(serial, body, stop.Token), CancellationToken.None).ConfigureAwait(false);
            })
            .WithSummary("Imports an image from the transfer folder as the volume (checked block by block; refused while mounted)")
            .Accepts<ImportBody>("application/json")
            .Produces<TransferResult>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        volumes.MapPost("/{volser}/export", async (string volser, HttpRequest request, IHostApplicationLifetime lifetime) =>
            {
                var (body, problem) = await Problems.ReadBodyAsync<ExportBody>(request, context.Json).ConfigureAwait(false);
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(request.HttpContext.RequestAborted, lifetime.ApplicationStopping);
                return body is null ? problem!
                    : !Problems.TrySerial(volser, out var serial, out problem) ? problem!
                    : await Task.Run(() => context.Transfers.Export(serial, body, stop.Token), CancellationToken.None).ConfigureAwait(false);
            })
            .WithSummary("Exports the volume's image to a new file in the transfer folder (refused while mounted)")
            .Accepts<ExportBody>("application/json")
            .Produces<TransferResult>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        api.MapGet("/pools", () => Results.Ok(Pools(context)))
            .WithTags("pools")
            .WithSummary("Every pool: configuration, volumes by status, capacity and bytes used, the drives that take scratch volumes from it")
            .Produces<IReadOnlyList<PoolInfo>>();
    }

    private static IResult Change(ManagementContext context, string volser, string what, Func<VolumeSerial, VolumeChange> change)
    {
        if (!Problems.TrySerial(volser, out var serial, out var problem))
        {
            return problem!;
        }

        var outcome = change(serial);
        var volume = context.Library.Catalog.FindVolume(serial);
        return outcome switch
        {
            VolumeChange.Changed when volume is not null => Logged(context, $"volume {serial}: {what}", Results.Ok(Snapshots.Volume(volume))),
            VolumeChange.Mounted => Problems.Conflict("volume mounted",
                $"volume {serial} is mounted on drive {volume?.MountedOn:X4}: unload it first ({what} refused)"),
            _ => Problems.NotFound($"no volume {serial} in the library"),
        };
    }

    private static IResult Add(ManagementContext context, AddVolumesBody body)
    {
        var configuration = context.Library.Configuration;
        if (body.Volumes is not { Count: > 0 })
        {
            return Problems.BadRequest("volumes: at least one serial or range (T00100-T00199) is needed");
        }

        if (!PoolNames.IsValid(body.Pool ?? ""))
        {
            return Problems.BadRequest($"invalid pool name '{Problems.Shorten(body.Pool ?? "")}': 1-{PoolNames.MaxLength} of A-Z a-z 0-9 _ -");
        }

        var ranges = new List<VolumeRange>();
        foreach (var text in body.Volumes)
        {
            if (!VolumeRange.TryParse(text ?? "", out var range, out var error))
            {
                return Problems.BadRequest($"'{Problems.Shorten(text ?? "")}': {error}");
            }

            if (range!.ContainsSerialStartingWith(configuration.Admin.Prefix))
            {
                return Problems.BadRequest($"{range} includes administrative serials (prefix \"{configuration.Admin.Prefix}\"), which are not catalog volumes");
            }

            ranges.Add(range);
        }

        var pool = configuration.FindPool(body.Pool!);
        var media = pool?.Media ?? MediaType.Eccst;
        if (body.Media is { } mediaText && !MediaTypes.TryParse(mediaText, out media))
        {
            return Problems.BadRequest($"unknown media '{Problems.Shorten(mediaText)}', expected REEL, 3480 (CST) or 3490E (ECCST)");
        }

        var labels = pool?.Labels ?? LabelType.Standard;
        if (body.Labels is { } labelText && !LabelTypes.TryParse(labelText, out labels))
        {
            return Problems.BadRequest($"unknown label type '{Problems.Shorten(labelText)}', expected SL, AL or NL");
        }

        if (body.Capacity is <= 0)
        {
            return Problems.BadRequest($"capacity {body.Capacity} must be more than 0 bytes");
        }

        ImageFileKind format;
        switch (body.Format)
        {
            case null:
                format = configuration.Storage.Format.Kind;
                break;
            case "aws":
                format = ImageFileKind.Aws;
                break;
            case "het":
                format = ImageFileKind.Het;
                break;
            default:
                return Problems.BadRequest($"unknown image format '{Problems.Shorten(body.Format)}', expected aws or het");
        }

        var capacity = body.Capacity ?? (pool is not null && body.Media is null ? pool.Capacity : MediaTypes.DefaultCapacity(media));
        var (added, existing) = context.Library.Catalog.AddVolumes(ranges,
            new NewVolumes(body.Pool!, media, capacity, labels, body.Scratch ?? pool?.Scratch ?? true, format));
        return Logged(context, $"{added} volumes added to pool {body.Pool} ({string.Join(", ", ranges)}), {existing} already there",
            Results.Ok(new AddVolumesResult(body.Pool!, added, existing)));
    }

    private static IResult Logged(ManagementContext context, string what, IResult result)
    {
        context.Library.Events.Publish(new LibraryChanged(what));
        return result;
    }

    private static IReadOnlyList<PoolInfo> Pools(ManagementContext context)
    {
        var configuration = context.Library.Configuration;
        var usage = context.Library.Catalog.PoolUsage("").ToDictionary(p => p.Pool);
        var names = configuration.Pools.Select(p => p.Name).Concat(usage.Keys.Order(StringComparer.Ordinal)).Distinct().ToList();
        return [.. names.Select(name =>
        {
            var configured = configuration.FindPool(name);
            var used = usage.GetValueOrDefault(name);
            return new PoolInfo(
                name,
                configured is not null,
                MediaTypes.Name(configured?.Media ?? used?.Media ?? MediaType.Eccst),
                LabelTypes.Name(configured?.Labels ?? used?.Labels ?? LabelType.Standard),
                configured?.Capacity ?? (used is { Volumes: > 0 } ? used.Capacity / used.Volumes : 0),
                used?.Volumes ?? 0,
                used?.Scratch ?? 0,
                used?.Private ?? 0,
                used?.Mounted ?? 0,
                used?.Capacity ?? 0,
                used?.BytesUsed ?? 0,
                [.. configuration.Drives.Where(d => d.Pool == name).Select(d => Snapshots.Hex(d.DeviceNumber))]);
        })];
    }
}
