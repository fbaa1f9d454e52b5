using ChannelTape.Client.Management;
using ChannelTape.Media;
using ChannelTape.Runtime;
using ChannelTape.Runtime.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace ChannelTape.Management.Api;

/// <summary><c>/api/drives</c> and <c>/api/mounts</c>: what each drive holds, and the operator's mount and unload.</summary>
internal static class DriveEndpoints
{
    public static void Map(IEndpointRouteBuilder api, ManagementContext context)
    {
        var drives = api.MapGroup("/drives").WithTags("drives");
        drives.MapGet("", () => Results.Ok(context.Snapshots.Drives()))
            .WithSummary("Every drive: state, model, volume, host and connection, position, counters, pending request, throughput")
            .Produces<IReadOnlyList<DriveStatus>>();
        drives.MapGet("/{device}", (string device) =>
                Find(context, device, out var drive, out var problem) ? Results.Ok(context.Snapshots.Drive(drive)) : problem)
            .WithSummary("One drive")
            .Produces<DriveStatus>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        drives.MapPost("/{device}/mount", async (string device, HttpRequest request) =>
            {
                if (!Find(context, device, out var drive, out var problem))
                {
                    return problem;
                }

                var (body, bodyProblem) = await Problems.ReadBodyAsync<MountRequestBody>(request, context.Json).ConfigureAwait(false);
                if (body is null)
                {
                    return bodyProblem!;
                }

                if (!Problems.TrySerial(body.Volser, out var serial, out problem))
                {
                    return problem!;
                }

                var mount = new MountRequest.Volume(serial, new TapeImageOptions { ReadOnly = body.ReadOnly });
                return await RunAsync(context, drive, mount).ConfigureAwait(false);
            })
            .WithSummary("Mounts a library volume on the drive (as the protocol's Mount and Hercules' devinit); refused with the reason when it cannot be")
            .Accepts<MountRequestBody>("application/json")
            .Produces<DriveStatus>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        drives.MapPost("/{device}/unload", async (string device) =>
                Find(context, device, out var drive, out var problem)
                    ? await RunAsync(context, drive, new MountRequest.Unload()).ConfigureAwait(false)
                    : problem)
            .WithSummary("Unloads the drive; a library volume goes back to the catalog")
            .Produces<DriveStatus>().ProducesProblem(StatusCodes.Status404NotFound);

        var mounts = api.MapGroup("/mounts").WithTags("mounts");
        mounts.MapGet("", () => Results.Ok(Mounts(context)))
            .WithSummary("Library volumes on drives now, and the requests drives wait for")
            .Produces<MountsInfo>();
        mounts.MapGet("/history", (string? device, string? volser, int? limit) =>
            {
                ushort? drive = null;
                if (device is not null)
                {
                    if (!Problems.TryDevice(device, out var number, out var problem))
                    {
                        return problem!;
                    }

                    drive = number;
                }

                Labels.VolumeSerial? serial = null;
                if (volser is not null)
                {
                    if (!Problems.TrySerial(volser, out var parsed, out var problem))
                    {
                        return problem!;
                    }

                    serial = parsed;
                }

                if (limit is < 1 or > 10_000)
                {
                    return Problems.BadRequest($"limit {limit} is out of range, expected 1 to 10000");
                }

                var rows = serial is { } s
                    ? context.Library.Catalog.MountHistory(s, limit ?? 100).Where(m => drive is null || m.DeviceNumber == drive)
                    : context.Library.Catalog.EnumerateMountHistory(drive, limit ?? 100);
                return Results.Ok(rows.Select(m => new MountHistoryEntry(m.Id, m.Serial.Value, Snapshots.Hex(m.DeviceNumber), m.RequestedAt,
                    m.MountedAt, m.UnmountedAt, m.ScratchRequest, m.Server.Length == 0 ? null : m.Server)).ToList());
            })
            .WithSummary("The catalog's mount history, newest first, of one drive and/or one volume")
            .Produces<IReadOnlyList<MountHistoryEntry>>().ProducesProblem(StatusCodes.Status400BadRequest);
    }

    private static MountsInfo Mounts(ManagementContext context)
    {
        var mounted = new List<MountInfo>();
        var pending = new List<PendingMountInfo>();
        foreach (var drive in context.Library.View.Drives)
        {
            var state = drive.Volume;
            var device = Snapshots.Hex(drive.DeviceNumber);
            if (state.Lease is { } lease)
            {
                mounted.Add(new MountInfo(device, lease.Serial, lease.Media.IsReadOnly, state.MountedAt, drive.Holder is null ? null : drive.AttachedHost));
            }

            if (state.PendingRequest is { } request)
            {
                pending.Add(new PendingMountInfo(device, request, state.PendingScratch, state.PendingRefusal?.Message));
            }
        }

        return new MountsInfo(mounted, pending);
    }

    /// <summary>Runs the mount or unload under the drive's executor, as the protocol's Mount does.</summary>
    private static async Task<IResult> RunAsync(ManagementContext context, DriveRuntime drive, MountRequest request)
    {
        var outcome = await drive.Executor.RunExclusiveAsync(() => drive.Mount(request, MountSource.Operator)).ConfigureAwait(false);
        if (outcome.Done)
        {
            return Results.Ok(context.Snapshots.Drive(drive));
        }

        return Problems.Conflict("mount refused", outcome.Message,
            new Dictionary<string, object?> { ["refusal"] = outcome.Refusal?.Reason.ToString(), ["device"] = Snapshots.Hex(drive.DeviceNumber) });
    }

    private static bool Find(ManagementContext context, string text, out DriveRuntime drive, out IResult problem)
    {
        drive = null!;
        if (!Problems.TryDevice(text, out var device, out var bad))
        {
            problem = bad!;
            return false;
        }

        if (context.Library.View.Drive(device) is not { } found)
        {
            problem = Problems.NotFound($"no drive {Snapshots.Hex(device)} is configured (drives: "
                + $"{Library.Configuration.ConfigurationWriter.DeviceRanges(context.Library.View.Drives.Select(d => d.DeviceNumber))})");
            return false;
        }

        drive = found;
        problem = Results.Empty;
        return true;
    }
}
