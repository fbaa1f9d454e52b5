using System.Globalization;
using System.Text.Json;
using ChannelTape.Admin.Lms;
using ChannelTape.Admin.Reports;
using ChannelTape.Admin.Volumes;
using ChannelTape.Client;
using ChannelTape.Protocol;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape lms REPORT [SELECTOR] --server HOST:PORT [--drives FIRST-LAST] [--prefix P] [--json]</c> and
/// <c>ctape lms command 'REQUEST' ... --server HOST:PORT</c>: the host's library management system
/// over the wire (issue 5, item 4). Takes the first free drive (attachable and empty), asks for the
/// administrative volume by Load Display, reads it through CCWs, verifies its labels and prints the
/// records as a table or JSON.
/// </summary>
public static class LmsCommand
{
    public const string Help = "REPORT|command ... --server HOST:PORT [--json]: library status through admin volumes";

    private static readonly (string Name, AdminVolumeKind Kind, Func<LibraryManagementClient, string, Report> Fetch)[] s_reports =
    [
        ("drives", AdminVolumeKind.Drives, (c, s) => Report.Of(c.Fetch<DriveStatusRow>(AdminVolumeKind.Drives, s))),
        ("volumes", AdminVolumeKind.Volumes, (c, s) => Report.Of(c.Fetch<VolumeStatusRow>(AdminVolumeKind.Volumes, s))),
        ("scratch", AdminVolumeKind.Scratch, (c, s) => Report.Of(c.Fetch<ScratchVolumeRow>(AdminVolumeKind.Scratch, s))),
        ("pools", AdminVolumeKind.Pools, (c, s) => Report.Of(c.Fetch<PoolStatusRow>(AdminVolumeKind.Pools, s))),
        ("mounts", AdminVolumeKind.Mounts, (c, s) => Report.Of(c.Fetch<MountStatusRow>(AdminVolumeKind.Mounts, s))),
        ("stats", AdminVolumeKind.Statistics, (c, s) => Report.Of(c.Fetch<StatisticRow>(AdminVolumeKind.Statistics, s))),
        ("config", AdminVolumeKind.Configuration, (c, s) => Report.Of(c.Fetch<ConfigurationLineRow>(AdminVolumeKind.Configuration, s))),
        ("events", AdminVolumeKind.Events, (c, s) => Report.Of(c.Fetch<EventRow>(AdminVolumeKind.Events, s))),
    ];

    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var arguments = new Arguments(args, ["--server", "--drives", "--prefix", "--timeout"], ["--json"]);
        if (arguments.Positional.Count == 0)
        {
            throw new UsageException($"which report? {string.Join("|", s_reports.Select(r => r.Name))}|command");
        }

        var (host, port) = ParseServer(arguments.Get("--server") ?? throw new UsageException("--server HOST:PORT is required"));
        var (first, last) = ParseDrives(arguments.Get("--drives") ?? "0580-0587");
        string prefix = arguments.Get("--prefix") ?? AdminVolumeName.DefaultPrefix;
        var timeout = TimeSpan.FromSeconds(double.Parse(arguments.Get("--timeout") ?? "30", CultureInfo.InvariantCulture));
        bool json = arguments.Has("--json");
        string verb = arguments.Positional[0];

        using var drive = AttachFreeDrive(host, port, first, last, error);
        if (drive is null)
        {
            return 1;
        }

        var client = new LibraryManagementClient(drive, prefix, timeout);
        try
        {
            Report report;
            if (verb == "command")
            {
                var requests = arguments.Positional.Skip(1).ToList();
                if (requests.Count == 0)
                {
                    throw new UsageException("command needs at least one request, e.g. 'SCRATCH T00042'");
                }

                report = Report.Of(client.RunCommands(requests));
            }
            else
            {
                var entry = s_reports.FirstOrDefault(r => r.Name == verb);
                if (entry.Name is null)
                {
                    throw new UsageException($"unknown report '{verb}'; one of {string.Join(", ", s_reports.Select(r => r.Name))}, command");
                }

                string selector = arguments.Positional.Count > 1 ? arguments.Positional[1] : "";
                if (arguments.Positional.Count > 2)
                {
                    throw new UsageException($"unexpected '{arguments.Positional[2]}'");
                }

                try
                {
                    AdminVolumeName.Format(prefix, entry.Kind, selector.ToUpperInvariant());
                }
                catch (ArgumentException e)
                {
                    throw new UsageException($"selector '{selector}': {e.Message}");
                }

                report = entry.Fetch(client, selector.ToUpperInvariant());
            }

            if (json)
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    volume = report.VolumeSerial,
                    report = report.Header.ReportName,
                    created = report.Header.Created,
                    selector = report.Header.Selector,
                    rows = report.Rows,
                }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            }
            else
            {
                WriteTable(output, report);
            }

            return verb == "command" && report.Rows.OfType<CommandResponseRow>().Any(r => r.Result != CommandResponseRow.Done) ? 1 : 0;
        }
        catch (Exception e) when (e is DriveOperationException or TimeoutException or InvalidDataException or RemoteDeviceException)
        {
            error.WriteLine($"ctape lms: drive {drive.DeviceNumber:X4}: {e.Message}");
            return 1;
        }
    }

    /// <summary>The first drive of the range that this host can attach and that has no volume.</summary>
    internal static RemoteDevice? AttachFreeDrive(string host, int port, ushort first, ushort last, TextWriter error)
    {
        var reasons = new List<string>();
        for (int device = first; device <= last; device++)
        {
            RemoteDevice? remote = null;
            try
            {
                // Reports, requests and volume copies are bulk Reads and Writes: write-behind and read-ahead
                // (docs/protocol.md §5) save a round trip for most of them.
                remote = RemoteDevice.Connect(host, port, (ushort)device, new RemoteDeviceOptions
                {
                    HostName = "ctape lms",
                    Reconnect = false,
                    Features = ProtocolFeatureRules.All,
                });
                if (!remote.Identity.VolumeLoaded)
                {
                    return remote;
                }

                reasons.Add($"{device:X4} has a volume");
            }
            catch (RemoteDeviceException e)
            {
                reasons.Add($"{device:X4}: {e.Message}");
                if (e.Result is null)
                {
                    break; // the server is not reachable: no other drive will answer either
                }
            }

            remote?.Dispose();
        }

        error.WriteLine($"ctape lms: no free drive at {host}:{port} ({string.Join("; ", reasons)})");
        return null;
    }

    private static void WriteTable(TextWriter output, Report report)
    {
        output.WriteLine($"{report.Header.ReportName} from {report.VolumeSerial} at {report.Header.Created.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC{(report.Header.Selector.Length > 0 ? ", selector " + report.Header.Selector : "")}");
        var layout = report.Layout;
        var values = report.Rows.Select(report.Values).ToList();
        var widths = layout.Columns.Select((c, i) => Math.Max(c.Name.Length, values.Count == 0 ? 0 : values.Max(v => (v[i] ?? "").Length))).ToArray();
        output.WriteLine(string.Join("  ", layout.Columns.Select((c, i) => Pad(c.Name, widths[i], c.Alignment))).TrimEnd());
        foreach (var row in values)
        {
            output.WriteLine(string.Join("  ", layout.Columns.Select((c, i) => Pad(row[i] ?? "", widths[i], c.Alignment))).TrimEnd());
        }

        output.WriteLine($"{values.Count} row(s)");
    }

    private static string Pad(string text, int width, ColumnAlignment alignment) =>
        alignment == ColumnAlignment.Right ? text.PadLeft(width) : text.PadRight(width);

    /// <summary><c>--server HOST:PORT</c> as every command takes it (<see cref="ReplayScriptCommand.ParseServer"/>), or a usage error.</summary>
    internal static (string Host, int Port) ParseServer(string text) =>
        ReplayScriptCommand.ParseServer(text) ?? throw new UsageException($"--server wants HOST:PORT, got '{text}'");

    internal static (ushort First, ushort Last) ParseDrives(string text)
    {
        string[] parts = text.Split('-');
        if (parts.Length is < 1 or > 2
            || !ushort.TryParse(parts[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort first)
            || !ushort.TryParse(parts[^1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort last)
            || last < first)
        {
            throw new UsageException($"--drives wants FIRST-LAST in hex (e.g. 0580-0587), got '{text}'");
        }

        return (first, last);
    }

    /// <summary>A fetched report with its rows as objects (for printing any row type the same way).</summary>
    private sealed record Report(string VolumeSerial, StatusHeader Header, ReportLayout Layout, IReadOnlyList<object> Rows, Func<object, IReadOnlyList<string?>> Values)
    {
        public static Report Of<TRow>(AdminReport<TRow> report) where TRow : IStatusRow<TRow> =>
            new(report.VolumeSerial, report.Header, TRow.Layout, report.Rows.Cast<object>().ToList(), row => ((TRow)row).ToValues());
    }
}
