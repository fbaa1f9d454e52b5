using System.Globalization;
using ChannelTape.Admin.Commands;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library;

namespace ChannelTape.Admin.Volumes;

/// <summary>
/// Applies command-volume requests to the catalog, all or nothing (issue 5, item 3): every
/// command is checked first (volume serial, MOVE's pool exists in the configuration, QUERY's
/// volume exists); then the changes go to <c>LibraryCatalog.ApplyEdits</c>, which applies
/// them in one IMMEDIATE transaction or refuses them all (unknown or mounted volume). QUERY
/// answers with the volume's status after the whole request was applied.
/// </summary>
public sealed class AdminCommandTarget(LibraryCatalog catalog, LibraryConfiguration configuration) : IAdminCommandTarget
{
    /// <summary>
    /// Most volumes one ADD adds (docs/admin-volumes.md): the volumes go in with the request's one
    /// catalog transaction, which holds the catalog's write lock, so the other drives' mounts wait for
    /// it; 10,000 take about 0.3 s. Larger sets go in several ADDs, or in the configuration.
    /// </summary>
    public const int MaxAddVolumes = 10_000;

    public IReadOnlyList<AdminCommandResult> Apply(IReadOnlyList<AdminCommand> commands)
    {
        var problems = new string?[commands.Count];
        var serials = new VolumeSerial[commands.Count];
        for (int i = 0; i < commands.Count; i++)
        {
            problems[i] = Check(commands[i], out serials[i]);
        }

        var edits = new List<(int Index, VolumeEdit Edit)>();
        var additions = new List<(int Index, (VolumeRange Range, NewVolumes Volumes) Addition)>();
        for (int i = 0; i < commands.Count; i++)
        {
            if (problems[i] is null && commands[i].Verb == AdminCommandVerb.Add)
            {
                var pool = configuration.FindPool(commands[i].Pool!)!;
                VolumeRange.TryParse(commands[i].VolumeSerial, out var range, out _);
                additions.Add((i, (range!, new NewVolumes(pool.Name, pool.Media, pool.Capacity, pool.Labels, pool.Scratch, configuration.Storage.Format.Kind))));
            }
            else if (problems[i] is null && commands[i].Changes)
            {
                edits.Add((i, new VolumeEdit(serials[i], EditKind(commands[i].Verb), commands[i].Pool)));
            }
        }

        if (problems.Any(p => p is not null))
        {
            return Results(commands, problems, serials, applied: false);
        }

        var outcomes = catalog.ApplyEdits(edits.Select(e => e.Edit).ToList(), additions.Select(a => a.Addition).ToList(), out long[] existing);
        for (int a = 0; a < additions.Count; a++)
        {
            if (existing[a] > 0)
            {
                problems[additions[a].Index] = $"{existing[a]} volume(s) of {commands[additions[a].Index].VolumeSerial} are already in the catalog";
            }
        }

        for (int e = 0; e < edits.Count; e++)
        {
            problems[edits[e].Index] = outcomes[e].Outcome switch
            {
                VolumeChange.Changed => null,
                VolumeChange.NotFound => $"no volume {serials[edits[e].Index].Value} in the catalog",
                VolumeChange.Mounted => $"volume {serials[edits[e].Index].Value} is mounted; unload it first",
                var other => other.ToString(),
            };
        }

        return Results(commands, problems, serials, applied: problems.All(p => p is null));
    }

    /// <summary>One line about a volume, as QUERY answers (fits the 66-character MESSAGE column).</summary>
    public static string StatusLine(VolumeRecord volume)
    {
        string mounted = volume.MountedOn is { } device ? " ON=" + device.ToString("X4", CultureInfo.InvariantCulture) : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{volume.Serial.Value} {LibraryAdminDataSource.StatusName(volume.Status)} POOL={volume.Pool} {MediaTypes.Name(volume.Media)} {LabelTypes.Name(volume.Labels)} RO={(volume.ReadOnly ? "Y" : "N")} USED={volume.BytesUsed}{mounted}");
    }

    private string? Check(AdminCommand command, out VolumeSerial serial)
    {
        if (command.Verb == AdminCommandVerb.Add)
        {
            serial = default;
            if (!VolumeRange.TryParse(command.VolumeSerial, out var range, out string? rangeError))
            {
                return $"'{command.VolumeSerial}' is not a volume range: {rangeError}";
            }

            if (range!.Count > MaxAddVolumes)
            {
                return $"{command.VolumeSerial} is {range.Count} volumes; one ADD adds at most {MaxAddVolumes}";
            }

            return configuration.FindPool(command.Pool ?? string.Empty) is null ? $"no pool {command.Pool} in the configuration" : null;
        }

        if (!VolumeSerial.TryParse(command.VolumeSerial, out serial, out string? error, out _))
        {
            return $"'{command.VolumeSerial}' is not a volume serial: {error}";
        }

        switch (command.Verb)
        {
            case AdminCommandVerb.Move when !PoolNames.IsValid(command.Pool ?? string.Empty):
                return $"'{command.Pool}' is not a pool name";
            case AdminCommandVerb.Move when configuration.FindPool(command.Pool!) is null:
                return $"no pool {command.Pool} in the configuration";
            case AdminCommandVerb.Query when catalog.FindVolume(serial) is null:
                return $"no volume {serial.Value} in the catalog";
            default:
                return null;
        }
    }

    private List<AdminCommandResult> Results(IReadOnlyList<AdminCommand> commands, string?[] problems, VolumeSerial[] serials, bool applied)
    {
        var results = new List<AdminCommandResult>(commands.Count);
        for (int i = 0; i < commands.Count; i++)
        {
            var command = commands[i];
            if (problems[i] is { } problem)
            {
                results.Add(new AdminCommandResult(command, false, problem));
            }
            else if (!applied)
            {
                results.Add(new AdminCommandResult(command, true, "valid"));
            }
            else if (command.Verb == AdminCommandVerb.Query)
            {
                var volume = catalog.FindVolume(serials[i]);
                results.Add(volume is null
                    ? new AdminCommandResult(command, false, $"no volume {serials[i].Value} in the catalog")
                    : new AdminCommandResult(command, true, StatusLine(volume)));
            }
            else
            {
                results.Add(new AdminCommandResult(command, true, Done(command)));
            }
        }

        return results;
    }

    private static string Done(AdminCommand command) => command.Verb switch
    {
        AdminCommandVerb.Scratch => $"{command.VolumeSerial} is scratch",
        AdminCommandVerb.Unscratch => $"{command.VolumeSerial} is private",
        AdminCommandVerb.Move => $"{command.VolumeSerial} moved to pool {command.Pool}",
        AdminCommandVerb.ReadOnly => $"{command.VolumeSerial} is read-only (from its next mount)",
        AdminCommandVerb.ReadWrite => $"{command.VolumeSerial} is writable (from its next mount)",
        AdminCommandVerb.Add => $"{command.VolumeSerial} added to pool {command.Pool}",
        _ => "done",
    };

    private static VolumeEditKind EditKind(AdminCommandVerb verb) => verb switch
    {
        AdminCommandVerb.Scratch => VolumeEditKind.Scratch,
        AdminCommandVerb.Unscratch => VolumeEditKind.Unscratch,
        AdminCommandVerb.Move => VolumeEditKind.Move,
        AdminCommandVerb.ReadOnly => VolumeEditKind.ReadOnly,
        AdminCommandVerb.ReadWrite => VolumeEditKind.ReadWrite,
        _ => throw new ArgumentOutOfRangeException(nameof(verb), verb, "QUERY changes nothing"),
    };
}
