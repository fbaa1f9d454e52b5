using System.CommandLine;
using System.Globalization;
using ChannelTape.Admin.Reports;
using ChannelTape.Admin.Volumes;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape status [--data DIR | --server HOST:PORT] [--json]</c>: drives with their state and volume and the
/// age of their mount, and volume counts per pool. Offline it reads the catalog directly, so it works while
/// the server is stopped (then drives show what the last server left; its next start ends those mounts);
/// with <c>--server</c> it asks the server's management API (<see cref="ServerApi"/>), or, when the server has
/// none, reads its DRIVES and POOLS reports through a free drive. All print the same table and the same JSON
/// (docs/json.md, status.schema.json).
/// </summary>
public static class StatusCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("status", "Show drives (state, volume, since when) and volume counts per pool, from the catalog or from a running server");
        var data = CliOptions.Data();
        var server = new ServerOptions("Drives and pools");
        var json = CliOptions.Json("drives and pools");
        command.Options.Add(data);
        server.AddTo(command);
        command.Options.Add(json);
        command.SetAction(parse =>
        {
            var (drives, pools) = parse.GetValue(server.Server) is null
                ? Offline(parse.GetValue(data)!, parse, server)
                : FromServer(server.Read(parse)!, parse, data);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(context.Output, writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteStartArray("drives");
                    foreach (var drive in drives)
                    {
                        drive.WriteTo(writer);
                    }

                    writer.WriteEndArray();
                    writer.WriteStartArray("pools");
                    foreach (var pool in pools)
                    {
                        pool.WriteTo(writer);
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                });
            }
            else
            {
                WriteTable(context.Output, drives, pools, context.Time.GetUtcNow());
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static (IReadOnlyList<DriveView>, IReadOnlyList<PoolView>) Offline(string data, ParseResult parse, ServerOptions server)
    {
        if (server.AnyServerOnlyGiven(parse))
        {
            throw new UsageException("--drives, --prefix, --timeout, --secret-file and --api go with --server");
        }

        var catalog = VolumeCommand.OpenExisting(data, "ctape status");
        // (a shared catalog lists every server's drives: 0580 of one server is not 0580 of another)
        var mounts = catalog.OpenMounts().ToDictionary(m => (m.Server, m.DeviceNumber));
        var drives = catalog.ListDrives().Select(d => DriveView.Of(d, mounts.GetValueOrDefault((d.Server, d.DeviceNumber)))).ToList();
        return (drives, catalog.CountByPool().Select(PoolView.Of).ToList());
    }

    private static (IReadOnlyList<DriveView>, IReadOnlyList<PoolView>) FromServer(ServerTarget target, ParseResult parse, Option<string> data)
    {
        if (parse.GetResult(data) is { Implicit: false })
        {
            throw new UsageException("--data and --server exclude each other: the server has its own data directory");
        }

        if (ServerApi.TryOpen(target) is { } api)
        {
            using (api)
            {
                // The management API answers while Hercules holds every drive (docs/operations.md).
                var apiDrives = ServerApi.Call(api, a => a.DrivesAsync()).Select(DriveView.Of).ToList();
                var apiPools = ServerApi.Call(api, a => a.PoolsAsync()).Select(PoolView.Of).ToList();
                return (apiDrives, apiPools);
            }
        }

        using var library = ServerLibrary.Open(target, "ctape status");
        // The drive that reads the report is waiting for it while the report is built: it is shown as it is
        // for everyone else, empty.
        var drives = library.Fetch<DriveStatusRow>(AdminVolumeKind.Drives).Rows
            .Select(row => row.DeviceNumber == library.Drive.DeviceNumber ? DriveView.Of(row) with { State = "empty", Volser = null, Since = null } : DriveView.Of(row))
            .ToList();
        var pools = library.Fetch<PoolStatusRow>(AdminVolumeKind.Pools).Rows.Select(PoolView.Of).ToList();
        return (drives, pools);
    }

    private static void WriteTable(TextWriter output, IReadOnlyList<DriveView> drives, IReadOnlyList<PoolView> pools, DateTimeOffset now)
    {
        // A shared library's catalog lists the drives of every server: the column says whose drive holds the volume.
        bool shared = drives.Any(d => d.Server is not null);
        output.WriteLine(($"{"DRIVE",-5}  {"MODEL",-5}  {"STATE",-8}  {"VOLUME",-6}  {"FOR",9}  {"SINCE",-20}" + (shared ? "  SERVER" : "")).TrimEnd());
        foreach (var drive in drives)
        {
            var line = $"{drive.Device:X4}   {drive.Model,-5}  {drive.State,-8}  {drive.Volser ?? "-",-6}  {(drive.Since is { } s ? Age(now - s) : "-"),9}  {(drive.Since is { } t ? Time(t) : "-"),-20}"
                + (shared ? $"  {drive.Server ?? "-"}" : "");
            output.WriteLine(line.TrimEnd());
        }

        output.WriteLine();
        output.WriteLine($"{"POOL",-16}  {"SCRATCH",8}  {"PRIVATE",8}  {"MOUNTED",8}  {"TOTAL",8}");
        foreach (var pool in pools)
        {
            output.WriteLine($"{pool.Pool,-16}  {pool.Scratch,8}  {pool.Private,8}  {pool.Mounted,8}  {pool.Volumes,8}");
        }

        int busy = drives.Count(d => d.Volser is not null);
        output.WriteLine($"{drives.Count} drive{Plural(drives.Count)}, {busy} with a volume, {pools.Sum(p => p.Volumes)} volumes in {pools.Count} pool{Plural(pools.Count)}");
    }

    private static string Plural(int count) => count == 1 ? "" : "s";

    /// <summary>Age as d+HH:MM:SS, or HH:MM:SS under a day.</summary>
    public static string Age(TimeSpan age)
    {
        if (age < TimeSpan.Zero)
        {
            age = TimeSpan.Zero;
        }

        return age.Days > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{age.Days}+{age.Hours:00}:{age.Minutes:00}:{age.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{age.Hours:00}:{age.Minutes:00}:{age.Seconds:00}");
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
