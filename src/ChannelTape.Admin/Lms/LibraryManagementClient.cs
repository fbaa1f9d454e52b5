using ChannelTape.Admin.Reports;
using ChannelTape.Admin.Volumes;
using ChannelTape.Labels;
using ChannelTape.Channel;
using ChannelTape.Text;

namespace ChannelTape.Admin.Lms;

/// <summary>A report as the library management client read it.</summary>
public sealed record AdminReport<TRow>(string VolumeSerial, StatusHeader Header, IReadOnlyList<TRow> Rows);

/// <summary>
/// The host's library management system, reduced to what it needs from ChannelTape: it gets
/// status and changes the library only through tape operations on one drive (issue 5, item 4).
/// Fetch: Load Display mount of the administrative volume, wait for device end, read and verify
/// the labels and records, Rewind Unload. Commands: mount the command volume, write the request
/// data set after its VOL1 as MVS would, unload, mount it again and read the response.
/// </summary>
/// <param name="drive">The drive the client uses.</param>
/// <param name="prefix">The administrative prefix of the server's configuration.</param>
/// <param name="mountTimeout">How long a mount may take (30 s when null).</param>
/// <param name="driveOperator">The operator's controls of the drive, where the client has them: a request that timed out is withdrawn.</param>
public sealed class LibraryManagementClient(IChannelDevice drive, string prefix = AdminVolumeName.DefaultPrefix, TimeSpan? mountTimeout = null,
    IDriveOperator? driveOperator = null)
{
    /// <summary>Record length of request records (card images).</summary>
    public const int RequestRecordLength = 80;

    private readonly TimeSpan _mountTimeout = mountTimeout ?? TimeSpan.FromSeconds(30);

    /// <param name="kind">The report.</param>
    /// <param name="selector">What narrows it ("" for none).</param>
    /// <param name="cancel">Stops the wait for the mount (the request is withdrawn where the client has the operator's controls).</param>
    public AdminReport<TRow> Fetch<TRow>(AdminVolumeKind kind, string selector = "", CancellationToken cancel = default) where TRow : IStatusRow<TRow>
    {
        var rows = new List<TRow>();
        var (serial, header) = Read<TRow>(kind, selector, rows.Add, cancel);
        return new AdminReport<TRow>(serial, header, rows);
    }

    /// <summary>
    /// Like <see cref="Fetch{TRow}"/>, but hands each row to <paramref name="row"/> as it is read
    /// instead of keeping them: a report of a million volumes is read in constant memory.
    /// Returns the serial read and the report's header.
    /// </summary>
    public (string VolumeSerial, StatusHeader Header) Read<TRow>(AdminVolumeKind kind, string selector, Action<TRow> row, CancellationToken cancel = default)
        where TRow : IStatusRow<TRow>
    {
        string serial = AdminVolumeName.Format(prefix, kind, selector);
        using var session = new DriveSession(drive, driveOperator);
        session.Mount(serial, _mountTimeout, cancel);
        try
        {
            var reader = new StatusDataSetReader(session);
            foreach (string record in reader.ReadDataRecords(serial))
            {
                row(TRow.FromValues(TRow.Layout.ParseData(record)));
            }

            if (reader.Header!.ReportName != TRow.Layout.ReportName)
            {
                throw new InvalidDataException($"{serial} carries report {reader.Header.ReportName}, expected {TRow.Layout.ReportName}");
            }

            return (serial, reader.Header);
        }
        finally
        {
            session.Unload();
        }
    }

    /// <summary>Sends request records (e.g. <c>SCRATCH T00042</c>) through command volume <c>#CMD</c>+<paramref name="suffix"/> and returns the response.</summary>
    /// <exception cref="InvalidDataException">A request does not fit an 80-byte record (checked before anything is mounted or written).</exception>
    public AdminReport<CommandResponseRow> RunCommands(IReadOnlyList<string> requests, string suffix = "", CancellationToken cancel = default)
    {
        if (RequestProblem(requests) is { } problem)
        {
            throw new InvalidDataException(problem);
        }

        string serial = prefix + "CMD" + suffix;
        using (var session = new DriveSession(drive, driveOperator))
        {
            session.Mount(serial, _mountTimeout, cancel);
            try
            {
                WriteRequestDataSet(session, serial, requests);
            }
            finally
            {
                session.Unload();
            }
        }

        using var answer = new DriveSession(drive, driveOperator);
        answer.Mount(serial, _mountTimeout, cancel);
        try
        {
            var reader = new StatusDataSetReader(answer);
            var rows = reader.ReadDataRecords(serial)
                .Select(record => CommandResponseRow.FromValues(StatusReports.CommandResponse.ParseData(record))).ToList();
            return new AdminReport<CommandResponseRow>(serial, reader.Header!, rows);
        }
        finally
        {
            answer.Unload();
        }
    }

    /// <summary>Why the requests cannot be written as 80-byte request records; null when they can.</summary>
    public static string? RequestProblem(IReadOnlyList<string> requests)
    {
        foreach (var request in requests)
        {
            if (request.Length > RequestRecordLength)
            {
                return $"request '{request[..Math.Min(request.Length, 40)]}...' has {request.Length} characters; a request record holds {RequestRecordLength}";
            }

            if (request.Any(c => c is < ' ' or > '~'))
            {
                return $"request '{Runtime.Events.PeerText.Escape(request, 40)}' holds a character a request record cannot carry (printable ASCII only)";
            }
        }

        return null;
    }

    /// <summary>
    /// What an MVS job writing <c>DSN=CTAPE.COMMAND.REQUEST,LABEL=(1,SL),RECFM=FB,LRECL=80</c> puts on
    /// the volume: after the existing VOL1, HDR1 HDR2 TM records TM EOF1 EOF2 TM TM.
    /// </summary>
    private static void WriteRequestDataSet(DriveSession session, string serial, IReadOnlyList<string> requests)
    {
        Span<byte> label = stackalloc byte[80];
        var outcome = session.ReadBlock(label, out int length);
        if (outcome != BlockReadOutcome.Block || !Vol1Label.TryParse(label[..length], LabelEncoding.Ebcdic, out var vol1) || vol1!.VolumeSerial != serial)
        {
            throw new InvalidDataException($"command volume {serial} has no VOL1 naming it");
        }

        const int recordsPerBlock = 100;
        var header1 = new DataSetLabel1(DataSetLabelKind.Header, "CTAPE.COMMAND.REQUEST", serial, CreationDate: DateOnly.FromDateTime(DateTime.UtcNow));
        var header2 = new DataSetLabel2(DataSetLabelKind.Header, 'F', RequestRecordLength * recordsPerBlock, RequestRecordLength);
        session.WriteBlock(header1.ToBytes());
        session.WriteBlock(header2.ToBytes());
        session.WriteTapeMarks(1);
        long blocks = 0;
        foreach (var chunk in requests.Chunk(recordsPerBlock))
        {
            var block = new byte[chunk.Length * RequestRecordLength];
            for (int i = 0; i < chunk.Length; i++)
            {
                if (chunk[i].Length > RequestRecordLength)
                {
                    throw new ArgumentException($"request '{chunk[i]}' is longer than {RequestRecordLength} characters", nameof(requests));
                }

                Ebcdic.EncodePadded(chunk[i], block.AsSpan(i * RequestRecordLength, RequestRecordLength));
            }

            session.WriteBlock(block);
            blocks++;
        }

        session.WriteTapeMarks(1);
        session.WriteBlock((header1 with { Kind = DataSetLabelKind.EndOfFile, BlockCount = blocks }).ToBytes());
        session.WriteBlock((header2 with { Kind = DataSetLabelKind.EndOfFile }).ToBytes());
        session.WriteTapeMarks(2);
    }
}
