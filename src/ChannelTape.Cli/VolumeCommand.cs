using System.CommandLine;
using System.Globalization;
using ChannelTape.Labels;
using ChannelTape.Library;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape volume add|list|show|scratch|unscratch|move|import|export</c>: volume management against the
/// catalog in the data directory (<c>--data DIR</c>, default <c>./ctape-data</c>) directly, or against a
/// running server (<c>--server HOST:PORT</c>, <see cref="ServerVolumeCommands"/>) with the same options:
/// an option a server cannot honour is refused with the reason (exit 2), never ignored.
/// </summary>
public static class VolumeCommand
{
    public static Command Create(CliContext context)
    {
        var volume = new Command("volume", "Manage the library's volumes: in the catalog directly (--data DIR) or through a running server (--server HOST:PORT)");
        var options = new VolumeOptions();
        volume.Subcommands.Add(Add(context, options));
        volume.Subcommands.Add(List(context, options));
        volume.Subcommands.Add(Show(context, options));
        volume.Subcommands.Add(Change(context, options, "scratch", "Return private volumes to scratch (their data may be overwritten by the next scratch mount)"));
        volume.Subcommands.Add(Change(context, options, "unscratch", "Make scratch volumes private"));
        volume.Subcommands.Add(Move(context, options));
        volume.Subcommands.Add(VolumeTransfer.CreateImport(context, options));
        volume.Subcommands.Add(VolumeTransfer.CreateExport(context, options));
        return volume;
    }

    private static Command Add(CliContext context, VolumeOptions o)
    {
        var command = new Command("add", "Add new volumes to a pool (offline: with the media, capacity, labels and format given; through a server: with the pool's settings from its configuration)");
        var ranges = new Argument<VolumeRange[]>("RANGE")
        {
            Description = "A volume serial or a range FIRST-LAST (T00000-T00099)",
            Arity = ArgumentArity.OneOrMore,
            CustomParser = result => result.Tokens.Select(t => VolumeRange.TryParse(t.Value, out var range, out var error)
                ? range! : CliOptions.Fail<VolumeRange>(result, error!)).ToArray(),
        };
        var pool = o.Pool("The pool the volumes join", required: true);
        var format = VolumeOptions.Format("Format of the new volumes' image files (default aws)");
        o.AddCommon(command, ranges, pool, o.Media, o.Capacity, o.Labels, o.Private, format);
        command.SetAction(parse =>
        {
            if (o.Target(parse) is { } target)
            {
                o.RefuseWithServer(parse, "volumes added through a server take their pool's media, capacity, labels and format from its configuration", o.Media, o.Capacity, o.Labels, o.Private, format);
                return ServerVolumeCommands.Add(context, target, parse.GetValue(ranges)!, parse.GetValue(pool)!);
            }

            var media = parse.GetValue(o.Media) ?? MediaType.Eccst;
            var volumes = new NewVolumes(parse.GetValue(pool)!, media, parse.GetValue(o.Capacity) ?? MediaTypes.DefaultCapacity(media),
                parse.GetValue(o.Labels) ?? LabelType.Standard, !parse.GetValue(o.Private), parse.GetValue(format) ?? ImageFileKind.Aws);
            var catalog = LibraryCatalog.Open(parse.GetValue(o.Data)!);
            var (added, existing) = catalog.AddVolumes(parse.GetValue(ranges)!, volumes);
            context.Output.WriteLine($"added {added} volume{Plural(added)} to pool {volumes.Pool}" + (existing > 0 ? $", {existing} already in the catalog (unchanged)" : ""));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command List(CliContext context, VolumeOptions o)
    {
        var command = new Command("list", "List volumes, optionally of one pool or status");
        var pool = o.Pool("Only the volumes of this pool");
        var status = new Option<VolumeStatus?>("--status")
        {
            Description = "Only the volumes with this status",
            HelpName = "scratch|private|mounted",
            CustomParser = result => Enum.TryParse<VolumeStatus>(CliOptions.Single(result), ignoreCase: true, out var s) && Enum.IsDefined(s)
                ? s : CliOptions.Fail<VolumeStatus?>(result, $"--status wants scratch, private or mounted, got '{CliOptions.Single(result)}'"),
        };
        status.CompletionSources.Clear(); // the words --status takes, not the enum's names
        status.CompletionSources.Add("scratch", "private", "mounted");
        var json = CliOptions.Json("the volumes (an array)");
        o.AddCommon(command, pool, status, json);
        command.SetAction(parse =>
        {
            string? poolName = parse.GetValue(pool);
            var wanted = parse.GetValue(status);
            IEnumerable<VolumeView> volumes = o.Target(parse) is { } target
                ? ServerVolumeCommands.List(target, poolName, wanted)
                : OpenExisting(parse.GetValue(o.Data)!).EnumerateVolumes(poolName, wanted).Select(VolumeView.Of);
            if (parse.GetValue(json))
            {
                JsonOutput.Write(context.Output, writer =>
                {
                    writer.WriteStartArray();
                    foreach (var volume in volumes)
                    {
                        volume.WriteTo(writer);
                    }

                    writer.WriteEndArray();
                });
                return ExitCodes.Success;
            }

            context.Output.WriteLine($"{"VOLSER",-6}  {"POOL",-16}  {"STATUS",-7}  {"MEDIA",-5}  {"LABELS",-6}  {"CAPACITY",8}  {"USED",8}  {"BLOCKS",8}  {"MOUNTS",6}  {"LAST MOUNTED",-12}  DATA SET");
            long count = 0;
            foreach (var v in volumes)
            {
                context.Output.WriteLine(
                    $"{v.Volser,-6}  {v.Pool,-16}  {v.Status,-7}  {v.Media,-5}  {v.Labels,-6}  {ByteSize.Format(v.Capacity),8}  {Human(v.BytesUsed),8}  {v.Blocks,8}  {v.MountCount,6}  {Day(v.LastMountedOn),-12}  {v.DataSetName ?? "-"}{(v.ReadOnly ? "  (read-only)" : "")}{(v.MountedBy is { } server ? $"  (mounted by {server})" : "")}");
                count++;
            }

            context.Output.WriteLine($"{count} volume{Plural(count)}");
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show(CliContext context, VolumeOptions o)
    {
        var command = new Command("show", "Show one volume (offline also its image file and recent mounts)");
        var serial = VolumeOptions.Serial();
        var json = CliOptions.Json("the volume");
        o.AddCommon(command, serial, json);
        command.SetAction(parse =>
        {
            var volser = parse.GetValue(serial);
            VolumeRecord? record = null;
            LibraryCatalog? catalog = null;
            VolumeView view;
            if (o.Target(parse) is { } target)
            {
                view = ServerVolumeCommands.Find(target, volser) ?? throw new CommandFailedException($"{volser}: no such volume");
            }
            else
            {
                catalog = OpenExisting(parse.GetValue(o.Data)!);
                record = catalog.FindVolume(volser) ?? throw new CommandFailedException($"{volser}: no such volume");
                view = VolumeView.Of(record);
            }

            if (parse.GetValue(json))
            {
                JsonOutput.Write(context.Output, view.WriteTo);
                return ExitCodes.Success;
            }

            var output = context.Output;
            output.WriteLine($"volume        {view.Volser}");
            output.WriteLine($"pool          {view.Pool}");
            output.WriteLine($"status        {view.Status}{(record?.MountedOn is { } device ? $" on {device:X4}" : "")}{(view.MountedBy is { } server ? $" of server {server}" : "")}");
            output.WriteLine($"read-only     {(view.ReadOnly ? "yes" : "no")}");
            output.WriteLine($"media         {view.Media}");
            output.WriteLine($"labels        {view.Labels}");
            output.WriteLine($"capacity      {ByteSize.Format(view.Capacity)} ({view.Capacity} bytes)");
            output.WriteLine($"used          {view.BytesUsed} bytes, {view.Blocks} blocks");
            output.WriteLine($"data set      {view.DataSetName ?? "-"}");
            output.WriteLine($"created       {(record is null ? Day(view.CreatedOn) : Time(record.CreatedAt))}");
            output.WriteLine($"last mounted  {(record is null ? Day(view.LastMountedOn) : Time(record.LastMountedAt))}");
            output.WriteLine($"mounts        {view.MountCount}");
            if (record is not null && catalog is not null)
            {
                output.WriteLine($"last written  {Time(record.LastWrittenAt)}");
                output.WriteLine($"image         {catalog.Layout.ImagePath(record)}");
                var history = catalog.MountHistory(volser, limit: 10);
                if (history.Count > 0)
                {
                    output.WriteLine("recent mounts (newest first):");
                    foreach (var m in history)
                    {
                        output.WriteLine($"  {m.DeviceNumber:X4}{(m.Server.Length > 0 ? $" of {m.Server}" : "")}  requested {Time(m.RequestedAt)}  mounted {Time(m.MountedAt)}  unmounted {Time(m.UnmountedAt)}{(m.ScratchRequest ? "  (scratch request)" : "")}");
                    }
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Change(CliContext context, VolumeOptions o, string name, string description)
    {
        var command = new Command(name, description);
        var serials = VolumeOptions.Serials();
        o.AddCommon(command, serials);
        command.SetAction(parse => Apply(context, o, parse, parse.GetValue(serials)!, name, (catalog, serial) => catalog.SetScratch(serial, scratch: name == "scratch"),
            (api, serial) => name == "scratch" ? api.ScratchAsync(serial) : api.UnscratchAsync(serial), serial => $"{name.ToUpperInvariant()} {serial}"));
        return command;
    }

    private static Command Move(CliContext context, VolumeOptions o)
    {
        var command = new Command("move", "Move volumes to another pool");
        var serials = VolumeOptions.Serials();
        var pool = o.Pool("The pool the volumes go to", required: true);
        o.AddCommon(command, serials, pool);
        command.SetAction(parse =>
        {
            string target = parse.GetValue(pool)!;
            return Apply(context, o, parse, parse.GetValue(serials)!, "move", (catalog, serial) => catalog.MoveToPool(serial, target),
                (api, serial) => api.MoveAsync(serial, target), serial => $"MOVE {serial} {target}");
        });
        return command;
    }

    /// <summary>
    /// A change to each volume: offline and through a server's management API one by one (exit 1 when one is
    /// missing or mounted, the others still changed); through a server without the API all or nothing.
    /// </summary>
    private static int Apply(CliContext context, VolumeOptions o, ParseResult parse, VolumeSerial[] serials, string verb,
        Func<LibraryCatalog, VolumeSerial, VolumeChange> change, Func<Client.Management.ManagementClient, string, Task<Client.Management.VolumeInfo>> apiChange,
        Func<string, string> request)
    {
        if (o.Target(parse) is { } target)
        {
            return ServerVolumeCommands.Change(context, target, serials, verb, apiChange, request);
        }

        var catalog = OpenExisting(parse.GetValue(o.Data)!);
        var failed = 0;
        foreach (var serial in serials)
        {
            switch (change(catalog, serial))
            {
                case VolumeChange.Changed:
                    break;
                case VolumeChange.NotFound:
                    context.Error.WriteLine($"ctape volume {verb}: {serial}: no such volume");
                    failed++;
                    break;
                case VolumeChange.Mounted:
                    context.Error.WriteLine($"ctape volume {verb}: {serial}: mounted, unchanged");
                    failed++;
                    break;
            }
        }

        return failed == 0 ? ExitCodes.Success : ExitCodes.Failure;
    }

    /// <summary>The catalog in <paramref name="data"/>; a failure when there is none (nothing is created by a command that only reads or changes).</summary>
    internal static LibraryCatalog OpenExisting(string data, string command = "ctape volume")
    {
        var layout = new StorageLayout(data);
        if (!LibraryCatalog.ExistsIn(data))
        {
            throw new CommandFailedException($"no catalog in {layout.DataDirectory} (add volumes first, or give --data DIR)");
        }

        return LibraryCatalog.Open(data);
    }

    internal static string Plural(long count) => count == 1 ? "" : "s";

    internal static string Time(DateTimeOffset? time) =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    private static string Day(DateOnly? day) => day is { } d ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "-";

    private static string Human(long bytes) => bytes < 1024 ? bytes.ToString(CultureInfo.InvariantCulture)
        : bytes < 1024 * 1024 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#}K")
        : bytes < 1024L * 1024 * 1024 ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#}M")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.#}G");
}

/// <summary>The options of the <c>volume</c> subcommands, typed, with the messages their parsers give.</summary>
public sealed class VolumeOptions
{
    public Option<string> Data { get; } = CliOptions.Data();

    public ServerOptions Server { get; } = new("The library");

    public Option<MediaType?> Media { get; } = Choice<MediaType?>("--media", "Media of new volumes (default 3490E)", "REEL|3480|3490E",
        text => MediaTypes.TryParse(text, out var m) ? m : null, "REEL, 3480 (CST) or 3490E (ECCST)", "REEL", "3480", "3490E");

    public Option<long?> Capacity { get; } = new("--capacity")
    {
        Description = "Capacity of new volumes: bytes, or a number with K, M or G (default: the media's)",
        HelpName = "SIZE",
        CustomParser = result => ByteSize.TryParse(CliOptions.Single(result), out long bytes, out string? error) && bytes > 0
            ? bytes : CliOptions.Fail<long?>(result, $"--capacity: {error ?? "must be more than 0"}"),
    };

    public Option<LabelType?> Labels { get; } = Choice<LabelType?>("--labels", "Labels of new volumes (default SL)", "SL|AL|NL",
        text => LabelTypes.TryParse(text, out var l) ? l : null, "SL, AL or NL", "SL", "AL", "NL");

    public Option<bool> Private { get; } = new("--private") { Description = "Add the volumes private instead of scratch" };

    /// <summary>A <c>--format aws|het</c> option; what it is the format of depends on the command.</summary>
    public static Option<ImageFileKind?> Format(string description) => Choice<ImageFileKind?>("--format", description, "aws|het",
        text => text switch { "aws" => ImageFileKind.Aws, "het" => ImageFileKind.Het, _ => null }, "aws or het", "aws", "het");

    public Option<bool> Replace { get; } = new("--replace") { Description = "Overwrite a volume that already holds data" };

    /// <summary>A <c>--pool</c> option checked against the pool-name rule.</summary>
    public Option<string> Pool(string description, bool required = false) => new("--pool")
    {
        Description = description,
        HelpName = "POOL",
        Required = required,
        CustomParser = result => PoolNames.IsValid(CliOptions.Single(result))
            ? CliOptions.Single(result)
            : CliOptions.Fail<string>(result, $"invalid pool name '{CliOptions.Single(result)}': 1-{PoolNames.MaxLength} of A-Z a-z 0-9 _ -"),
    };

    public static Argument<VolumeSerial> Serial() => new("VOLSER")
    {
        Description = "Volume serial (1-6 characters A-Z 0-9 # @ $)",
        CustomParser = result => VolumeSerial.TryParse(CliOptions.Single(result), out var serial, out string? message, out _)
            ? serial : CliOptions.Fail<VolumeSerial>(result, message!),
    };

    public static Argument<VolumeSerial[]> Serials() => new("VOLSER")
    {
        Description = "Volume serials",
        Arity = ArgumentArity.OneOrMore,
        CustomParser = result => result.Tokens.Select(t => VolumeSerial.TryParse(t.Value, out var serial, out string? message, out _)
            ? serial : CliOptions.Fail<VolumeSerial>(result, message!)).ToArray(),
    };

    /// <summary>Adds the arguments and options, then <c>--data</c> and the server options.</summary>
    public void AddCommon(Command command, params Symbol[] symbols)
    {
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument argument:
                    command.Arguments.Add(argument);
                    break;
                case Option option:
                    command.Options.Add(option);
                    break;
            }
        }

        command.Options.Add(Data);
        Server.AddTo(command);
    }

    /// <summary>The server asked for (then <c>--data</c> is a usage error), or null offline (then the server-only options are).</summary>
    public ServerTarget? Target(ParseResult parse)
    {
        var target = Server.Read(parse);
        if (target is not null && parse.GetResult(Data) is { Implicit: false })
        {
            throw new UsageException("--data and --server exclude each other: the server has its own data directory");
        }

        if (target is null && Server.AnyServerOnlyGiven(parse))
        {
            throw new UsageException("--drives, --prefix, --timeout, --secret-file and --api go with --server");
        }

        return target;
    }

    /// <summary>A usage error naming the first of <paramref name="options"/> given, with why a server cannot honour it.</summary>
    public void RefuseWithServer(ParseResult parse, string why, params Option[] options)
    {
        foreach (var option in options)
        {
            if (parse.GetResult(option) is { Implicit: false })
            {
                throw new UsageException($"{option.Name} is not available with --server: {why}");
            }
        }
    }

    private static Option<T> Choice<T>(string name, string description, string helpName, Func<string, T?> parse, string expected, params string[] values)
    {
        var option = new Option<T>(name)
        {
            Description = description,
            HelpName = helpName,
            CustomParser = result => parse(CliOptions.Single(result)) is { } value
                ? value : CliOptions.Fail<T>(result, $"{name} wants {expected}, got '{CliOptions.Single(result)}'"),
        };
        option.CompletionSources.Clear(); // the words the option takes, not the enum's names
        option.CompletionSources.Add(values);
        return option;
    }
}
