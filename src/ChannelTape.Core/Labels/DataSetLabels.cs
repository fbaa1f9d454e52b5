namespace ChannelTape.Labels;

/// <summary>Which of the label groups a data set label belongs to (first four characters).</summary>
public enum DataSetLabelKind
{
    /// <summary>HDR1 / HDR2: before the data set.</summary>
    Header,
    /// <summary>EOF1 / EOF2: after the data set.</summary>
    EndOfFile,
    /// <summary>EOV1 / EOV2: end of volume, the data set continues on the next volume.</summary>
    EndOfVolume,
}

internal static class DataSetLabelKindNames
{
    public static string Prefix(DataSetLabelKind kind) => kind switch
    {
        DataSetLabelKind.Header => "HDR",
        DataSetLabelKind.EndOfFile => "EOF",
        DataSetLabelKind.EndOfVolume => "EOV",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static DataSetLabelKind? FromPrefix(string prefix) => prefix switch
    {
        "HDR" => DataSetLabelKind.Header,
        "EOF" => DataSetLabelKind.EndOfFile,
        "EOV" => DataSetLabelKind.EndOfVolume,
        _ => null,
    };
}

/// <summary>
/// HDR1 / EOF1 / EOV1 (docs/reference/labels-and-libraries.md §1 "HDR1"; IBM SC23-6858 "Data Set Label 1").
/// The data set identifier holds the rightmost 17 characters of the data set name.
/// </summary>
public sealed record DataSetLabel1(
    DataSetLabelKind Kind,
    string DataSetIdentifier,
    string DataSetSerial,
    int VolumeSequence = 1,
    int DataSetSequence = 1,
    DateOnly? CreationDate = null,
    DateOnly? ExpirationDate = null,
    long BlockCount = 0,
    string SystemCode = "CHANNELTAPE",
    LabelEncoding Encoding = LabelEncoding.Ebcdic)
{
    private const int IdentifierOffset = 0;          // 4
    private const int DataSetIdentifierOffset = 4;   // 17
    private const int DataSetSerialOffset = 21;      // 6
    private const int VolumeSequenceOffset = 27;     // 4
    private const int DataSetSequenceOffset = 31;    // 4
    private const int GenerationOffset = 35;         // 4
    private const int VersionOffset = 39;            // 2
    private const int CreationDateOffset = 41;       // 6
    private const int ExpirationDateOffset = 47;     // 6
    private const int SecurityOffset = 53;           // 1
    private const int BlockCountOffset = 54;         // 6 (low-order digits)
    private const int SystemCodeOffset = 60;         // 13
    private const int BlockCountHighOffset = 76;     // 4 (high-order digits, SL only)
    private const long LowBlockCountModulus = 1_000_000;

    /// <summary>The data set identifier for a full data set name: its rightmost 17 characters.</summary>
    public static string IdentifierFor(string dataSetName) =>
        dataSetName.Length <= 17 ? dataSetName : dataSetName[^17..];

    public void WriteTo(Span<byte> label)
    {
        LabelFields.Fill(label[..LabelFields.LabelLength], Encoding);
        LabelFields.PutText(label, IdentifierOffset, 4, DataSetLabelKindNames.Prefix(Kind) + "1", Encoding);
        LabelFields.PutText(label, DataSetIdentifierOffset, 17, IdentifierFor(DataSetIdentifier), Encoding);
        LabelFields.PutText(label, DataSetSerialOffset, 6, DataSetSerial, Encoding);
        LabelFields.PutNumber(label, VolumeSequenceOffset, 4, VolumeSequence, Encoding);
        LabelFields.PutNumber(label, DataSetSequenceOffset, 4, DataSetSequence, Encoding);
        _ = GenerationOffset; // generation and version stay blank: no GDG
        _ = VersionOffset;
        LabelFields.PutText(label, CreationDateOffset, 6, CreationDate is { } created ? LabelFields.FormatDate(created) : "000000", Encoding);
        LabelFields.PutText(label, ExpirationDateOffset, 6, ExpirationDate is { } expires ? LabelFields.FormatDate(expires) : "000000", Encoding);
        LabelFields.PutText(label, SecurityOffset, 1, "0", Encoding);
        LabelFields.PutNumber(label, BlockCountOffset, 6, BlockCount % LowBlockCountModulus, Encoding);
        LabelFields.PutText(label, SystemCodeOffset, 13, SystemCode, Encoding);
        if (Encoding == LabelEncoding.Ebcdic && BlockCount >= LowBlockCountModulus)
        {
            LabelFields.PutNumber(label, BlockCountHighOffset, 4, BlockCount / LowBlockCountModulus, Encoding);
        }
    }

    public byte[] ToBytes()
    {
        var label = new byte[LabelFields.LabelLength];
        WriteTo(label);
        return label;
    }

    public static bool TryParse(ReadOnlySpan<byte> block, LabelEncoding encoding, out DataSetLabel1? label)
    {
        label = null;
        if (block.Length != LabelFields.LabelLength)
        {
            return false;
        }

        string identifier = LabelFields.GetText(block, IdentifierOffset, 4, encoding);
        if (identifier.Length != 4 || identifier[3] != '1' || DataSetLabelKindNames.FromPrefix(identifier[..3]) is not { } kind)
        {
            return false;
        }

        if (!LabelFields.TryGetNumber(block, VolumeSequenceOffset, 4, encoding, out long volumeSequence)
            || !LabelFields.TryGetNumber(block, DataSetSequenceOffset, 4, encoding, out long dataSetSequence)
            || !LabelFields.TryGetNumber(block, BlockCountOffset, 6, encoding, out long blocksLow))
        {
            return false;
        }

        long blocksHigh = 0;
        if (encoding == LabelEncoding.Ebcdic
            && !LabelFields.TryGetNumber(block, BlockCountHighOffset, 4, encoding, out blocksHigh))
        {
            blocksHigh = 0; // reserved blanks in older labels
        }

        label = new DataSetLabel1(
            kind,
            LabelFields.GetText(block, DataSetIdentifierOffset, 17, encoding).TrimEnd(),
            LabelFields.GetText(block, DataSetSerialOffset, 6, encoding).TrimEnd(),
            (int)volumeSequence,
            (int)dataSetSequence,
            LabelFields.ParseDate(LabelFields.GetText(block, CreationDateOffset, 6, encoding)),
            LabelFields.ParseDate(LabelFields.GetText(block, ExpirationDateOffset, 6, encoding)),
            (blocksHigh * LowBlockCountModulus) + blocksLow,
            LabelFields.GetText(block, SystemCodeOffset, 13, encoding).TrimEnd(),
            encoding);
        return true;
    }
}

/// <summary>
/// HDR2 / EOF2 / EOV2 (docs/reference/labels-and-libraries.md §1 "HDR2"; IBM SC23-6858 "Data Set Label 2").
/// Block lengths over 99999 go to the large-block field (offset 70) with 99999 in the old one.
/// </summary>
public sealed record DataSetLabel2(
    DataSetLabelKind Kind,
    char RecordFormat,
    int BlockLength,
    int RecordLength,
    char BlockAttribute = 'B',
    string JobAndStep = "",
    string DeviceSerial = "",
    char Density = ' ',
    LabelEncoding Encoding = LabelEncoding.Ebcdic)
{
    private const int IdentifierOffset = 0;        // 4
    private const int RecordFormatOffset = 4;      // 1
    private const int BlockLengthOffset = 5;       // 5
    private const int RecordLengthOffset = 10;     // 5
    private const int DensityOffset = 15;          // 1
    private const int PositionOffset = 16;         // 1
    private const int JobStepOffset = 17;          // 17
    private const int RecordingOffset = 34;        // 2
    private const int ControlCharacterOffset = 36; // 1
    private const int BlockAttributeOffset = 38;   // 1
    private const int DeviceSerialOffset = 41;     // 6
    private const int LargeBlockOffset = 70;       // 10
    private const int LargestShortBlockLength = 99999;

    public void WriteTo(Span<byte> label)
    {
        LabelFields.Fill(label[..LabelFields.LabelLength], Encoding);
        LabelFields.PutText(label, IdentifierOffset, 4, DataSetLabelKindNames.Prefix(Kind) + "2", Encoding);
        LabelFields.PutText(label, RecordFormatOffset, 1, RecordFormat.ToString(), Encoding);
        bool largeBlock = BlockLength > LargestShortBlockLength;
        LabelFields.PutNumber(label, BlockLengthOffset, 5, largeBlock ? LargestShortBlockLength : BlockLength, Encoding);
        LabelFields.PutNumber(label, RecordLengthOffset, 5, Math.Min(RecordLength, LargestShortBlockLength), Encoding);
        LabelFields.PutText(label, DensityOffset, 1, Density.ToString(), Encoding);
        LabelFields.PutText(label, PositionOffset, 1, "0", Encoding);
        LabelFields.PutText(label, JobStepOffset, 17, JobAndStep, Encoding);
        _ = RecordingOffset;        // blank: no compaction recorded
        _ = ControlCharacterOffset; // blank: no carriage control
        LabelFields.PutText(label, BlockAttributeOffset, 1, BlockAttribute.ToString(), Encoding);
        LabelFields.PutText(label, DeviceSerialOffset, 6, DeviceSerial, Encoding);
        if (largeBlock)
        {
            LabelFields.PutNumber(label, LargeBlockOffset, 10, BlockLength, Encoding);
        }
    }

    public byte[] ToBytes()
    {
        var label = new byte[LabelFields.LabelLength];
        WriteTo(label);
        return label;
    }

    public static bool TryParse(ReadOnlySpan<byte> block, LabelEncoding encoding, out DataSetLabel2? label)
    {
        label = null;
        if (block.Length != LabelFields.LabelLength)
        {
            return false;
        }

        string identifier = LabelFields.GetText(block, IdentifierOffset, 4, encoding);
        if (identifier.Length != 4 || identifier[3] != '2' || DataSetLabelKindNames.FromPrefix(identifier[..3]) is not { } kind)
        {
            return false;
        }

        if (!LabelFields.TryGetNumber(block, BlockLengthOffset, 5, encoding, out long blockLength)
            || !LabelFields.TryGetNumber(block, RecordLengthOffset, 5, encoding, out long recordLength))
        {
            return false;
        }

        if (blockLength == LargestShortBlockLength
            && LabelFields.TryGetNumber(block, LargeBlockOffset, 10, encoding, out long large) && large > 0)
        {
            blockLength = large;
        }

        label = new DataSetLabel2(
            kind,
            LabelFields.GetText(block, RecordFormatOffset, 1, encoding)[0],
            (int)blockLength,
            (int)recordLength,
            LabelFields.GetText(block, BlockAttributeOffset, 1, encoding)[0],
            LabelFields.GetText(block, JobStepOffset, 17, encoding).TrimEnd(),
            LabelFields.GetText(block, DeviceSerialOffset, 6, encoding).TrimEnd(),
            LabelFields.GetText(block, DensityOffset, 1, encoding)[0],
            encoding);
        return true;
    }
}
