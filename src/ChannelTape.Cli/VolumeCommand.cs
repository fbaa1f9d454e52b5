using System.Buffers;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using System.Text;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape volume add|list|show|scratch|unscratch|move|import|export</c>: volume management against the catalog
/// in the data directory (<c>--data DIR</c>, default <c>./ctape-data</c>) directly.
/// </summary>
public static class VolumeCommand
{
    public const string Help = "add|list|show|scratch|unscratch|move|import|export: manage volumes in the catalog (--data DIR) or through a running server (--server HOST:PORT: list, show, scratch, unscratch, move)";

    public const string DefaultDataDirectory = "ctape-data";

    private const string Usage = """
        usage: ctape volume add RANGE... --pool POOL [--media REEL|3480|3490E] [--capacity SIZE]
                                         [--labels SL|AL|NL] [--private] [--format aws|het]
               ctape volume list [--pool POOL] [--status scratch|private|mounted] [--json]
               ctape volume show VOLSER [--json]
               ctape volume scratch VOLSER...
               ctape volume unscratch VOLSER...
               ctape volume move VOLSER... --pool POOL
               ctape volume import VOLSER FILE [--pool POOL [--media M] [--capacity SIZE]] [--format aws|het] [--replace]
               ctape volume export VOLSER FILE [--format aws|het]
        every subcommand takes --data DIR (default ./ctape-data)
        """;

    public static int Run(string[] args) => Run(args, Console.Out, Console.Error, progressBar: !Console.IsErrorRedirected);

    /// <param name="progressBar">Draw a progress bar for import/export on <paramref name="error"/> (a terminal).</param>
    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error, bool progressBar = false)
    {
        if (ServerLibraryCommands.TryRunVolume(args, output, error, out int serverExit))
        {
            return serverExit;
        }

        var arguments = new Arguments(
            args,
            valueOptions: ["--data", "--pool", "--media", "--capacity", "--labels", "--format", "--status"],
            flagOptions: ["--json", "--private", "--replace"]);
        var words = arguments.Positional;
        if (words.Count == 0)
        {
            throw new UsageException("expected a subcommand\n" + Usage);
        }

        var data = arguments.Get("--data") ?? DefaultDataDirectory;
        var operands = words.Skip(1).ToList();
        try
        {
            return Dispatch(words[0], arguments, data, operands, output, error, progressBar);
        }
        catch (Exception e) when (e is DbException or IOException or UnauthorizedAccessException or InvalidDataException or InvalidOperationException)
        {
            // An unreadable, corrupt or too new catalog: say so instead of a stack trace.
            error.WriteLine($"ctape volume: {e.Message}");
            return 1;
        }
    }

    private static int Dispatch(string subcommand, Arguments arguments, string data, List<string> operands, TextWriter output, TextWriter error, bool progressBar) =>
        subcommand switch
        {
            "add" => Add(arguments, data, operands, output),
            "list" => List(arguments, data, operands, output, error),
            "show" => Show(arguments, data, operands, output, error),
            "scratch" => Change(data, operands, error, (catalog, serial) => catalog.SetScratch(serial, scratch: true)),
            "unscratch" => Change(data, operands, error, (catalog, serial) => catalog.SetScratch(serial, scratch: false)),
            "move" => Change(data, operands, error, (catalog, serial) => catalog.MoveToPool(serial, RequiredPool(arguments))),
            "import" => VolumeTransfer.Import(arguments, data, operands, output, error, progressBar),
            "export" => VolumeTransfer.Export(arguments, data, operands, output, error, progressBar),
            _ => throw new UsageException($"unknown subcommand '{subcommand}'\n" + Usage),
        };

    private static int Add(Arguments arguments, string data, List<string> operands, TextWriter output)
    {
        if (operands.Count == 0)
        {
            throw new UsageException("add needs at least one volume serial or range (T00000-T00099)");
        }

        var ranges = operands.Select(ParseRange).ToList();
        var pool = RequiredPool(arguments);
        var media = MediaType.Eccst;
        if (arguments.Get("--media") is { } mediaText && !MediaTypes.TryParse(mediaText, out media))
        {
            throw new UsageException($"unknown media '{mediaText}', expected REEL, 3480 (CST) or 3490E (ECCST)");
        }

        var capacity = MediaTypes.DefaultCapacity(media);
        if (arguments.Get("--capacity") is { } capacityText
            && (!ByteSize.TryParse(capacityText, out capacity, out var sizeError) || capacity == 0))
        {
            throw new UsageException(sizeError ?? "capacity must be more than 0");
        }

        var labels = LabelType.Standard;
        if (arguments.Get("--labels") is { } labelText && !LabelTypes.TryParse(labelText, out labels))
        {
            throw new UsageException($"unknown label type '{labelText}', expected SL, AL or NL");
        }

        var format = arguments.Get("--format") switch
        {
            null or "aws" => ImageFileKind.Aws,
            "het" => ImageFileKind.Het,
            var other => throw new UsageException($"unknown image format '{other}', expected aws or het"),
        };

        var catalog = LibraryCatalog.Open(data);
        var (added, existing) = catalog.AddVolumes(ranges, new NewVolumes(pool, media, capacity, labels, !arguments.Has("--private"), format));
        output.WriteLine($"added {added} volume{Plural(added)} to pool {pool}" + (existing > 0 ? $", {existing} already in the catalog (unchanged)" : ""));
        return 0;
    }

    private static int List(Arguments arguments, string data, List<string> operands, TextWriter output, TextWriter error)
    {
        if (operands.Count != 0)
        {
            throw new UsageException("list takes no operands");
        }

        VolumeStatus? status = arguments.Get("--status") switch
        {
            null => null,
            "scratch" => VolumeStatus.Scratch,
            "private" => VolumeStatus.Private,
            "mounted" => VolumeStatus.Mounted,
            var other => throw new UsageException($"unknown status '{other}', expected scratch, private or mounted"),
        };
        if (OpenExisting(data, error) is not { } catalog)
        {
            return 1;
        }

        var volumes = catalog.EnumerateVolumes(arguments.Get("--pool"), status);
        if (arguments.Has("--json"))
        {
            output.Write('[');
            var first = true;
            foreach (var volume in volumes)
            {
                output.Write(first ? "\n  " : ",\n  ");
                output.Write(Json(volume));
                first = false;
            }

            output.WriteLine(first ? "]" : "\n]");
            return 0;
        }

        output.WriteLine($"{"VOLSER",-6}  {"POOL",-16}  {"STATUS",-7}  {"MEDIA",-5}  {"CAPACITY",8}  {"USED",8}  {"BLOCKS",8}  {"MOUNTS",6}  {"LAST MOUNTED",-20}  DATA SET");
        long count = 0;
        foreach (var v in volumes)
        {
            var state = v.Status == VolumeStatus.Mounted ? $"on {v.MountedOn:X4}" : StatusName(v.Status);
            output.WriteLine(
                $"{v.Serial,-6}  {v.Pool,-16}  {state,-7}  {MediaTypes.Name(v.Media),-5}  {ByteSize.Format(v.Capacity),8}  {Human(v.BytesUsed),8}  {v.Blocks,8}  {v.MountCount,6}  {Time(v.LastMountedAt),-20}  {v.DataSetName ?? "-"}{(v.ReadOnly ? "  (read-only)" : "")}");
            count++;
        }

        output.WriteLine($"{count} volume{Plural(count)}");
        return 0;
    }

    private static int Show(Arguments arguments, string data, List<string> operands, TextWriter output, TextWriter error)
    {
        if (operands.Count != 1)
        {
            throw new UsageException("show takes one volume serial");
        }

        var serial = ParseSerial(operands[0]);
        if (OpenExisting(data, error) is not { } catalog)
        {
            return 1;
        }

        if (catalog.FindVolume(serial) is not { } v)
        {
            error.WriteLine($"ctape volume: {serial}: no such volume");
            return 1;
        }

        if (arguments.Has("--json"))
        {
            output.WriteLine(Json(v));
            return 0;
        }

        output.WriteLine($"volume        {v.Serial}");
        output.WriteLine($"pool          {v.Pool}");
        output.WriteLine($"status        {StatusName(v.Status)}{(v.MountedOn is { } device ? $" on {device:X4}" : "")}");
        output.WriteLine($"read-only     {(v.ReadOnly ? "yes" : "no")}");
        output.WriteLine($"media         {MediaTypes.Name(v.Media)}");
        output.WriteLine($"labels        {LabelTypes.Name(v.Labels)}");
        output.WriteLine($"capacity      {ByteSize.Format(v.Capacity)} ({v.Capacity} bytes)");
        output.WriteLine($"used          {v.BytesUsed} bytes, {v.Blocks} blocks");
        output.WriteLine($"data set      {v.DataSetName ?? "-"}");
        output.WriteLine($"created       {Time(v.CreatedAt)}");
        output.WriteLine($"last mounted  {Time(v.LastMountedAt)}");
        output.WriteLine($"last written  {Time(v.LastWrittenAt)}");
        output.WriteLine($"mounts        {v.MountCount}");
        output.WriteLine($"image         {catalog.Layout.ImagePath(v)}");
        var history = catalog.MountHistory(serial, limit: 10);
        if (history.Count > 0)
        {
            output.WriteLine("recent mounts (newest first):");
            foreach (var m in history)
            {
                output.WriteLine($"  {m.DeviceNumber:X4}  requested {Time(m.RequestedAt)}  mounted {Time(m.MountedAt)}  unmounted {Time(m.UnmountedAt)}{(m.ScratchRequest ? "  (scratch request)" : "")}");
            }
        }

        return 0;
    }

    private static int Change(string data, List<string> operands, TextWriter error, Func<LibraryCatalog, VolumeSerial, VolumeChange> change)
    {
        if (operands.Count == 0)
        {
            throw new UsageException("expected one or more volume serials");
        }

        var serials = operands.Select(ParseSerial).ToList();
        if (OpenExisting(data, error) is not { } catalog)
        {
            return 1;
        }

        var failed = 0;
        foreach (var serial in serials)
        {
            switch (change(catalog, serial))
            {
                case VolumeChange.Changed:
                    break;
                case VolumeChange.NotFound:
                    error.WriteLine($"ctape volume: {serial}: no such volume");
                    failed++;
                    break;
                case VolumeChange.Mounted:
                    error.WriteLine($"ctape volume: {serial}: mounted, unchanged");
                    failed++;
                    break;
            }
        }

        return failed == 0 ? 0 : 1;
    }

    internal static LibraryCatalog? OpenExisting(string data, TextWriter error, string command = "ctape volume")
    {
        var layout = new StorageLayout(data);
        if (!LibraryCatalog.ExistsIn(data))
        {
            error.WriteLine($"{command}: no catalog in {layout.DataDirectory} (add volumes first, or give --data DIR)");
            return null;
        }

        return LibraryCatalog.Open(data);
    }

    internal static string RequiredPool(Arguments arguments)
    {
        var pool = arguments.Get("--pool") ?? throw new UsageException("--pool POOL is required");
        return PoolNames.IsValid(pool) ? pool : throw new UsageException($"invalid pool name '{pool}': 1-{PoolNames.MaxLength} of A-Z a-z 0-9 _ -");
    }

    internal static VolumeSerial ParseSerial(string text) =>
        VolumeSerial.TryParse(text, out var serial, out var message, out _) ? serial : throw new UsageException(message!);

    private static VolumeRange ParseRange(string text) =>
        VolumeRange.TryParse(text, out var range, out var message) ? range! : throw new UsageException(message!);

    private static string StatusName(VolumeStatus status) => status.ToString().ToLowerInvariant();

    private static string Plural(long count) => count == 1 ? "" : "s";

    private static string Time(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    private static string Human(long bytes) => bytes < 1024 ? bytes.ToString(CultureInfo.InvariantCulture)
        : bytes < 1024 * 1024 ? $"{bytes / 1024.0:0.#}K"
        : bytes < 1024L * 1024 * 1024 ? $"{bytes / (1024.0 * 1024):0.#}M"
        : $"{bytes / (1024.0 * 1024 * 1024):0.#}G";

    /// <summary>One volume as a JSON object (timestamps ISO 8601 UTC, device numbers as 4 hex digits).</summary>
    private static string Json(VolumeRecord v)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("volser", v.Serial.Value);
            json.WriteString("pool", v.Pool);
            json.WriteString("status", StatusName(v.Status));
            json.WriteString("media", MediaTypes.Name(v.Media));
            json.WriteNumber("capacity", v.Capacity);
            json.WriteNumber("bytesUsed", v.BytesUsed);
            json.WriteNumber("blocks", v.Blocks);
            WriteNullable(json, "dataSetName", v.DataSetName);
            json.WriteString("labels", LabelTypes.Name(v.Labels));
            json.WriteString("createdAt", v.CreatedAt);
            WriteNullable(json, "lastMountedAt", v.LastMountedAt);
            WriteNullable(json, "lastWrittenAt", v.LastWrittenAt);
            json.WriteNumber("mountCount", v.MountCount);
            json.WriteString("imagePath", v.ImagePath);
            json.WriteBoolean("readOnly", v.ReadOnly);
            WriteNullable(json, "mountedOn", v.MountedOn is { } device ? device.ToString("X4", CultureInfo.InvariantCulture) : null);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null)
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, DateTimeOffset? value)
    {
        if (value is { } time)
        {
            json.WriteString(name, time);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
