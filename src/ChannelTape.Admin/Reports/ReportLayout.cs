using System.Collections.Frozen;

namespace ChannelTape.Admin.Reports;

/// <summary>Alignment of a value inside its fixed-width column.</summary>
public enum ColumnAlignment
{
    /// <summary>Text: left-justified, blank-padded.</summary>
    Left,
    /// <summary>Numbers: right-justified, blank-padded (COBOL reads them as PIC Z(n)9).</summary>
    Right,
}

/// <summary>One fixed-width column of a status record (docs/admin-volumes.md lists every layout).</summary>
public sealed record ReportColumn(string Name, int Width, ColumnAlignment Alignment, string Description);

/// <summary>Record type, the first character of every record of a status data set.</summary>
public static class RecordType
{
    /// <summary>First record: report name, layout version, creation time, selector.</summary>
    public const char Header = 'H';
    /// <summary>One row of the report.</summary>
    public const char Data = 'D';
    /// <summary>Last record: number of data records.</summary>
    public const char Trailer = 'T';
}

/// <summary>
/// The fixed-column layout of one report: byte 0 the record type, then each column at a fixed
/// offset, separated by one blank, so the record reads in a listing as well as in a COBOL copybook.
/// Layouts are part of the product's interface: columns are only ever appended, never moved.
/// </summary>
public sealed class ReportLayout
{
    /// <summary>Logical record length of every status data set (HDR2 LRECL).</summary>
    public const int RecordLength = 160;

    /// <summary>Records per block: BLKSIZE = 32000 (HDR2), below the 32760 limit of non-large-block access methods.</summary>
    public const int RecordsPerBlock = 200;

    public const int BlockSize = RecordLength * RecordsPerBlock;

    /// <summary>
    /// Version of the layouts, in the header record; raised when a column is appended. 02: POOLNAME appended to
    /// VOLUMES, SCRATCH and POOLS (pool names have up to 16 characters; POOL shows 8), VOLUMES' DSN narrowed
    /// from 44 to the 17 characters a label holds to make room. 03: SERVER appended to VOLUMES and MOUNTS (which
    /// server of a shared library holds each mount).
    /// </summary>
    public const string LayoutVersion = "03";

    private readonly FrozenDictionary<string, int> _indexByName;

    public ReportLayout(string reportName, string dataSetName, IReadOnlyList<ReportColumn> columns)
    {
        ReportName = reportName;
        DataSetName = dataSetName;
        Columns = columns;
        var offsets = new int[columns.Count];
        int offset = 2; // record type, blank
        for (int i = 0; i < columns.Count; i++)
        {
            offsets[i] = offset;
            offset += columns[i].Width + 1;
        }

        if (offset - 1 > RecordLength)
        {
            throw new ArgumentException($"report {reportName} needs {offset - 1} characters, more than LRECL {RecordLength}", nameof(columns));
        }

        Offsets = offsets;
        _indexByName = columns.Select((c, i) => (c.Name, i)).ToFrozenDictionary(p => p.Name, p => p.i);
    }

    /// <summary>Report name (DRIVES, VOLUMES, ...), also the last qualifier of the data set name.</summary>
    public string ReportName { get; }

    /// <summary>Data set name written in HDR1 (its last 17 characters).</summary>
    public string DataSetName { get; }

    public IReadOnlyList<ReportColumn> Columns { get; }

    /// <summary>Offset of each column in the record (0-based).</summary>
    public IReadOnlyList<int> Offsets { get; }

    public int IndexOf(string columnName) =>
        _indexByName.TryGetValue(columnName, out int index)
            ? index
            : throw new KeyNotFoundException($"report {ReportName} has no column {columnName}");

    /// <summary>
    /// Formats a data record. Values longer than their column are cut (text) or shown as
    /// all '*' (numbers, as COBOL edited fields overflow), never shifted into the next column.
    /// </summary>
    public void FormatData(IReadOnlyList<string?> values, Span<char> record)
    {
        if (values.Count != Columns.Count)
        {
            throw new ArgumentException($"report {ReportName} has {Columns.Count} columns, got {values.Count} values", nameof(values));
        }

        record[..RecordLength].Fill(' ');
        record[0] = RecordType.Data;
        for (int i = 0; i < Columns.Count; i++)
        {
            Put(record.Slice(Offsets[i], Columns[i].Width), values[i] ?? string.Empty, Columns[i].Alignment);
        }
    }

    /// <summary>Header record: <c>H CTAPE-STATUS report version yyyy-MM-dd HH:mm:ss selector</c>.</summary>
    public static void FormatHeader(string reportName, DateTimeOffset created, string selector, Span<char> record)
    {
        record[..RecordLength].Fill(' ');
        string text = $"{RecordType.Header} CTAPE-STATUS {reportName,-8} {LayoutVersion} {created.UtcDateTime:yyyy-MM-dd HH:mm:ss} {selector,-8}";
        text.AsSpan(0, Math.Min(text.Length, RecordLength)).CopyTo(record);
    }

    /// <summary>Trailer record: <c>T</c> and the number of data records, 12 digits.</summary>
    public static void FormatTrailer(long dataRecords, Span<char> record)
    {
        record[..RecordLength].Fill(' ');
        string text = $"{RecordType.Trailer} {dataRecords:D12}";
        text.AsSpan().CopyTo(record);
    }

    /// <summary>
    /// Reads the values of a data record: numbers blank-trimmed, text without its trailing padding
    /// (leading blanks are part of the text, e.g. the indentation of a CONFIG line).
    /// </summary>
    public string[] ParseData(ReadOnlySpan<char> record)
    {
        if (record.Length < RecordLength || record[0] != RecordType.Data)
        {
            throw new FormatException($"not a {ReportName} data record");
        }

        var values = new string[Columns.Count];
        for (int i = 0; i < Columns.Count; i++)
        {
            var field = record.Slice(Offsets[i], Columns[i].Width);
            values[i] = (Columns[i].Alignment == ColumnAlignment.Right ? field.Trim() : field.TrimEnd()).ToString();
        }

        return values;
    }

    /// <summary>
    /// The layout as a Markdown table (column, offset, length, alignment, meaning); offsets are
    /// 1-based as in a COBOL copybook or an assembler DSECT listing. docs/admin-volumes.md holds
    /// these tables and a test keeps them equal to the code.
    /// </summary>
    public string ToMarkdownTable()
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine("| column | position | length | alignment | meaning |");
        text.AppendLine("|---|---|---|---|---|");
        text.AppendLine("| record type | 1 | 1 | | `D` |");
        for (int i = 0; i < Columns.Count; i++)
        {
            var column = Columns[i];
            text.Append("| ").Append(column.Name).Append(" | ").Append(Offsets[i] + 1).Append(" | ").Append(column.Width)
                .Append(" | ").Append(column.Alignment == ColumnAlignment.Right ? "right" : "left").Append(" | ")
                .Append(column.Description).AppendLine(" |");
        }

        return text.ToString();
    }

    private static void Put(Span<char> field, string value, ColumnAlignment alignment)
    {
        if (value.Length > field.Length)
        {
            if (alignment == ColumnAlignment.Right)
            {
                field.Fill('*');
            }
            else
            {
                value.AsSpan(0, field.Length).CopyTo(field);
            }

            return;
        }

        if (alignment == ColumnAlignment.Right)
        {
            value.AsSpan().CopyTo(field[(field.Length - value.Length)..]);
        }
        else
        {
            value.AsSpan().CopyTo(field);
        }
    }
}
