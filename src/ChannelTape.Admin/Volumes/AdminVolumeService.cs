using ChannelTape.Admin.Commands;
using ChannelTape.Admin.Reports;
using ChannelTape.Labels;
using ChannelTape.Media;
using ChannelTape.Text;

namespace ChannelTape.Admin.Volumes;

/// <summary>Who asks for an administrative volume: the drive, the host attached to it, and what that host may do (null = an in-process caller).</summary>
public readonly record struct AdminRequester(int DeviceNumber, string Host, Runtime.HostAuthority? Authority = null);

/// <summary>What unloading a command volume did (the audit log's line).</summary>
public enum CommandVolumeOutcome
{
    /// <summary>Nothing new was written: no request to process.</summary>
    NoRequest,
    /// <summary>The request was read and its commands checked and applied (or refused one by one, all or nothing).</summary>
    Processed,
    /// <summary>The host or drive may not issue commands: nothing was changed.</summary>
    NotAuthorised,
    /// <summary>The request data set could not be read.</summary>
    Unreadable,
}

/// <summary>
/// Builds administrative volumes when the host asks for them (issue 5): a report volume is a
/// fresh labelled data set written from live state into an AWS image under
/// <c>&lt;storage&gt;/admin</c> and mounted read-only; a command volume is writable, and when the
/// host unloads it after writing a request data set the requests are checked, authorised and
/// applied, and the response replaces the request for the next mount (as IBM BVIR does).
/// </summary>
public sealed class AdminVolumeService
{
    /// <summary>Data set name of the answer on a command volume (HDR1 keeps its last 17 characters).</summary>
    public const string ResponseDataSetName = "CTAPE.COMMAND.RESPONSE";

    private readonly IAdminDataSource _source;
    private readonly IAdminCommandTarget _target;
    private readonly string _directory;
    private readonly Func<AdminRequester, bool> _mayIssueCommands;
    private readonly TimeProvider _time;
    private readonly object _commandLock = new();

    public AdminVolumeService(
        IAdminDataSource source,
        IAdminCommandTarget target,
        string storageRoot,
        string prefix,
        Func<AdminRequester, bool> mayIssueCommands,
        TimeProvider? time = null)
    {
        _source = source;
        _target = target;
        Prefix = prefix;
        _directory = Path.Combine(storageRoot, "admin");
        _mayIssueCommands = mayIssueCommands;
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(_directory);
    }

    public string Prefix { get; }

    public bool TryParse(string volumeSerial, out AdminVolumeName? name) => AdminVolumeName.TryParse(volumeSerial, Prefix, out name);

    /// <summary>
    /// The volume to mount for <paramref name="name"/>. Report volumes are built now, from live
    /// state; command volumes hold the pending response or, if none, a fresh labelled volume.
    /// </summary>
    public ITapeMedia Open(AdminVolumeName name, AdminRequester requester)
    {
        string path = ImagePath(name.VolumeSerial);
        if (name.Kind == AdminVolumeKind.Command)
        {
            lock (_commandLock)
            {
                if (!File.Exists(path))
                {
                    using var fresh = Create(path);
                    LabelledVolumeWriter.Initialize(fresh, name.VolumeSerial, "CHANNELTAPE", LabelType.Standard);
                }

                return OpenExisting(path, readOnly: false);
            }
        }

        string building = path + ".new";
        using (var media = Create(building))
        {
            WriteReport(media, name);
        }

        File.Move(building, path, overwrite: true);
        return OpenExisting(path, readOnly: true);
    }

    /// <summary>
    /// Called when a command volume is unloaded: if the host wrote a request data set, processes
    /// it and leaves the response on the volume; if the host only read the response, the next
    /// mount starts fresh.
    /// </summary>
    public CommandVolumeOutcome OnUnloaded(AdminVolumeName name, AdminRequester requester)
    {
        if (name.Kind != AdminVolumeKind.Command)
        {
            return CommandVolumeOutcome.NoRequest;
        }

        lock (_commandLock)
        {
            string path = ImagePath(name.VolumeSerial);
            if (!File.Exists(path))
            {
                return CommandVolumeOutcome.NoRequest;
            }

            List<string>? records;
            string? problem;
            using (var media = OpenExisting(path, readOnly: true))
            {
                (records, problem) = ReadRequestDataSet(media);
            }

            if (records is null && problem is null)
            {
                File.Delete(path); // nothing new written: the response was read, start fresh next time
                return CommandVolumeOutcome.NoRequest;
            }

            var rows = new List<CommandResponseRow>();
            CommandVolumeOutcome outcome;
            if (problem is not null)
            {
                rows.Add(new CommandResponseRow(0, CommandResponseRow.Error, "", problem));
                outcome = CommandVolumeOutcome.Unreadable;
            }
            else if (!_mayIssueCommands(requester))
            {
                rows.Add(new CommandResponseRow(0, CommandResponseRow.Error, "",
                    $"drive {requester.DeviceNumber:X4} of host {requester.Authority?.ToString() ?? requester.Host} may not issue commands; nothing was changed"));
                outcome = CommandVolumeOutcome.NotAuthorised;
            }
            else
            {
                rows.AddRange(Process(records!));
                outcome = CommandVolumeOutcome.Processed;
            }

            string building = path + ".new";
            using (var response = Create(building))
            {
                StatusDataSetWriter.Write(response, name.VolumeSerial, StatusReports.CommandResponse, "", _time.GetUtcNow(), rows.Select(r => r.ToValues()));
            }

            File.Move(building, path, overwrite: true);
            return outcome;
        }
    }

    private List<CommandResponseRow> Process(List<string> records)
    {
        var (commands, errors) = AdminCommandParser.Parse(records);
        var rows = new List<CommandResponseRow>();
        if (errors.Count > 0)
        {
            rows.AddRange(errors.Select(e => new CommandResponseRow(e.Sequence, CommandResponseRow.Error, e.Text, e.Message)));
            rows.AddRange(commands.Select(c => new CommandResponseRow(c.Sequence, CommandResponseRow.NotDone, c.Text, "not applied: the request has errors")));
        }
        else if (commands.Count == 0)
        {
            rows.Add(new CommandResponseRow(0, CommandResponseRow.Error, "", "the request data set holds no commands"));
        }
        else
        {
            var results = _target.Apply(commands);
            bool allSucceeded = results.All(r => r.Succeeded);
            rows.AddRange(results.Select(r => new CommandResponseRow(
                r.Command.Sequence,
                r.Succeeded ? (allSucceeded ? CommandResponseRow.Done : CommandResponseRow.NotDone) : CommandResponseRow.Error,
                r.Command.Text,
                r.Succeeded && !allSucceeded ? "not applied: another command of the request failed" : r.Message)));
        }

        return rows.OrderBy(r => r.Sequence).ToList();
    }

    /// <summary>
    /// Reads VOL1, HDR1, HDR2, TM and the records of the first data set. Returns (null, null)
    /// when the volume holds no request (fresh dummy HDR1, or our own response), else the records
    /// or a description of what is wrong with the data set.
    /// </summary>
    private static (List<string>? Records, string? Problem) ReadRequestDataSet(ITapeMedia media)
    {
        var buffer = new byte[media.MaxBlockSize];
        if (media.ReadForward(buffer, out int length) != MediaStatus.Ok || !Vol1Label.TryParse(buffer.AsSpan(0, length), LabelEncoding.Ebcdic, out _))
        {
            return (null, "the command volume has no VOL1 label");
        }

        var status = media.ReadForward(buffer, out length);
        if (status != MediaStatus.Ok || length != 80 || !DataSetLabel1.TryParse(buffer.AsSpan(0, 80), LabelEncoding.Ebcdic, out var header1))
        {
            return (null, null); // the dummy HDR1 of a fresh volume ('HDR1' and zeros) or nothing written
        }

        if (header1!.DataSetIdentifier == DataSetLabel1.IdentifierFor(ResponseDataSetName)
            || header1.DataSetIdentifier.Trim('0').Length == 0)
        {
            return (null, null);
        }

        if (media.ReadForward(buffer, out length) != MediaStatus.Ok
            || !DataSetLabel2.TryParse(buffer.AsSpan(0, length), LabelEncoding.Ebcdic, out var header2))
        {
            return (null, "the request data set has no HDR2 label");
        }

        if (header2!.RecordFormat != 'F' || header2.RecordLength is < 1 or > 32760)
        {
            return (null, $"the request data set must be RECFM=F or FB, not RECFM={header2.RecordFormat} LRECL={header2.RecordLength}");
        }

        if (media.ReadForward(buffer, out _) != MediaStatus.TapeMark)
        {
            return (null, "no tape mark after the request data set's header labels");
        }

        var records = new List<string>();
        while (true)
        {
            status = media.ReadForward(buffer, out length);
            if (status == MediaStatus.TapeMark)
            {
                return (records, null);
            }

            if (status != MediaStatus.Ok)
            {
                return (null, $"the request data set ends without a tape mark ({status})");
            }

            if (length % header2.RecordLength != 0)
            {
                return (null, $"a block of {length} bytes is not a whole number of {header2.RecordLength}-byte records");
            }

            for (int offset = 0; offset < length; offset += header2.RecordLength)
            {
                records.Add(Ebcdic.GetString(buffer.AsSpan(offset, header2.RecordLength)));
            }

            if (records.Count > 100_000)
            {
                return (null, "more than 100000 request records");
            }
        }
    }

    private void WriteReport(ITapeMedia media, AdminVolumeName name)
    {
        var now = _time.GetUtcNow();
        string serial = name.VolumeSerial;
        string selector = name.Selector;
        int? device = name.DeviceNumber;
        switch (name.Kind)
        {
            case AdminVolumeKind.Drives:
                StatusDataSetWriter.Write(media, serial, StatusReports.Drives, selector, now, _source.Drives(device).Select(r => r.ToValues()));
                break;
            case AdminVolumeKind.Volumes:
                StatusDataSetWriter.Write(media, serial, StatusReports.Volumes, selector, now, RowPrefetch.Ahead(_source.Volumes(selector)).Select(r => r.ToValues()));
                break;
            case AdminVolumeKind.Scratch:
                StatusDataSetWriter.Write(media, serial, StatusReports.Scratch, selector, now, RowPrefetch.Ahead(_source.Scratch(selector)).Select(r => r.ToValues()));
                break;
            case AdminVolumeKind.Pools:
                StatusDataSetWriter.Write(media, serial, StatusReports.Pools, selector, now, _source.Pools(selector).Select(r => r.ToValues()));
                break;
            case AdminVolumeKind.Mounts:
                StatusDataSetWriter.Write(media, serial, StatusReports.Mounts, selector, now, _source.Mounts(device).Select(r => r.ToValues()));
                break;
            case AdminVolumeKind.Statistics:
                StatusDataSetWriter.Write(media, serial, StatusReports.Statistics, selector, now, _source.Statistics().Select(r => r.ToValues()));
                break;
            case AdminVolumeKind.Configuration:
                StatusDataSetWriter.Write(media, serial, StatusReports.Configuration, selector, now, _source.Configuration().Select(r => r.ToValues()));
                break;
            case AdminVolumeKind.Events:
                StatusDataSetWriter.Write(media, serial, StatusReports.Events, selector, now, _source.Events(device).Select(r => r.ToValues()));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name.Kind, "not a report volume");
        }
    }

    private string ImagePath(string volumeSerial)
    {
        // Admin serials are validated by AdminVolumeName (prefix + A-Z 0-9 # @ $); map the national
        // characters to names every file system takes.
        string file = string.Concat(volumeSerial.Select(c => c switch
        {
            '#' => "_H",
            '@' => "_A",
            '$' => "_D",
            _ when char.IsAsciiLetterOrDigit(c) => c.ToString(),
            _ => throw new ArgumentException($"'{volumeSerial}' is not a volume serial", nameof(volumeSerial)),
        }));
        return Path.Combine(_directory, file + ".aws");
    }

    private static ITapeMedia Create(string path)
    {
        if (File.Exists(path))
        {
            File.Delete(path);
        }

        return TapeImage.TryCreate(path, TapeImageFormat.Aws, new TapeImageOptions(), out var media, out string? error)
            ? media!
            : throw new IOException($"cannot create {path}: {error}");
    }

    private static ITapeMedia OpenExisting(string path, bool readOnly) =>
        TapeImage.TryOpen(path, new TapeImageOptions { ReadOnly = readOnly }, out var media, out string? error)
            ? media!
            : throw new IOException($"cannot open {path}: {error}");
}
