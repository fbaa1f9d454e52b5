using ChannelTape.Media;
using ChannelTape.Text;

namespace ChannelTape.Labels;

/// <summary>A media operation failed while writing labels or data; carries the media outcome.</summary>
public sealed class LabelWriteException(MediaStatus status, string what)
    : IOException($"{what} failed: {status}")
{
    public MediaStatus Status { get; } = status;
}

/// <summary>
/// Writes labelled volumes onto any <see cref="ITapeMedia"/> in the layout IBM and Hercules use
/// (docs/reference/labels-and-libraries.md §2): <c>VOL1 HDR1 HDR2 TM data TM EOF1 EOF2 TM TM</c>, and the
/// initial content of a new volume as Hercules <c>hetinit</c> writes it.
/// </summary>
public static class LabelledVolumeWriter
{
    /// <summary>
    /// A new volume: SL/AL <c>VOL1</c>, a dummy <c>HDR1</c> (the identifier followed by 76 '0'
    /// characters) and a tape mark, byte-identical to <c>hetinit -d</c> (checked against Hercules
    /// 3.13's hetinit); NL two tape marks (<c>hetinit -n</c>).
    /// </summary>
    public static void Initialize(ITapeMedia media, string volumeSerial, string owner, LabelType labelType)
    {
        Check(media.Rewind(), "rewind");
        if (labelType == LabelType.None)
        {
            Check(media.WriteTapeMark(), "tape mark");
            Check(media.WriteTapeMark(), "tape mark");
            Check(media.Rewind(), "rewind");
            return;
        }

        var encoding = labelType == LabelType.Ansi ? LabelEncoding.Ascii : LabelEncoding.Ebcdic;
        Check(media.Write(new Vol1Label(volumeSerial, owner, encoding).ToBytes()), "VOL1");
        Span<byte> dummy = stackalloc byte[LabelFields.LabelLength];
        LabelFields.Fill(dummy, encoding);
        LabelFields.PutText(dummy, 0, 4, "HDR1", encoding);
        LabelFields.PutText(dummy, 4, 76, new string('0', 76), encoding);
        Check(media.Write(dummy), "dummy HDR1");
        Check(media.WriteTapeMark(), "tape mark");
        Check(media.Rewind(), "rewind");
    }

    /// <summary>
    /// Writes VOL1, HDR1, HDR2 and the tape mark that opens the data set; the caller then writes
    /// the data blocks and calls <see cref="WriteTrailer"/>.
    /// </summary>
    public static void WriteHeader(ITapeMedia media, Vol1Label volume, DataSetLabel1 header1, DataSetLabel2 header2)
    {
        Check(media.Write(volume.ToBytes()), "VOL1");
        Check(media.Write(header1.ToBytes()), "HDR1");
        Check(media.Write(header2.ToBytes()), "HDR2");
        Check(media.WriteTapeMark(), "tape mark");
    }

    /// <summary>Closes the data set: tape mark, EOF1 (with the block count), EOF2, two tape marks.</summary>
    public static void WriteTrailer(ITapeMedia media, DataSetLabel1 header1, DataSetLabel2 header2, long blockCount)
    {
        Check(media.WriteTapeMark(), "tape mark");
        Check(media.Write((header1 with { Kind = DataSetLabelKind.EndOfFile, BlockCount = blockCount }).ToBytes()), "EOF1");
        Check(media.Write((header2 with { Kind = DataSetLabelKind.EndOfFile }).ToBytes()), "EOF2");
        Check(media.WriteTapeMark(), "tape mark");
        Check(media.WriteTapeMark(), "tape mark");
    }

    /// <summary>Encodes a fixed-length record in EBCDIC, blank-padded to the length of <paramref name="record"/>.</summary>
    public static void EncodeRecord(ReadOnlySpan<char> text, Span<byte> record) => Ebcdic.EncodePadded(text, record);

    private static void Check(MediaStatus status, string what)
    {
        if (status != MediaStatus.Ok)
        {
            throw new LabelWriteException(status, what);
        }
    }
}
