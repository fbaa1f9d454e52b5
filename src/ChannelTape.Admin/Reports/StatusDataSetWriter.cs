using ChannelTape.Labels;
using ChannelTape.Media;
using ChannelTape.Text;

namespace ChannelTape.Admin.Reports;

/// <summary>
/// Writes a status report as one IBM standard-labelled data set (issue 5, item 2):
/// <c>VOL1 HDR1 HDR2 TM blocks TM EOF1 EOF2 TM TM</c>, RECFM=FB, LRECL=160, BLKSIZE=32000,
/// EBCDIC. Rows stream through one reused block buffer, so memory does not grow with the report.
/// </summary>
public sealed class StatusDataSetWriter
{
    private readonly ITapeMedia _media;
    private readonly ReportLayout _layout;
    private readonly byte[] _block = new byte[ReportLayout.BlockSize];
    private readonly char[] _record = new char[ReportLayout.RecordLength];
    private int _recordsInBlock;
    private long _blocks;
    private long _dataRecords;

    private StatusDataSetWriter(ITapeMedia media, ReportLayout layout)
    {
        _media = media;
        _layout = layout;
    }

    /// <summary>Number of data blocks written so far (EOF1 block count).</summary>
    public long BlockCount => _blocks;

    /// <summary>
    /// Writes the whole data set for <paramref name="rows"/> onto <paramref name="media"/>
    /// (positioned at load point, writable) and returns the number of data records.
    /// </summary>
    public static long Write(
        ITapeMedia media,
        string volumeSerial,
        ReportLayout layout,
        string selector,
        DateTimeOffset created,
        IEnumerable<IReadOnlyList<string?>> rows)
    {
        var header1 = new DataSetLabel1(
            DataSetLabelKind.Header,
            layout.DataSetName,
            volumeSerial,
            CreationDate: DateOnly.FromDateTime(created.UtcDateTime));
        var header2 = new DataSetLabel2(DataSetLabelKind.Header, 'F', ReportLayout.BlockSize, ReportLayout.RecordLength);
        var writer = new StatusDataSetWriter(media, layout);
        LabelledVolumeWriter.WriteHeader(media, new Vol1Label(volumeSerial, "CHANNELTAPE"), header1, header2);

        ReportLayout.FormatHeader(layout.ReportName, created, selector, writer._record);
        writer.AddRecord();
        foreach (var row in rows)
        {
            layout.FormatData(row, writer._record);
            writer.AddRecord();
            writer._dataRecords++;
        }

        ReportLayout.FormatTrailer(writer._dataRecords, writer._record);
        writer.AddRecord();
        writer.FlushBlock();
        LabelledVolumeWriter.WriteTrailer(media, header1, header2, writer._blocks);
        return writer._dataRecords;
    }

    private void AddRecord()
    {
        Ebcdic.Encode(_record, _block.AsSpan(_recordsInBlock * ReportLayout.RecordLength, ReportLayout.RecordLength));
        if (++_recordsInBlock == ReportLayout.RecordsPerBlock)
        {
            FlushBlock();
        }
    }

    private void FlushBlock()
    {
        if (_recordsInBlock == 0)
        {
            return;
        }

        // FB: the last block may be short (a whole number of records).
        var status = _media.Write(_block.AsSpan(0, _recordsInBlock * ReportLayout.RecordLength));
        if (status != MediaStatus.Ok)
        {
            throw new LabelWriteException(status, $"{_layout.ReportName} block {_blocks + 1}");
        }

        _blocks++;
        _recordsInBlock = 0;
    }
}
