using ChannelTape.Labels;
using ChannelTape.Media;

namespace ChannelTape.Library.Mounts;

/// <summary>What the catalog records about a volume after it was written.</summary>
public sealed record VolumeSummary(long ImageSize, long DataBlocks, string? FirstDataSetName);

/// <summary>
/// Reads a volume image's structure without its data: size, number of data blocks (label blocks
/// and tape marks not counted for labelled volumes) and the data set name of the first HDR1.
/// Spacing walks block headers only (ITapeMedia.ForwardSpaceBlock), so this costs one header read
/// per block.
/// </summary>
public static class VolumeScanner
{
    /// <summary>
    /// Cuts a torn last block off an image: a crash in the middle of a write can leave a header whose
    /// data the file does not hold, or part of a header. A Read of it would end in a data check, and
    /// counting it would make the catalog one block too high; it was never complete, so it goes (the
    /// host was never told it was written, docs/catalog.md "Recovery after a crash"). Returns the bytes
    /// cut, 0 when the image ends on a whole block or cannot be opened for writing.
    /// </summary>
    public static long CutTornTail(string path)
    {
        if (!TapeImage.TryOpen(path, new TapeImageOptions(), out var media, out _) || media.IsReadOnly)
        {
            media?.Dispose();
            return 0;
        }

        using (media)
        {
            var before = media.ImageSize;
            var status = MediaStatus.Ok;
            for (long guard = 0; guard < long.MaxValue && status is MediaStatus.Ok or MediaStatus.TapeMark; guard++)
            {
                status = media.ForwardSpaceBlock();
            }

            if (media.Position.Offset > media.ImageSize)
            {
                // The last block spaced over ends past the end of the file: its data was cut short.
                media.BackspaceBlock();
            }
            else if (media.Position.Offset >= media.ImageSize || status is not (MediaStatus.EndOfData or MediaStatus.BlockShort or MediaStatus.EndOfTape))
            {
                // Ends on a whole block; or damage that a cut would not mend (a data check): left for a Read to report.
                return 0;
            }

            return media.EraseToEnd() == MediaStatus.Ok ? before - media.ImageSize : 0;
        }
    }

    /// <summary>
    /// The label type the image's first block says (VOL1 in EBCDIC: SL, in ASCII: AL, anything else: NL, as
    /// an import identifies it), or <paramref name="fallback"/> when the image cannot be read.
    /// </summary>
    public static LabelType DetectLabels(string path, LabelType fallback)
    {
        if (!TapeImage.TryOpen(path, new TapeImageOptions { ReadOnly = true }, out var media, out _))
        {
            return fallback;
        }

        using (media)
        {
            var buffer = new byte[media!.MaxBlockSize];
            if (media.ReadForward(buffer, out int length) != MediaStatus.Ok)
            {
                return LabelType.None;
            }

            return Vol1Label.TryParse(buffer.AsSpan(0, length), LabelEncoding.Ebcdic, out _) ? LabelType.Standard
                : Vol1Label.TryParse(buffer.AsSpan(0, length), LabelEncoding.Ascii, out _) ? LabelType.Ansi
                : LabelType.None;
        }
    }

    public static VolumeSummary Scan(string path, LabelType labels)
    {
        if (!TapeImage.TryOpen(path, new TapeImageOptions { ReadOnly = true }, out var media, out _))
        {
            return new VolumeSummary(File.Exists(path) ? new FileInfo(path).Length : 0, 0, null);
        }

        using (media)
        {
            string? dataSetName = null;
            long blocks = 0;
            var encoding = labels == LabelType.Ansi ? LabelEncoding.Ascii : LabelEncoding.Ebcdic;
            var buffer = new byte[media!.MaxBlockSize];
            if (labels != LabelType.None)
            {
                // VOL1 then the first data set's HDR1
                if (media.ReadForward(buffer, out _) == MediaStatus.Ok
                    && media.ReadForward(buffer, out int length) == MediaStatus.Ok
                    && DataSetLabel1.TryParse(buffer.AsSpan(0, length), encoding, out var header1)
                    && header1!.DataSetIdentifier.Trim('0').Length > 0)
                {
                    dataSetName = header1.DataSetIdentifier;
                }

                media.Rewind();
            }

            // Count blocks; in a labelled volume the data sets are files 2, 5, 8, ... (3n - 1).
            int file = 1;
            for (int guard = 0; guard < int.MaxValue; guard++)
            {
                var status = media.ForwardSpaceBlock();
                if (status == MediaStatus.TapeMark)
                {
                    file++;
                    continue;
                }

                if (status != MediaStatus.Ok)
                {
                    break;
                }

                if (labels == LabelType.None || file % 3 == 2)
                {
                    blocks++;
                }
            }

            return new VolumeSummary(media.ImageSize, blocks, dataSetName);
        }
    }
}
