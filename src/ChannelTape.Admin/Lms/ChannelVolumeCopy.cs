using ChannelTape.Admin.Reports;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;

namespace ChannelTape.Admin.Lms;

/// <summary>Blocks and tape marks copied by <see cref="ChannelVolumeCopy"/>.</summary>
public sealed record VolumeCopyResult(long Blocks, long TapeMarks, long Bytes);

/// <summary>
/// Copies a library volume to or from a local image through a drive of a running server, with
/// nothing but tape operations (as a host would copy a tape): mount by Load Display, Read or Write
/// every block and tape mark, Rewind Unload. So <c>ctape volume export|import --server</c> works
/// against a server on another machine.
/// </summary>
public static class ChannelVolumeCopy
{
    /// <summary>
    /// Reads the whole volume (every block and tape mark up to the end of the recorded data) into
    /// a new image at <paramref name="destination"/>.
    /// </summary>
    public static VolumeCopyResult Export(IChannelDevice drive, string volumeSerial, string destination, TapeImageFormat format, TimeSpan mountTimeout)
    {
        using var session = new DriveSession(drive);
        session.Mount(volumeSerial, mountTimeout);
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
    /// records what it now holds.
    /// </summary>
    public static VolumeCopyResult Import(IChannelDevice drive, string volumeSerial, string source, TimeSpan mountTimeout)
    {
        if (!TapeImage.TryOpen(source, new TapeImageOptions { ReadOnly = true }, out var media, out string? error))
        {
            throw new IOException($"cannot open {source}: {error}");
        }

        using (media)
        using (var session = new DriveSession(drive))
        {
            Validate(media!, source);
            media!.Rewind();
            session.Mount(volumeSerial, mountTimeout);
            try
            {
                var buffer = new byte[media!.MaxBlockSize];
                long blocks = 0, marks = 0, bytes = 0;
                while (true)
                {
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
            finally
            {
                session.Unload();
            }
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
