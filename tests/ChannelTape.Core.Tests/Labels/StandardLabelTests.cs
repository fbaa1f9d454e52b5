using ChannelTape.Labels;
using ChannelTape.Text;

namespace ChannelTape.Core.Tests.Labels;

public sealed class StandardLabelTests
{
    // VOL1 written by Hercules 3.13 `hetinit -d h.aws T00001 OWNERX` (bytes 6..85 of the image).
    private const string HetinitVol1Hex =
        "E5D6D3F1E3F0F0F0F0F140404040404040404040"
        + "4040404040404040404040404040404040404040"
        + "40D6E6D5C5D9E740404040404040404040404040"
        + "4040404040404040404040404040404040404040";

    [Fact]
    public void Vol1_is_byte_identical_to_hetinit()
    {
        var bytes = new Vol1Label("T00001", "OWNERX").ToBytes();
        Assert.Equal(HetinitVol1Hex, Convert.ToHexString(bytes));
    }

    [Fact]
    public void Vol1_round_trips_and_rejects_other_blocks()
    {
        var bytes = new Vol1Label("ABC#@$", "ME").ToBytes();
        Assert.True(Vol1Label.TryParse(bytes, LabelEncoding.Ebcdic, out var parsed));
        Assert.Equal("ABC#@$", parsed!.VolumeSerial);
        Assert.Equal("ME", parsed.Owner);
        Assert.False(Vol1Label.TryParse(bytes.AsSpan(0, 79), LabelEncoding.Ebcdic, out _));
        Assert.False(Vol1Label.TryParse(Ebcdic.GetBytes("HDR1".PadRight(80)), LabelEncoding.Ebcdic, out _));
    }

    [Fact]
    public void Ansi_vol1_is_ascii_with_owner_at_37_and_version_at_79()
    {
        var bytes = new Vol1Label("T00002", "OWNER", LabelEncoding.Ascii).ToBytes();
        Assert.Equal("VOL1T00002", System.Text.Encoding.ASCII.GetString(bytes, 0, 10));
        Assert.Equal("OWNER", System.Text.Encoding.ASCII.GetString(bytes, 37, 5));
        Assert.Equal((byte)'3', bytes[79]);
    }

    [Fact]
    public void Hdr1_fields_sit_at_their_ibm_offsets()
    {
        var label = new DataSetLabel1(
            DataSetLabelKind.Header, "CTAPE.STATUS.DRIVES.LONGNAME", "#DRIVE",
            CreationDate: new DateOnly(2026, 11, 27), BlockCount: 0);
        string text = Ebcdic.GetString(label.ToBytes());
        Assert.Equal("HDR1", text[..4]);
        Assert.Equal("S.DRIVES.LONGNAME".PadRight(17), text.Substring(4, 17)); // rightmost 17 characters
        Assert.Equal("#DRIVE", text.Substring(21, 6));
        Assert.Equal("0001", text.Substring(27, 4));
        Assert.Equal("0001", text.Substring(31, 4));
        Assert.Equal("026331", text.Substring(41, 6)); // 2026-11-27 is day 331
        Assert.Equal("000000", text.Substring(47, 6));
        Assert.Equal("000000", text.Substring(54, 6));
        Assert.Equal("CHANNELTAPE  ", text.Substring(60, 13));
    }

    [Fact]
    public void Eof1_block_count_keeps_low_digits_at_54_and_high_digits_at_76()
    {
        var label = new DataSetLabel1(DataSetLabelKind.EndOfFile, "X", "V00001", BlockCount: 12_345_678);
        string text = Ebcdic.GetString(label.ToBytes());
        Assert.Equal("EOF1", text[..4]);
        Assert.Equal("345678", text.Substring(54, 6));
        Assert.Equal("0012", text.Substring(76, 4));
        Assert.True(DataSetLabel1.TryParse(label.ToBytes(), LabelEncoding.Ebcdic, out var parsed));
        Assert.Equal(12_345_678, parsed!.BlockCount);
        Assert.Equal(DataSetLabelKind.EndOfFile, parsed.Kind);
    }

    [Theory]
    [InlineData(1999, 365, " 99365")]
    [InlineData(2000, 1, "000001")]
    [InlineData(2024, 366, "024366")]
    [InlineData(2101, 32, "101032")]
    public void Label_dates_use_century_digit_year_and_day(int year, int day, string expected)
    {
        var date = new DateOnly(year, 1, 1).AddDays(day - 1);
        var label = new DataSetLabel1(DataSetLabelKind.Header, "D", "V", CreationDate: date);
        string text = Ebcdic.GetString(label.ToBytes());
        Assert.Equal(expected, text.Substring(41, 6));
        Assert.True(DataSetLabel1.TryParse(label.ToBytes(), LabelEncoding.Ebcdic, out var parsed));
        Assert.Equal(date, parsed!.CreationDate);
    }

    [Fact]
    public void Hdr2_records_format_lengths_and_large_blocks()
    {
        var small = new DataSetLabel2(DataSetLabelKind.Header, 'F', 32000, 80);
        string text = Ebcdic.GetString(small.ToBytes());
        Assert.Equal("HDR2F3200000080", text[..15]);
        Assert.Equal('B', text[38]);

        var large = new DataSetLabel2(DataSetLabelKind.Header, 'F', 262144, 80);
        string largeText = Ebcdic.GetString(large.ToBytes());
        Assert.Equal("99999", largeText.Substring(5, 5));
        Assert.Equal("0000262144", largeText.Substring(70, 10));
        Assert.True(DataSetLabel2.TryParse(large.ToBytes(), LabelEncoding.Ebcdic, out var parsed));
        Assert.Equal(262144, parsed!.BlockLength);
        Assert.Equal(80, parsed.RecordLength);
    }

    [Fact]
    public void Data_set_labels_reject_garbage()
    {
        var garbage = new byte[80];
        Random.Shared.NextBytes(garbage);
        garbage[0] = 0x00;
        Assert.False(DataSetLabel1.TryParse(garbage, LabelEncoding.Ebcdic, out _));
        Assert.False(DataSetLabel2.TryParse(garbage, LabelEncoding.Ebcdic, out _));
        var hdr1WithLetters = Ebcdic.GetBytes(("HDR1" + new string('X', 76)));
        Assert.False(DataSetLabel1.TryParse(hdr1WithLetters, LabelEncoding.Ebcdic, out _));
    }
}
