using System.Globalization;
using ChannelTape.Admin.Lms;
using ChannelTape.Admin.Reports;
using ChannelTape.Client.Management;
using ChannelTape.Labels;
using ChannelTape.Library;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using ChannelTape.Media;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape volume ... --server HOST:PORT</c>: the catalog of a running server. Through its management API
/// (<see cref="ServerApi"/>; it answers while Hercules holds every drive) for list, show, add, scratch,
/// unscratch and move, each volume changed on its own as offline. A server without the API is reached the
/// way a mainframe host reaches it (<see cref="ServerLibrary"/>): the VOLUMES report for list and show, a
/// command volume for add, scratch, unscratch and move (all requests applied or none). Import and export
/// copy the volume block by block through a free drive (the file is local to the command). An unknown
/// volume, or one mounted elsewhere, is refused at once; nothing is left waiting on the drive.
/// </summary>
internal static class ServerVolumeCommands
{
    private const int Page = 1000;

    public static int Add(CliContext context, ServerTarget target, VolumeRange[] ranges, string pool)
    {
        if (ServerApi.TryOpen(target) is not { } api)
        {
            return Run(context, target, ranges.Select(r => $"ADD {r} {pool}").ToList());
        }

        using (api)
        {
            var added = ServerApi.Call(api, a => a.AddVolumesAsync(new AddVolumesBody(ranges.Select(r => r.ToString()).ToList(), pool)));
            context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"ADD {string.Join(",", ranges.Select(r => r.ToString()))} {pool}: done: {added.Added} added, {added.Existing} already in the library"));
            return ExitCodes.Success;
        }
    }

    /// <summary>The volumes of a pool and/or status, in serial order.</summary>
    public static IEnumerable<VolumeView> List(ServerTarget target, string? pool, VolumeStatus? status)
    {
        string? statusName = status?.ToString().ToLowerInvariant();
        if (ServerApi.TryOpen(target) is { } api)
        {
            using (api)
            {
                var views = new List<VolumeView>();
                for (int offset = 0; ; offset += Page)
                {
                    var page = ServerApi.Call(api, a => a.VolumesAsync(pool, statusName, offset, Page));
                    views.AddRange(page.Volumes.Select(VolumeView.Of));
                    if (page.Volumes.Count < Page || offset + Page >= page.Total)
                    {
                        return views;
                    }
                }
            }
        }

        return ListInBand(target, pool, statusName);
    }

    /// <summary>The volumes of the VOLUMES report, filtered here by pool and status as the catalog filters them offline.</summary>
    private static List<VolumeView> ListInBand(ServerTarget target, string? pool, string? statusName)
    {
        using var library = ServerLibrary.Open(target, "ctape volume");
        var drives = library.MountedOn();
        return library.Volumes()
            .Select(v => VolumeView.Of(v, drives.GetValueOrDefault(v.VolumeSerial)))
            .Where(v => (pool is null || v.Pool == pool) && (statusName is null || v.Status == statusName))
            .ToList();
    }

    public static VolumeView? Find(ServerTarget target, VolumeSerial serial)
    {
        if (ServerApi.TryOpen(target) is { } api)
        {
            using (api)
            {
                // No such volume is an answer here, not a failure: the other refusals fail as every API call's do.
                var volume = ServerApi.Call(api, async a =>
                {
                    try
                    {
                        return await a.VolumeAsync(serial.Value).ConfigureAwait(false);
                    }
                    catch (ManagementException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
                    {
                        return null;
                    }
                });
                return volume is null ? null : VolumeView.Of(volume);
            }
        }

        using var library = ServerLibrary.Open(target, "ctape volume");
        return Find(library, serial);
    }

    /// <summary>
    /// A change to each volume through the management API (<paramref name="change"/>), one by one as offline
    /// (exit 1 when one is refused, the others still changed); without the API, <paramref name="requests"/>
    /// through a command volume, all or none.
    /// </summary>
    public static int Change(CliContext context, ServerTarget target, VolumeSerial[] serials, string verb,
        Func<ManagementClient, string, Task<VolumeInfo>> change, Func<string, string> request)
    {
        if (ServerApi.TryOpen(target) is not { } api)
        {
            return Run(context, target, serials.Select(s => request(s.Value)).ToList());
        }

        using (api)
        {
            int failed = 0;
            foreach (var serial in serials)
            {
                try
                {
                    var volume = ServerApi.Call(api, a => change(a, serial.Value));
                    context.Output.WriteLine($"{request(serial.Value)}: done: {volume.Volser} is {volume.Status} in pool {volume.Pool}");
                }
                catch (CommandFailedException e)
                {
                    context.Error.WriteLine($"{request(serial.Value)}: not done: {e.Message}");
                    failed++;
                }
            }

            return failed == 0 ? ExitCodes.Success : ExitCodes.Failure;
        }
    }

    /// <summary>Requests through a command volume; prints the response; exit 1 when one was not done (then none was applied).</summary>
    public static int Run(CliContext context, ServerTarget target, IReadOnlyList<string> requests)
    {
        using var library = ServerLibrary.Open(target, "ctape volume");
        var response = library.Commands(requests);
        foreach (var row in response.Rows)
        {
            var writer = row.Result == CommandResponseRow.Done ? context.Output : context.Error;
            writer.WriteLine($"{row.Command}: {row.Result.ToLowerInvariant()}: {row.Message}");
        }

        return response.Rows.All(r => r.Result == CommandResponseRow.Done) ? ExitCodes.Success : ExitCodes.Failure;
    }

    /// <summary>
    /// Writes the local image onto the volume through a free drive. The volume must be in the library and
    /// not mounted; one that holds data blocks is overwritten only with <c>--replace</c>. Stopped part way
    /// (SIGINT, SIGTERM, a failure), the volume gets the labels of a new volume back and, if it was scratch
    /// before, is returned to scratch: no half image is left marked private.
    /// </summary>
    public static int Import(CliContext context, ServerTarget target, ImportRequest request, CancellationToken cancel)
    {
        if (!File.Exists(request.File))
        {
            throw new CommandFailedException($"{request.File}: no such file");
        }

        using var library = ServerLibrary.Open(target, "ctape volume import");
        var volume = Find(library, request.Serial) ?? throw new CommandFailedException($"{request.Serial}: no such volume (add it with 'ctape volume add --server' first)");
        if (volume.Status == "mounted")
        {
            throw new CommandFailedException($"{request.Serial}: mounted, not imported");
        }

        if (volume.Blocks > 0 && !request.Replace)
        {
            throw new CommandFailedException($"{request.Serial} holds {volume.Blocks} data blocks; give --replace to overwrite them");
        }

        try
        {
            var result = ChannelVolumeCopy.Import(library.Drive, request.Serial.Value, request.File, target.Timeout, new RemoteDriveOperator(library.Drive), cancel);
            context.Output.WriteLine(
                $"imported {request.Serial} from {request.File} through drive {library.Drive.DeviceNumber:X4}: {result.Blocks} blocks, {result.TapeMarks} tape marks, {result.Bytes} bytes");
            return ExitCodes.Success;
        }
        catch (ImportInterruptedException e) when (volume.Status == "scratch" && e.LabelsRestored)
        {
            // Writing made the volume private; it holds nothing of anyone's now, so it is scratch again.
            var response = library.Commands([$"SCRATCH {request.Serial}"]);
            bool returned = response.Rows.All(r => r.Result == CommandResponseRow.Done);
            throw new CommandFailedException($"{e.Message}{(returned ? "; it is scratch again" : $"; returning it to scratch failed: {string.Join("; ", response.Rows.Select(r => r.Message))}")}");
        }
    }

    public static int Export(CliContext context, ServerTarget target, VolumeSerial serial, string file, ImageFileKind? format, CancellationToken cancel)
    {
        if (File.Exists(file) || Directory.Exists(file))
        {
            throw new CommandFailedException($"{file}: already exists, not overwritten");
        }

        var kind = format ?? (Path.GetExtension(file).Equals(".het", StringComparison.OrdinalIgnoreCase) ? ImageFileKind.Het : ImageFileKind.Aws);
        string partial = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, $".{Path.GetFileName(file)}.{Guid.NewGuid():N}{LibraryRecovery.PartialMarker}tmp");
        using var library = ServerLibrary.Open(target, "ctape volume export");
        try
        {
            var result = ChannelVolumeCopy.Export(library.Drive, serial.Value, partial,
                kind == ImageFileKind.Het ? TapeImageFormat.Het : TapeImageFormat.Aws, target.Timeout, new RemoteDriveOperator(library.Drive), cancel);
            File.Move(partial, file, overwrite: false);
            context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"exported {serial} to {file} through drive {library.Drive.DeviceNumber:X4}: {result.Blocks} blocks, {result.TapeMarks} tape marks, {result.Bytes} bytes"));
            return ExitCodes.Success;
        }
        finally
        {
            File.Delete(partial);
        }
    }

    private static VolumeView? Find(ServerLibrary library, VolumeSerial serial)
    {
        var row = library.Volumes(serial.Value).FirstOrDefault(r => r.VolumeSerial == serial.Value);
        return row is null ? null : VolumeView.Of(row, row.Status == "MOUNTED" ? library.MountedOn().GetValueOrDefault(row.VolumeSerial) : null);
    }
}
