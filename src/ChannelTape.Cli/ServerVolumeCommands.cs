using System.Globalization;
using ChannelTape.Admin.Lms;
using ChannelTape.Admin.Reports;
using ChannelTape.Labels;
using ChannelTape.Library;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using ChannelTape.Media;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape volume ... --server HOST:PORT</c>: the catalog of a running server, reached the way a mainframe
/// host reaches it (<see cref="ServerLibrary"/>): the VOLUMES report for list and show, a command volume
/// for add, scratch, unscratch and move (all requests applied or none), and a free drive for import and
/// export, which copy the volume block by block (the file is local). An unknown volume, or one mounted
/// elsewhere, is refused at once; nothing is left waiting on the drive.
/// </summary>
internal static class ServerVolumeCommands
{
    public static int Add(CliContext context, ServerTarget target, VolumeRange[] ranges, string pool) =>
        Run(context, target, ranges.Select(r => $"ADD {r} {pool}").ToList());

    /// <summary>The volumes of the VOLUMES report, filtered here by pool and status as the catalog filters them offline.</summary>
    public static IEnumerable<VolumeView> List(ServerTarget target, string? pool, VolumeStatus? status)
    {
        using var library = ServerLibrary.Open(target, "ctape volume");
        string? statusName = status?.ToString().ToLowerInvariant();
        var drives = library.MountedOn();
        return library.Volumes()
            .Select(v => VolumeView.Of(v, drives.GetValueOrDefault(v.VolumeSerial)))
            .Where(v => (pool is null || v.Pool == pool) && (statusName is null || v.Status == statusName))
            .ToList();
    }

    public static VolumeView? Find(ServerTarget target, VolumeSerial serial)
    {
        using var library = ServerLibrary.Open(target, "ctape volume");
        return Find(library, serial);
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
