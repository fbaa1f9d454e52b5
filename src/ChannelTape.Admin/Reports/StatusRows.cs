using System.Globalization;
using ChannelTape.Labels;

namespace ChannelTape.Admin.Reports;

/// <summary>
/// A typed row of a status report: the server turns live state into rows and writes them with
/// their report's layout; the library management client reads records back into the same type.
/// </summary>
public interface IStatusRow<TSelf> where TSelf : IStatusRow<TSelf>
{
    static abstract ReportLayout Layout { get; }

    /// <summary>Column values in layout order, formatted as the report shows them.</summary>
    IReadOnlyList<string?> ToValues();

    /// <summary>Parses the values of one data record (layout order, blank-trimmed).</summary>
    static abstract TSelf FromValues(IReadOnlyList<string> values);
}

/// <summary>Formatting and parsing of the value kinds reports use.</summary>
public static class StatusValues
{
    public const string TimestampFormat = "yyyy-MM-dd HH:mm:ss";
    public const string DateFormat = "yyyy-MM-dd";

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Hex4(int value) => value.ToString("X4", CultureInfo.InvariantCulture);

    public static string Flag(bool value) => value ? "Y" : "N";

    // Dates and times are written and parsed digit by digit: a report of a million volumes has
    // two dates per row, and a custom format string costs more than the rest of the row.
    public static string Timestamp(DateTimeOffset? value) =>
        value is { } v ? string.Create(TimestampFormat.Length, v.UtcDateTime, static (text, time) =>
        {
            WriteDate(text, time);
            text[10] = ' ';
            WriteDigits(text.Slice(11, 2), time.Hour);
            text[13] = ':';
            WriteDigits(text.Slice(14, 2), time.Minute);
            text[16] = ':';
            WriteDigits(text.Slice(17, 2), time.Second);
        }) : string.Empty;

    public static string Date(DateTimeOffset? value) =>
        value is { } v ? string.Create(DateFormat.Length, v.UtcDateTime, static (text, time) => WriteDate(text, time)) : string.Empty;

    /// <summary>The whole pool name: column POOLNAME (layout 02) when the record has it, else the 8 characters of POOL.</summary>
    public static string WholePool(IReadOnlyList<string> values, int poolName, int pool) =>
        values.Count > poolName && values[poolName].Length > 0 ? values[poolName] : values[pool];

    public static long ParseNumber(string text) =>
        long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    public static double ParseDecimal(string text) =>
        double.Parse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);

    public static int ParseHex4(string text) => int.Parse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    public static bool ParseFlag(string text) => text == "Y";

    public static DateTimeOffset? ParseTimestamp(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        if (text.Length != TimestampFormat.Length || text[10] != ' ' || text[13] != ':' || text[16] != ':')
        {
            throw new FormatException($"'{text}' is not a time {TimestampFormat}");
        }

        var day = ParseDay(text.AsSpan(0, 10));
        return new DateTimeOffset(day.Year, day.Month, day.Day, ReadDigits(text, 11, 2, 23), ReadDigits(text, 14, 2, 59), ReadDigits(text, 17, 2, 59), TimeSpan.Zero);
    }

    public static DateTimeOffset? ParseDate(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        if (text.Length != DateFormat.Length)
        {
            throw new FormatException($"'{text}' is not a date {DateFormat}");
        }

        var day = ParseDay(text);
        return new DateTimeOffset(day.Year, day.Month, day.Day, 0, 0, 0, TimeSpan.Zero);
    }

    private static DateOnly ParseDay(ReadOnlySpan<char> text)
    {
        if (text[4] != '-' || text[7] != '-')
        {
            throw new FormatException($"'{text}' is not a date {DateFormat}");
        }

        int year = ReadDigits(text, 0, 4, 9999), month = ReadDigits(text, 5, 2, 12), day = ReadDigits(text, 8, 2, 31);
        return year >= 1 && month >= 1 && day >= 1 && day <= DateTime.DaysInMonth(year, month)
            ? new DateOnly(year, month, day)
            : throw new FormatException($"'{text}' is not a date");
    }

    private static int ReadDigits(ReadOnlySpan<char> text, int start, int count, int maximum)
    {
        int value = 0;
        foreach (char c in text.Slice(start, count))
        {
            value = c is >= '0' and <= '9' ? value * 10 + (c - '0') : throw new FormatException($"'{text}' has '{c}' where a digit belongs");
        }

        return value <= maximum ? value : throw new FormatException($"'{text}': {value} is out of range");
    }

    private static void WriteDate(Span<char> text, DateTime time)
    {
        WriteDigits(text[..4], time.Year);
        text[4] = '-';
        WriteDigits(text.Slice(5, 2), time.Month);
        text[7] = '-';
        WriteDigits(text.Slice(8, 2), time.Day);
    }

    private static void WriteDigits(Span<char> field, int value)
    {
        for (int i = field.Length - 1; i >= 0; i--)
        {
            field[i] = (char)('0' + (value % 10));
            value /= 10;
        }
    }
}

/// <summary>One drive (report DRIVES).</summary>
public sealed record DriveStatusRow(
    int DeviceNumber, string Model, string State, string VolumeSerial, bool ReadOnly, long File, long Block,
    long BlocksRead, long BytesRead, long BlocksWritten, long BytesWritten, string Display, string Request,
    DateTimeOffset? Mounted) : IStatusRow<DriveStatusRow>
{
    public static ReportLayout Layout => StatusReports.Drives;

    public IReadOnlyList<string?> ToValues() =>
    [
        StatusValues.Hex4(DeviceNumber), Model, State, VolumeSerial, StatusValues.Flag(ReadOnly), StatusValues.Number(File),
        StatusValues.Number(Block), StatusValues.Number(BlocksRead), StatusValues.Number(BytesRead),
        StatusValues.Number(BlocksWritten), StatusValues.Number(BytesWritten), Display, Request, StatusValues.Timestamp(Mounted),
    ];

    public static DriveStatusRow FromValues(IReadOnlyList<string> v) => new(
        StatusValues.ParseHex4(v[0]), v[1], v[2], v[3], StatusValues.ParseFlag(v[4]), StatusValues.ParseNumber(v[5]),
        StatusValues.ParseNumber(v[6]), StatusValues.ParseNumber(v[7]), StatusValues.ParseNumber(v[8]),
        StatusValues.ParseNumber(v[9]), StatusValues.ParseNumber(v[10]), v[11], v[12], StatusValues.ParseTimestamp(v[13]));
}

/// <summary>
/// One volume of the catalog (report VOLUMES). <c>Server</c>: on a shared library the server holding the volume
/// while it is mounted (the first 12 characters of its name); else empty.
/// </summary>
public sealed record VolumeStatusRow(
    string VolumeSerial, string Pool, string Status, string Media, string Label, bool ReadOnly, long Capacity, long Used,
    long Blocks, long Mounts, DateTimeOffset? Created, DateTimeOffset? LastMounted, string DataSetName, string Server = "") : IStatusRow<VolumeStatusRow>
{
    /// <summary>Characters of a server name the VOLUMES record holds.</summary>
    public const int ServerWidth = 12;

    public static ReportLayout Layout => StatusReports.Volumes;

    public IReadOnlyList<string?> ToValues() =>
    [
        VolumeSerial, Pool, Status, Media, Label, StatusValues.Flag(ReadOnly), StatusValues.Number(Capacity),
        StatusValues.Number(Used), StatusValues.Number(Blocks), StatusValues.Number(Mounts), StatusValues.Date(Created),
        StatusValues.Date(LastMounted), DataSetName, Pool, Server,
    ];

    public static VolumeStatusRow FromValues(IReadOnlyList<string> v) => new(
        v[0], StatusValues.WholePool(v, 13, 1), v[2], v[3], v[4], StatusValues.ParseFlag(v[5]), StatusValues.ParseNumber(v[6]), StatusValues.ParseNumber(v[7]),
        StatusValues.ParseNumber(v[8]), StatusValues.ParseNumber(v[9]), StatusValues.ParseDate(v[10]), StatusValues.ParseDate(v[11]), v[12],
        v.Count > 14 ? v[14] : "");
}

/// <summary>One scratch volume (report SCRATCH).</summary>
public sealed record ScratchVolumeRow(string Pool, string VolumeSerial, string Media, long Capacity) : IStatusRow<ScratchVolumeRow>
{
    public static ReportLayout Layout => StatusReports.Scratch;

    public IReadOnlyList<string?> ToValues() => [Pool, VolumeSerial, Media, StatusValues.Number(Capacity), Pool];

    public static ScratchVolumeRow FromValues(IReadOnlyList<string> v) => new(StatusValues.WholePool(v, 4, 0), v[1], v[2], StatusValues.ParseNumber(v[3]));
}

/// <summary>One pool (report POOLS).</summary>
public sealed record PoolStatusRow(
    string Pool, string Media, string Label, long Volumes, long Scratch, long Private, long Mounted, long Capacity, long Used)
    : IStatusRow<PoolStatusRow>
{
    public static ReportLayout Layout => StatusReports.Pools;

    /// <summary>Used as a percentage of capacity, one decimal (0 for a pool without capacity).</summary>
    public double PercentUsed => Capacity == 0 ? 0 : Math.Round(100.0 * Used / Capacity, 1);

    public IReadOnlyList<string?> ToValues() =>
    [
        Pool, Media, Label, StatusValues.Number(Volumes), StatusValues.Number(Scratch), StatusValues.Number(Private),
        StatusValues.Number(Mounted), StatusValues.Number(Capacity), StatusValues.Number(Used),
        PercentUsed.ToString("0.0", CultureInfo.InvariantCulture), Pool,
    ];

    public static PoolStatusRow FromValues(IReadOnlyList<string> v) => new(
        StatusValues.WholePool(v, 10, 0), v[1], v[2], StatusValues.ParseNumber(v[3]), StatusValues.ParseNumber(v[4]), StatusValues.ParseNumber(v[5]),
        StatusValues.ParseNumber(v[6]), StatusValues.ParseNumber(v[7]), StatusValues.ParseNumber(v[8]));
}

/// <summary>
/// One mount (report MOUNTS). <c>Server</c>: on a shared library the server whose drive it is (the first 64
/// characters of its name); else empty.
/// </summary>
public sealed record MountStatusRow(
    int DeviceNumber, string VolumeSerial, string Kind, DateTimeOffset Requested, DateTimeOffset? Mounted, DateTimeOffset? Unmounted, string Server = "")
    : IStatusRow<MountStatusRow>
{
    /// <summary>Characters of a server name the MOUNTS record holds.</summary>
    public const int ServerWidth = 64;

    public static ReportLayout Layout => StatusReports.Mounts;

    /// <summary>Milliseconds from request to ready, null while not mounted.</summary>
    public long? LatencyMilliseconds => Mounted is { } m ? (long)(m - Requested).TotalMilliseconds : null;

    public IReadOnlyList<string?> ToValues() =>
    [
        StatusValues.Hex4(DeviceNumber), VolumeSerial, Kind, StatusValues.Timestamp(Requested), StatusValues.Timestamp(Mounted),
        StatusValues.Timestamp(Unmounted), LatencyMilliseconds is { } ms ? StatusValues.Number(ms) : string.Empty, Server,
    ];

    public static MountStatusRow FromValues(IReadOnlyList<string> v) => new(
        StatusValues.ParseHex4(v[0]), v[1], v[2], StatusValues.ParseTimestamp(v[3]) ?? throw new FormatException("mount without request time"),
        StatusValues.ParseTimestamp(v[4]), StatusValues.ParseTimestamp(v[5]), v.Count > 7 ? v[7] : "");
}

/// <summary>One statistic (report STATS).</summary>
public sealed record StatisticRow(string Name, string Value, string Unit) : IStatusRow<StatisticRow>
{
    public static ReportLayout Layout => StatusReports.Statistics;

    public IReadOnlyList<string?> ToValues() => [Name, Value, Unit];

    public static StatisticRow FromValues(IReadOnlyList<string> v) => new(v[0], v[1], v[2]);
}

/// <summary>One line of the effective configuration (report CONFIG).</summary>
public sealed record ConfigurationLineRow(long Line, string Text) : IStatusRow<ConfigurationLineRow>
{
    public static ReportLayout Layout => StatusReports.Configuration;

    public IReadOnlyList<string?> ToValues() => [StatusValues.Number(Line), Text];

    public static ConfigurationLineRow FromValues(IReadOnlyList<string> v) => new(StatusValues.ParseNumber(v[0]), v[1]);
}

/// <summary>One recorded event (report EVENTS).</summary>
public sealed record EventRow(
    DateTimeOffset Time, int DeviceNumber, string VolumeSerial, string Kind, string Opcode, string Sense, string Era, string Text)
    : IStatusRow<EventRow>
{
    public static ReportLayout Layout => StatusReports.Events;

    public IReadOnlyList<string?> ToValues() =>
        [StatusValues.Timestamp(Time), StatusValues.Hex4(DeviceNumber), VolumeSerial, Kind, Opcode, Sense, Era, Text];

    public static EventRow FromValues(IReadOnlyList<string> v) => new(
        StatusValues.ParseTimestamp(v[0]) ?? throw new FormatException("event without time"), StatusValues.ParseHex4(v[1]),
        v[2], v[3], v[4], v[5], v[6], v[7]);
}

/// <summary>The outcome of one request of a command volume (report RESPONSE).</summary>
public sealed record CommandResponseRow(long Sequence, string Result, string Command, string Message) : IStatusRow<CommandResponseRow>
{
    public const string Done = "DONE";
    public const string Error = "ERROR";
    public const string NotDone = "NOTDONE";

    public static ReportLayout Layout => StatusReports.CommandResponse;

    public IReadOnlyList<string?> ToValues() => [StatusValues.Number(Sequence), Result, Command, Message];

    public static CommandResponseRow FromValues(IReadOnlyList<string> v) => new(StatusValues.ParseNumber(v[0]), v[1], v[2], v[3]);
}
