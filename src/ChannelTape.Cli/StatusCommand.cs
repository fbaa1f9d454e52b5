using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ChannelTape.Library.Catalog;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape status [--data DIR] [--json]</c>: drives with their state and volume, open mounts with
/// their age, and volume counts per pool, as the catalog records them. It reads the catalog
/// directly, so it works while the server is stopped (then drives show what the last server left;
/// its next start ends those mounts).
/// </summary>
public static class StatusCommand
{
    public const string Help = "drives, mounts and pools from the catalog (--data DIR) or a running server (--server HOST:PORT), --json";

    public static int Run(string[] args) => Run(args, Console.Out, Console.Error, TimeProvider.System);

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error, TimeProvider time)
    {
        if (ServerLibraryCommands.TryRunStatus(args, output, error, out int serverExit))
        {
            return serverExit;
        }

        var arguments = new Arguments(args, valueOptions: ["--data"], flagOptions: ["--json"]);
        if (arguments.Positional.Count != 0)
        {
            throw new UsageException("takes no operands\nusage: ctape status [--data DIR] [--json]");
        }

        var data = arguments.Get("--data") ?? VolumeCommand.DefaultDataDirectory;
        try
        {
            if (VolumeCommand.OpenExisting(data, error, "ctape status") is not { } catalog)
            {
                return 1;
            }

            var drives = catalog.ListDrives();
            var mounts = catalog.OpenMounts().ToDictionary(m => m.DeviceNumber);
            var pools = catalog.CountByPool();
            var now = time.GetUtcNow();
            if (arguments.Has("--json"))
            {
                output.WriteLine(Json(drives, mounts, pools, now));
                return 0;
            }

            output.WriteLine($"{"DRIVE",-5}  {"MODEL",-5}  {"STATE",-8}  {"VOLUME",-6}  {"REQUEST",-8}  {"FOR",9}  SINCE");
            foreach (var drive in drives)
            {
                mounts.TryGetValue(drive.DeviceNumber, out var mount);
                var since = mount is null ? (DateTimeOffset?)null : mount.MountedAt ?? mount.RequestedAt;
                output.WriteLine(
                    $"{drive.DeviceNumber:X4}   {(int)drive.Model:X4}   {StateName(drive.State),-8}  {drive.Volume?.Value ?? "-",-6}  "
                    + $"{(mount is null ? "-" : mount.ScratchRequest ? "scratch" : "specific"),-8}  {(since is { } s ? Age(now - s) : "-"),9}  {(since is { } t ? Time(t) : "-")}");
            }

            output.WriteLine();
            output.WriteLine($"{"POOL",-16}  {"SCRATCH",8}  {"PRIVATE",8}  {"MOUNTED",8}  {"TOTAL",8}");
            foreach (var pool in pools)
            {
                output.WriteLine($"{pool.Pool,-16}  {pool.Scratch,8}  {pool.Private,8}  {pool.Mounted,8}  {pool.Total,8}");
            }

            var open = mounts.Count;
            output.WriteLine($"{drives.Count} drive{(drives.Count == 1 ? "" : "s")}, {open} open mount{(open == 1 ? "" : "s")}, {pools.Sum(p => p.Total)} volumes in {pools.Count} pool{(pools.Count == 1 ? "" : "s")}");
            return 0;
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or UnauthorizedAccessException or InvalidDataException or InvalidOperationException)
        {
            error.WriteLine($"ctape status: {e.Message}");
            return 1;
        }
    }

    private static string StateName(DriveState state) => state.ToString().ToLowerInvariant();

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

    private static string Json(IReadOnlyList<DriveRecord> drives, Dictionary<ushort, MountRecord> mounts, IReadOnlyList<PoolCounts> pools, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartArray("drives");
            foreach (var drive in drives)
            {
                json.WriteStartObject();
                json.WriteString("device", drive.DeviceNumber.ToString("X4", CultureInfo.InvariantCulture));
                json.WriteString("model", ((int)drive.Model).ToString("X4", CultureInfo.InvariantCulture));
                json.WriteString("state", StateName(drive.State));
                if (drive.Volume is { } volume)
                {
                    json.WriteString("volser", volume.Value);
                }
                else
                {
                    json.WriteNull("volser");
                }

                if (mounts.TryGetValue(drive.DeviceNumber, out var mount))
                {
                    json.WriteStartObject("mount");
                    json.WriteNumber("id", mount.Id);
                    json.WriteString("volser", mount.Serial.Value);
                    json.WriteBoolean("scratchRequest", mount.ScratchRequest);
                    json.WriteString("requestedAt", mount.RequestedAt);
                    if (mount.MountedAt is { } mountedAt)
                    {
                        json.WriteString("mountedAt", mountedAt);
                    }
                    else
                    {
                        json.WriteNull("mountedAt");
                    }

                    json.WriteNumber("ageSeconds", Math.Max(0, (long)(now - (mount.MountedAt ?? mount.RequestedAt)).TotalSeconds));
                    json.WriteEndObject();
                }
                else
                {
                    json.WriteNull("mount");
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("pools");
            foreach (var pool in pools)
            {
                json.WriteStartObject();
                json.WriteString("pool", pool.Pool);
                json.WriteNumber("scratch", pool.Scratch);
                json.WriteNumber("private", pool.Private);
                json.WriteNumber("mounted", pool.Mounted);
                json.WriteNumber("total", pool.Total);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
