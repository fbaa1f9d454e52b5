using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ChannelTape.Admin.Lms;
using ChannelTape.Admin.Reports;
using ChannelTape.Admin.Volumes;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape lms REPORT [SELECTOR] --server HOST:PORT [--drives FIRST-LAST] [--prefix P] [--timeout S] [--json]</c> and
/// <c>ctape lms command REQUEST... --server HOST:PORT</c>: the host's library management system over the
/// wire. Takes the first free drive (attachable and empty), asks for the administrative volume by Load
/// Display, reads it through CCWs, verifies its labels and prints the records as a table or JSON.
/// </summary>
public static class LmsCommand
{
    /// <summary>Every report: its subcommand, the administrative volume, what it shows, and how its rows are read and written.</summary>
    private static readonly ReportKind[] s_reports =
    [
        ReportKind.Of<DriveStatusRow>("drives", AdminVolumeKind.Drives, "every drive (#DRIVE); SELECTOR: one device number, e.g. 0580", ReportJson.Write),
        ReportKind.Of<VolumeStatusRow>("volumes", AdminVolumeKind.Volumes, "the catalog's volumes (#VOLS); SELECTOR: a volume serial prefix of 1-4 characters", (j, r) => VolumeView.Of(r).WriteTo(j)),
        ReportKind.Of<ScratchVolumeRow>("scratch", AdminVolumeKind.Scratch, "scratch volumes (#SCRAT); SELECTOR: a pool name prefix", ReportJson.Write),
        ReportKind.Of<PoolStatusRow>("pools", AdminVolumeKind.Pools, "counts, capacity and use per pool (#POOLS); SELECTOR: a pool name prefix", ReportJson.Write),
        ReportKind.Of<MountStatusRow>("mounts", AdminVolumeKind.Mounts, "recent mounts with their timings (#MOUNT); SELECTOR: one device number", ReportJson.Write),
        ReportKind.Of<StatisticRow>("stats", AdminVolumeKind.Statistics, "throughput, mounts and errors since the server started (#STATS)", ReportJson.Write),
        ReportKind.Of<ConfigurationLineRow>("config", AdminVolumeKind.Configuration, "the server's effective configuration (#CONF)", ReportJson.Write),
        ReportKind.Of<EventRow>("events", AdminVolumeKind.Events, "recent unit checks, refused mounts and other events (#EVENT); SELECTOR: one device number", ReportJson.Write),
    ];

    public static Command Create(CliContext context)
    {
        var lms = new Command("lms", "Read a running server's status the way a mainframe library management system does: mount an administrative volume (#DRIVE, ...) on a free drive by Load Display and read it with Read CCWs (docs/admin-volumes.md)");
        foreach (var report in s_reports)
        {
            lms.Subcommands.Add(CreateReport(context, report));
        }

        lms.Subcommands.Add(CreateCommandVolume(context));
        return lms;
    }

    private static Command CreateReport(CliContext context, ReportKind report)
    {
        var command = new Command(report.Name, $"Print {report.Description}");
        var server = new ServerOptions("The library", required: true, api: false);
        var json = CliOptions.Json("the report");
        var selector = new Argument<string>("SELECTOR") { Description = "Narrows the report (see above)", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "" };
        if (report.Kind is not (AdminVolumeKind.Statistics or AdminVolumeKind.Configuration))
        {
            command.Arguments.Add(selector);
        }

        server.AddTo(command);
        command.Options.Add(json);
        // Asynchronous so that SIGINT/SIGTERM cancel the wait for the mount and the request is withdrawn, not left pending.
        command.SetAction(async (parse, cancel) =>
        {
            var target = server.Read(parse)!;
            string text = (parse.GetResult(selector) is null ? "" : parse.GetValue(selector) ?? "").ToUpperInvariant();
            try
            {
                AdminVolumeName.Format(target.Prefix, report.Kind, text);
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"selector '{text}': {e.Message}");
            }

            using var library = ServerLibrary.Open(target, "ctape lms");
            var fetched = await Task.Run(() => report.Fetch(library.Client, text, cancel), CancellationToken.None);
            if (parse.GetValue(json))
            {
                WriteJson(context.Output, fetched, report.WriteRow);
            }
            else
            {
                WriteTable(context.Output, fetched);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateCommandVolume(CliContext context)
    {
        var command = new Command("command", "Change the library through a command volume (#CMD): write the requests, read the server's response. All are applied or none; exit 1 when one was not done");
        var requests = new Argument<string[]>("REQUEST")
        {
            Description = "One request per argument, e.g. 'SCRATCH T00042', 'MOVE T00001 PROD', 'ADD T00100-T00199 SCRATCH', 'READONLY T00002', 'QUERY T00003'",
            Arity = ArgumentArity.OneOrMore,
        };
        var server = new ServerOptions("The library", required: true, api: false);
        var json = CliOptions.Json("the response");
        command.Arguments.Add(requests);
        server.AddTo(command);
        command.Options.Add(json);
        command.SetAction(async (parse, cancel) =>
        {
            var lines = parse.GetValue(requests)!.Select(r => r.ToUpperInvariant()).ToList();
            if (lines.FirstOrDefault(r => r.Length > LibraryManagementClient.RequestRecordLength) is { } tooLong)
            {
                throw new UsageException($"request '{tooLong}' is longer than {LibraryManagementClient.RequestRecordLength} characters");
            }

            using var library = ServerLibrary.Open(server.Read(parse)!, "ctape lms");
            var response = await Task.Run(() => library.Commands(lines, cancel), CancellationToken.None);
            var fetched = new FetchedReport(response.VolumeSerial, response.Header, StatusReports.CommandResponse,
                response.Rows.Cast<object>().ToList(), row => ((CommandResponseRow)row).ToValues());
            if (parse.GetValue(json))
            {
                WriteJson(context.Output, fetched, (j, row) => ReportJson.Write(j, (CommandResponseRow)row));
            }
            else
            {
                WriteTable(context.Output, fetched);
            }

            return response.Rows.Any(r => r.Result != CommandResponseRow.Done) ? ExitCodes.Failure : ExitCodes.Success;
        });
        return command;
    }

    /// <summary>A report as a table: its header line, the columns, a row count.</summary>
    internal static void WriteTable(TextWriter output, FetchedReport report)
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

    /// <summary><c>{"volume", "report", "created", "selector", "rows": [...]}</c> (docs/json.md, lms.schema.json).</summary>
    private static void WriteJson(TextWriter output, FetchedReport report, Action<Utf8JsonWriter, object> writeRow) =>
        JsonOutput.Write(output, json =>
        {
            json.WriteStartObject();
            json.WriteString("volume", report.VolumeSerial);
            json.WriteString("report", report.Header.ReportName);
            json.TimeOrNull("created", report.Header.Created);
            json.StringOrNull("selector", report.Header.Selector);
            json.WriteStartArray("rows");
            foreach (var row in report.Rows)
            {
                writeRow(json, row);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        });

    private static string Pad(string text, int width, ColumnAlignment alignment) =>
        alignment == ColumnAlignment.Right ? text.PadLeft(width) : text.PadRight(width);

    /// <summary>One report subcommand.</summary>
    private sealed record ReportKind(string Name, AdminVolumeKind Kind, string Description,
        Func<LibraryManagementClient, string, CancellationToken, FetchedReport> Fetch, Action<Utf8JsonWriter, object> WriteRow)
    {
        public static ReportKind Of<TRow>(string name, AdminVolumeKind kind, string description, Action<Utf8JsonWriter, TRow> write)
            where TRow : IStatusRow<TRow> =>
            new(name, kind, description, (client, selector, cancel) => FetchedReport.Of(client.Fetch<TRow>(kind, selector, cancel)), (json, row) => write(json, (TRow)row));
    }
}

/// <summary>A fetched report with its rows as objects (for printing any row type the same way).</summary>
internal sealed record FetchedReport(string VolumeSerial, StatusHeader Header, ReportLayout Layout, IReadOnlyList<object> Rows, Func<object, IReadOnlyList<string?>> Values)
{
    public static FetchedReport Of<TRow>(AdminReport<TRow> report) where TRow : IStatusRow<TRow> =>
        new(report.VolumeSerial, report.Header, TRow.Layout, report.Rows.Cast<object>().ToList(), row => ((TRow)row).ToValues());
}

/// <summary>The rows of the administrative reports as JSON objects (docs/json.md): device numbers as hex text, numbers as numbers.</summary>
internal static class ReportJson
{
    public static void Write(Utf8JsonWriter json, DriveStatusRow row)
    {
        json.WriteStartObject();
        json.WriteString("device", JsonOutput.Device(row.DeviceNumber));
        json.WriteString("model", row.Model);
        json.WriteString("state", row.State.ToLowerInvariant());
        json.StringOrNull("volser", row.VolumeSerial);
        json.WriteBoolean("readOnly", row.ReadOnly);
        json.WriteNumber("file", row.File);
        json.WriteNumber("block", row.Block);
        json.WriteNumber("blocksRead", row.BlocksRead);
        json.WriteNumber("bytesRead", row.BytesRead);
        json.WriteNumber("blocksWritten", row.BlocksWritten);
        json.WriteNumber("bytesWritten", row.BytesWritten);
        json.StringOrNull("display", row.Display);
        json.StringOrNull("request", row.Request);
        json.TimeOrNull("mountedAt", row.Mounted);
        json.WriteEndObject();
    }

    public static void Write(Utf8JsonWriter json, ScratchVolumeRow row)
    {
        json.WriteStartObject();
        json.WriteString("pool", row.Pool);
        json.WriteString("volser", row.VolumeSerial);
        json.WriteString("media", row.Media);
        json.WriteNumber("capacity", row.Capacity);
        json.WriteEndObject();
    }

    public static void Write(Utf8JsonWriter json, PoolStatusRow row)
    {
        json.WriteStartObject();
        json.WriteString("pool", row.Pool);
        json.WriteString("media", row.Media);
        json.WriteString("labels", row.Label);
        json.WriteNumber("volumes", row.Volumes);
        json.WriteNumber("scratch", row.Scratch);
        json.WriteNumber("private", row.Private);
        json.WriteNumber("mounted", row.Mounted);
        json.WriteNumber("capacity", row.Capacity);
        json.WriteNumber("bytesUsed", row.Used);
        json.WriteNumber("percentUsed", row.PercentUsed);
        json.WriteEndObject();
    }

    public static void Write(Utf8JsonWriter json, MountStatusRow row)
    {
        json.WriteStartObject();
        json.WriteString("device", JsonOutput.Device(row.DeviceNumber));
        json.WriteString("volser", row.VolumeSerial);
        json.WriteString("kind", row.Kind.ToLowerInvariant());
        json.TimeOrNull("requestedAt", row.Requested);
        json.TimeOrNull("mountedAt", row.Mounted);
        json.TimeOrNull("unmountedAt", row.Unmounted);
        if (row.LatencyMilliseconds is { } latency)
        {
            json.WriteNumber("latencyMilliseconds", latency);
        }
        else
        {
            json.WriteNull("latencyMilliseconds");
        }

        json.StringOrNull("server", row.Server);
        json.WriteEndObject();
    }

    /// <summary>A statistic's value as a number; a time (unit UTC) as an ISO 8601 string.</summary>
    public static void Write(Utf8JsonWriter json, StatisticRow row)
    {
        json.WriteStartObject();
        json.WriteString("name", row.Name);
        if (long.TryParse(row.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long whole))
        {
            json.WriteNumber("value", whole);
        }
        else if (double.TryParse(row.Value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double fraction))
        {
            json.WriteNumber("value", fraction);
        }
        else if (StatusValues.ParseTimestamp(row.Value) is { } time)
        {
            json.TimeOrNull("value", time);
        }
        else
        {
            json.WriteString("value", row.Value);
        }

        json.WriteString("unit", row.Unit.ToLowerInvariant());
        json.WriteEndObject();
    }

    public static void Write(Utf8JsonWriter json, ConfigurationLineRow row)
    {
        json.WriteStartObject();
        json.WriteNumber("line", row.Line);
        json.WriteString("text", row.Text);
        json.WriteEndObject();
    }

    public static void Write(Utf8JsonWriter json, EventRow row)
    {
        json.WriteStartObject();
        json.TimeOrNull("time", row.Time);
        json.WriteString("device", JsonOutput.Device(row.DeviceNumber));
        json.StringOrNull("volser", row.VolumeSerial);
        json.WriteString("kind", row.Kind.ToLowerInvariant());
        json.StringOrNull("opcode", row.Opcode);
        json.StringOrNull("sense", row.Sense);
        json.StringOrNull("era", row.Era);
        json.WriteString("text", row.Text);
        json.WriteEndObject();
    }

    public static void Write(Utf8JsonWriter json, CommandResponseRow row)
    {
        json.WriteStartObject();
        json.WriteNumber("sequence", row.Sequence);
        json.WriteString("result", row.Result.ToLowerInvariant());
        json.WriteString("command", row.Command);
        json.WriteString("message", row.Message);
        json.WriteEndObject();
    }
}
