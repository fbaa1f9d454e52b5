using ChannelTape.Labels;
using ChannelTape.Media;
using ChannelTape.Text;

namespace ChannelTape.Admin.Reports;

/// <summary>What reading one block from a volume gave.</summary>
public enum BlockReadOutcome
{
    Block,
    TapeMark,
    /// <summary>No more data, or a unit check: the volume ends here.</summary>
    End,
}

/// <summary>Something blocks can be read from in order: a mounted image, or a drive through a channel.</summary>
public interface ITapeBlockSource
{
    BlockReadOutcome ReadBlock(Span<byte> buffer, out int length);
}

/// <summary>Reads blocks straight from an image (export checks, tests).</summary>
public sealed class MediaBlockSource(ITapeMedia media) : ITapeBlockSource
{
    // ITapeMedia reads need a buffer of MaxBlockSize; the caller's may be smaller.
    private readonly byte[] _block = new byte[media.MaxBlockSize];

    public BlockReadOutcome ReadBlock(Span<byte> buffer, out int length)
    {
        var status = media.ReadForward(_block, out length);
        if (status == MediaStatus.TapeMark)
        {
            length = 0;
            return BlockReadOutcome.TapeMark;
        }

        if (status != MediaStatus.Ok || length > buffer.Length)
        {
            length = 0;
            return BlockReadOutcome.End;
        }

        _block.AsSpan(0, length).CopyTo(buffer);
        return BlockReadOutcome.Block;
    }
}

/// <summary>The header record of a status data set.</summary>
public sealed record StatusHeader(string ReportName, string LayoutVersion, DateTimeOffset Created, string Selector);

/// <summary>
/// Reads and verifies a status data set the way an MVS program would (docs/reference/labels-and-libraries.md §3):
/// VOL1 names the expected volume, HDR1/HDR2 describe RECFM=FB LRECL=160, the data ends with a
/// trailer record whose count matches, and EOF1's block count equals the blocks read.
/// Anything else is <see cref="InvalidDataException"/> with the reason.
/// </summary>
public sealed class StatusDataSetReader
{
    private readonly ITapeBlockSource _source;
    private readonly byte[] _block = new byte[ReportLayout.BlockSize + 1];

    public StatusDataSetReader(ITapeBlockSource source) => _source = source;

    public Vol1Label? Volume { get; private set; }

    public DataSetLabel1? Header1 { get; private set; }

    public DataSetLabel2? Header2 { get; private set; }

    public StatusHeader? Header { get; private set; }

    /// <summary>Data records as text (EBCDIC decoded), in order; verification completes when the enumeration ends.</summary>
    public IEnumerable<string> ReadDataRecords(string expectedVolumeSerial)
    {
        Volume = Vol1Label.TryParse(ReadLabel("VOL1"), LabelEncoding.Ebcdic, out var vol1) ? vol1 : throw Bad("first block is not VOL1");
        if (vol1!.VolumeSerial != expectedVolumeSerial)
        {
            throw Bad($"VOL1 names {vol1.VolumeSerial}, expected {expectedVolumeSerial}");
        }

        Header1 = DataSetLabel1.TryParse(ReadLabel("HDR1"), LabelEncoding.Ebcdic, out var hdr1) && hdr1!.Kind == DataSetLabelKind.Header
            ? hdr1 : throw Bad("second block is not HDR1");
        Header2 = DataSetLabel2.TryParse(ReadLabel("HDR2"), LabelEncoding.Ebcdic, out var hdr2) && hdr2!.Kind == DataSetLabelKind.Header
            ? hdr2 : throw Bad("third block is not HDR2");
        if (hdr2!.RecordFormat != 'F' || hdr2.RecordLength != ReportLayout.RecordLength)
        {
            throw Bad($"HDR2 says RECFM={hdr2.RecordFormat} LRECL={hdr2.RecordLength}, expected F and {ReportLayout.RecordLength}");
        }

        ExpectTapeMark("after the header labels");
        long blocks = 0;
        long dataRecords = 0;
        long? trailerCount = null;
        var record = new char[ReportLayout.RecordLength];
        while (true)
        {
            var outcome = _source.ReadBlock(_block, out int length);
            if (outcome == BlockReadOutcome.TapeMark)
            {
                break;
            }

            if (outcome == BlockReadOutcome.End)
            {
                throw Bad("volume ends inside the data set");
            }

            if (length == 0 || length % ReportLayout.RecordLength != 0 || length > hdr2.BlockLength)
            {
                throw Bad($"block {blocks + 1} is {length} bytes, not a multiple of LRECL within BLKSIZE {hdr2.BlockLength}");
            }

            blocks++;
            for (int offset = 0; offset < length; offset += ReportLayout.RecordLength)
            {
                for (int i = 0; i < record.Length; i++)
                {
                    record[i] = Ebcdic.ToChar(_block[offset + i]);
                }

                if (trailerCount is not null)
                {
                    throw Bad("records after the trailer record");
                }

                switch (record[0])
                {
                    case RecordType.Header when blocks == 1 && offset == 0:
                        Header = ParseHeader(record);
                        break;
                    case RecordType.Data when Header is not null:
                        dataRecords++;
                        yield return new string(record);
                        break;
                    case RecordType.Trailer when Header is not null:
                        trailerCount = long.TryParse(record.AsSpan(2, 12), out long count) ? count : throw Bad("trailer record without a count");
                        break;
                    default:
                        throw Bad($"unexpected record type '{record[0]}' in block {blocks}");
                }
            }
        }

        if (trailerCount != dataRecords)
        {
            throw Bad(trailerCount is null ? "no trailer record" : $"trailer counts {trailerCount} records, read {dataRecords}");
        }

        var eof1 = DataSetLabel1.TryParse(ReadLabel("EOF1"), LabelEncoding.Ebcdic, out var e1) && e1!.Kind == DataSetLabelKind.EndOfFile
            ? e1 : throw Bad("no EOF1 after the data");
        if (eof1!.BlockCount != blocks)
        {
            throw Bad($"EOF1 block count {eof1.BlockCount}, read {blocks} blocks");
        }

        if (!DataSetLabel2.TryParse(ReadLabel("EOF2"), LabelEncoding.Ebcdic, out var e2) || e2!.Kind != DataSetLabelKind.EndOfFile)
        {
            throw Bad("no EOF2 after EOF1");
        }

        ExpectTapeMark("after the trailer labels");
    }

    private static StatusHeader ParseHeader(char[] record)
    {
        // H CTAPE-STATUS report__ vv yyyy-MM-dd HH:mm:ss selector
        var text = new string(record);
        if (!text.StartsWith("H CTAPE-STATUS ", StringComparison.Ordinal))
        {
            throw Bad("header record does not start with 'H CTAPE-STATUS'");
        }

        string report = text.Substring(15, 8).TrimEnd();
        string version = text.Substring(24, 2);
        if (!DateTimeOffset.TryParseExact(text.AsSpan(27, 19), "yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal, out var created))
        {
            throw Bad("header record has no valid creation time");
        }

        return new StatusHeader(report, version, created, text.Substring(47, 8).TrimEnd());
    }

    private byte[] ReadLabel(string what)
    {
        var outcome = _source.ReadBlock(_block, out int length);
        if (outcome != BlockReadOutcome.Block || length != 80)
        {
            throw Bad($"expected the {what} label, got {(outcome == BlockReadOutcome.Block ? $"a {length}-byte block" : outcome.ToString())}");
        }

        return _block[..80];
    }

    private void ExpectTapeMark(string where)
    {
        if (_source.ReadBlock(_block, out _) != BlockReadOutcome.TapeMark)
        {
            throw Bad($"no tape mark {where}");
        }
    }

    private static InvalidDataException Bad(string reason) => new($"status data set: {reason}");
}
