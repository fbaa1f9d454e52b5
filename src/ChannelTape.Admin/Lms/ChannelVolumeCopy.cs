using ChannelTape.Admin.Reports;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Media;
using ChannelTape.Text;

namespace ChannelTape.Admin.Lms;

/// <summary>Blocks and tape marks copied by <see cref="ChannelVolumeCopy"/>.</summary>
public sealed record VolumeCopyResult(long Blocks, long TapeMarks, long Bytes);

/// <summary>An import stopped part way (cancelled, or the copy failed): what the volume holds now.</summary>
public sealed class ImportInterruptedException(string message, Exception? cause = null) : IOException(message, cause)
{
    /// <summary>The volume was put back to the labels of a new volume (no half image is left on it).</summary>
    public bool LabelsRestored { get; init; }
}

/// <summary>
/// Copies a library volume to or from a local image through a drive of a running server, with
/// nothing but tape operations once the volume is mounted (as a host would copy a tape): mount, Read or
/// Write every block and tape mark, Rewind Unload. So <c>ctape volume export|import --server</c> works
/// against a server on another machine. With the operator's controls (<see cref="IDriveOperator"/>), an
/// unknown volume or one mounted elsewhere is refused at once and no request is left pending.
/// </summary>
public static class ChannelVolumeCopy
{
    /// <summary>Length of a label record (VOL1, HDR1).</summary>
    private const int LabelLength = 80;

    /// <summary>
    /// Reads the whole volume (every block and tape mark up to the end of the recorded data) into
    /// a new image at <paramref name="destination"/>.
    /// </summary>
    public static VolumeCopyResult Export(IChannelDevice drive, string volumeSerial, string destination, TapeImageFormat format, TimeSpan mountTimeout,
        IDriveOperator? driveOperator = null, CancellationToken cancel = default)
    {
        using var session = new DriveSession(drive, driveOperator);
        session.MountNow(volumeSerial, mountTimeout, cancel);
        try
        {
            if (!TapeImage.TryCreate(destination, format, new TapeImageOptions(), out var media, out string? error))
            {
                throw new IOException($"cannot create {destination}: {error}");
            }

            using (media)
            {
                var buffer = new byte[TapeDrive.MaxCcwCount];
                long blocks = 0, marks = 0, bytes = 0;
                while (true)
                {
                    cancel.ThrowIfCancellationRequested();
                    var outcome = session.ReadBlock(buffer, out int length);
                    MediaStatus status;
                    if (outcome == BlockReadOutcome.End)
                    {
                        break; // end of the recorded data (unit check, data check "tape void")
                    }

                    if (outcome == BlockReadOutcome.TapeMark)
                    {
                        status = media!.WriteTapeMark();
                        marks++;
                    }
                    else
                    {
                        status = media!.Write(buffer.AsSpan(0, length));
                        blocks++;
                        bytes += length;
                    }

                    if (status != MediaStatus.Ok)
                    {
                        throw new IOException($"writing {destination}: {status}");
                    }
                }

                media!.Synchronize();
                return new VolumeCopyResult(blocks, marks, bytes);
            }
        }
        finally
        {
            session.Unload();
        }
    }

    /// <summary>
    /// Writes every block and tape mark of the local image <paramref name="source"/> onto the volume
    /// from its load point (the volume's old content is replaced), then unloads it so the library
    /// records what it now holds. The image is read whole first: a corrupt one is refused before the
    /// volume is touched. A copy stopped part way (<paramref name="cancel"/>, or a failure) writes the
    /// labels of a new volume over the half image before the unload and throws
    /// <see cref="ImportInterruptedException"/>, so no half image is left behind.
    /// </summary>
    public static VolumeCopyResult Import(IChannelDevice drive, string volumeSerial, string source, TimeSpan mountTimeout,
        IDriveOperator? driveOperator = null, CancellationToken cancel = default)
    {
        if (!TapeImage.TryOpen(source, new TapeImageOptions { ReadOnly = true }, out var media, out string? error))
        {
            throw new IOException($"cannot open {source}: {error}");
        }

        using (media)
        using (var session = new DriveSession(drive, driveOperator))
        {
            Validate(media!, source);
            media!.Rewind();
            cancel.ThrowIfCancellationRequested();
            session.MountNow(volumeSerial, mountTimeout, cancel);
            try
            {
                var labels = new byte[LabelLength];
                bool labelled = session.ReadBlock(labels, out int labelLength) == BlockReadOutcome.Block && labelLength == LabelLength;
                session.RewindVolume();
                var vol1 = labelled && Vol1Label.TryParse(labels, LabelEncoding.Ebcdic, out var ebcdic) ? ebcdic
                    : labelled && Vol1Label.TryParse(labels, LabelEncoding.Ascii, out var ascii) ? ascii
                    : null;
                var buffer = new byte[media.MaxBlockSize];
                long blocks = 0, marks = 0, bytes = 0;
                try
                {
                    while (true)
                    {
                        cancel.ThrowIfCancellationRequested();
                        var status = media.ReadForward(buffer, out int length);
                        if (status == MediaStatus.TapeMark)
                        {
                            session.WriteTapeMarks(1);
                            marks++;
                        }
                        else if (status == MediaStatus.Ok)
                        {
                            session.WriteBlock(buffer.AsSpan(0, length));
                            blocks++;
                            bytes += length;
                        }
                        else
                        {
                            return new VolumeCopyResult(blocks, marks, bytes); // the end, as Validate checked
                        }
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or IOException)
                {
                    bool restored = TryWriteNewVolumeLabels(session, vol1, volumeSerial);
                    string what = e is OperationCanceledException ? "import cancelled" : $"import failed ({e.Message})";
                    throw new ImportInterruptedException(
                        $"{what} after {blocks} blocks and {marks} tape marks; "
                        + (restored ? $"{volumeSerial} holds the labels of a new volume again (its old content was overwritten)"
                            : $"{volumeSerial} could not be given its labels back and holds a partial image"), e)
                    {
                        LabelsRestored = restored,
                    };
                }
            }
            finally
            {
                session.Unload();
            }
        }
    }

    /// <summary>
    /// From the load point, what a new volume holds (<see cref="LabelledVolumeWriter.Initialize"/>, as
    /// <c>hetinit</c> writes it): <paramref name="vol1"/>, a dummy HDR1 and a tape mark; two tape marks for
    /// a volume without labels. False when the drive would not take it.
    /// </summary>
    private static bool TryWriteNewVolumeLabels(DriveSession session, Vol1Label? vol1, string volumeSerial)
    {
        try
        {
            session.RewindVolume();
            if (vol1 is null)
            {
                session.WriteTapeMarks(2);
                return true;
            }

            session.WriteBlock(vol1.ToBytes());
            string dummy = "HDR1" + new string('0', LabelLength - 4);
            session.WriteBlock(vol1.Encoding == LabelEncoding.Ascii ? System.Text.Encoding.ASCII.GetBytes(dummy) : Ebcdic.GetBytes(dummy));
            session.WriteTapeMarks(1);
            return vol1.VolumeSerial == volumeSerial;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Reads the whole image once: a corrupt image is refused before the volume is touched.</summary>
    private static void Validate(ITapeMedia media, string source)
    {
        var buffer = new byte[media.MaxBlockSize];
        for (long entries = 0; ; entries++)
        {
            var status = media.ReadForward(buffer, out int length);
            if (status is MediaStatus.Ok or MediaStatus.TapeMark)
            {
                if (length > TapeDrive.MaxCcwCount)
                {
                    throw new InvalidDataException($"{source}: block {entries + 1} is {length} bytes, more than one CCW can write (65535)");
                }

                continue;
            }

            if (status is MediaStatus.EndOfData || status == MediaStatus.EndOfTape && media.Position.Offset == media.ImageSize)
            {
                return;
            }

            throw new InvalidDataException($"{source}: {status} at block {entries + 1} (offset {media.Position.Offset}); nothing was written");
        }
    }
}
