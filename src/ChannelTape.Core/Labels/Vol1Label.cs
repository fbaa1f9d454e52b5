namespace ChannelTape.Labels;

/// <summary>
/// VOL1, the first block of a labelled volume (docs/reference/labels-and-libraries.md §1 "VOL1"; IBM SC23-6858
/// appendix "Standard Label Formats"; Hercules <c>sllib.h</c> SLVOL). ANSI (AL) labels keep the
/// owner at offset 37 and the label-standard version at 79.
/// </summary>
public sealed record Vol1Label(string VolumeSerial, string Owner = "", LabelEncoding Encoding = LabelEncoding.Ebcdic)
{
    private const int IdentifierOffset = 0;       // 4: "VOL1"
    private const int VolumeSerialOffset = 4;     // 6
    private const int SecurityOffset = 10;        // 1
    private const int StandardOwnerOffset = 41;   // 10 (SL)
    private const int StandardOwnerLength = 10;
    private const int AnsiOwnerOffset = 37;       // 14 (AL)
    private const int AnsiOwnerLength = 14;
    private const int AnsiVersionOffset = 79;     // 1 (AL: '3' or '4')

    public void WriteTo(Span<byte> label)
    {
        LabelFields.Fill(label[..LabelFields.LabelLength], Encoding);
        LabelFields.PutText(label, IdentifierOffset, 4, "VOL1", Encoding);
        LabelFields.PutText(label, VolumeSerialOffset, 6, VolumeSerial, Encoding);
        if (Encoding == LabelEncoding.Ascii)
        {
            LabelFields.PutText(label, AnsiOwnerOffset, AnsiOwnerLength, Owner, Encoding);
            LabelFields.PutText(label, AnsiVersionOffset, 1, "3", Encoding);
        }
        else
        {
            LabelFields.PutText(label, StandardOwnerOffset, StandardOwnerLength, Owner, Encoding);
        }
    }

    public byte[] ToBytes()
    {
        var label = new byte[LabelFields.LabelLength];
        WriteTo(label);
        return label;
    }

    /// <summary>Parses an 80-byte block as VOL1; false when it is not one (wrong length or identifier).</summary>
    public static bool TryParse(ReadOnlySpan<byte> block, LabelEncoding encoding, out Vol1Label? label)
    {
        label = null;
        if (block.Length != LabelFields.LabelLength
            || LabelFields.GetText(block, IdentifierOffset, 4, encoding) != "VOL1")
        {
            return false;
        }

        string owner = encoding == LabelEncoding.Ascii
            ? LabelFields.GetText(block, AnsiOwnerOffset, AnsiOwnerLength, encoding)
            : LabelFields.GetText(block, StandardOwnerOffset, StandardOwnerLength, encoding);
        label = new Vol1Label(LabelFields.GetText(block, VolumeSerialOffset, 6, encoding).TrimEnd(), owner.TrimEnd(), encoding);
        _ = SecurityOffset;
        return true;
    }
}
