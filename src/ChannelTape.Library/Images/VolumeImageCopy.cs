using ChannelTape.Labels;
using ChannelTape.Media;

namespace ChannelTape.Library.Images;

/// <summary>Outcome of <see cref="VolumeImageCopy.Copy"/>.</summary>
/// <param name="Error">Why the copy was refused (nothing was left behind), or null when it succeeded.</param>
/// <param name="SourceFormat">Format of the source image.</param>
/// <param name="DestinationFormat">Format written.</param>
/// <param name="Blocks">Blocks read (labels and data; tape marks not counted).</param>
/// <param name="TapeMarks">Tape marks read.</param>
/// <param name="SourceBytes">Size of the source image.</param>
/// <param name="DestinationBytes">Size of the image written.</param>
/// <param name="Labels">Label type found: VOL1 in EBCDIC (SL), in ASCII (AL), or none (NL).</param>
/// <param name="Vol1Serial">Volume serial in the VOL1 label, or null without one.</param>
public sealed record ImageCopyResult(
    string? Error,
    TapeImageFormat SourceFormat,
    TapeImageFormat DestinationFormat,
    long Blocks,
    long TapeMarks,
    long SourceBytes,
    long DestinationBytes,
    LabelType Labels,
    string? Vol1Serial)
{
    public bool Succeeded => Error is null;
}

/// <summary>
/// Copies a volume image (AWS, HET or FakeTape) to a new file, reading and checking every block
/// through <see cref="ITapeMedia"/> on the way: a block that does not parse or decompress, or a
/// header cut off by the end of the file, refuses the copy and deletes what was written. The
/// image must end cleanly after a block or tape mark.
/// When the destination format is the source's, the file's bytes are copied as they are (a HET
/// volume keeps its compression byte for byte); otherwise every block and tape mark is written
/// again in the destination format (HET compressed as <c>options</c> say).
/// </summary>
public static class VolumeImageCopy
{
    private const int RawCopyBuffer = 1024 * 1024;

    /// <param name="source">Image to read.</param>
    /// <param name="destination">File to create; must not exist (or be empty).</param>
    /// <param name="format">Format to write, or null for the source's (FakeTape becomes AWS: the library keeps AWS and HET only).</param>
    /// <param name="options">Options of the written image when converting (HET compression, method, level).</param>
    /// <param name="progress">Told the source bytes consumed so far, after every block.</param>
    /// <param name="cancel">
    /// Stops the copy between two blocks (SIGINT or SIGTERM of the command, a server stopping): what was written is
    /// deleted and <see cref="OperationCanceledException"/> thrown.
    /// </param>
    public static ImageCopyResult Copy(string source, string destination, TapeImageFormat? format, TapeImageOptions options, IProgress<long>? progress = null,
        CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!TapeImage.TryOpen(source, new TapeImageOptions { ReadOnly = true }, out var input, out string? openError))
        {
            return Refused(openError, TapeImageFormat.Aws, format ?? TapeImageFormat.Aws);
        }

        using (input)
        {
            var sourceFormat = input.Format;
            var target = format ?? (sourceFormat == TapeImageFormat.FakeTape ? TapeImageFormat.Aws : sourceFormat);
            if (input.ImageSize == 0)
            {
                return Refused($"{source}: is empty, not a tape image", sourceFormat, target);
            }

            if (File.Exists(destination) && new FileInfo(destination).Length > 0)
            {
                return Refused($"{destination}: already exists", sourceFormat, target);
            }

            ImageCopyResult result;
            try
            {
                result = target == sourceFormat
                    ? CopyRaw(input, source, destination, progress, cancel)
                    : Convert(input, destination, target, options, progress, cancel);
            }
            catch (OperationCanceledException)
            {
                TryDelete(destination);
                throw;
            }

            if (!result.Succeeded)
            {
                TryDelete(destination);
            }

            return result;
        }
    }

    /// <summary>Label type and VOL1 serial from the first block.</summary>
    private static (LabelType Labels, string? Serial) Identify(ReadOnlySpan<byte> firstBlock)
    {
        if (Vol1Label.TryParse(firstBlock, LabelEncoding.Ebcdic, out var ebcdic))
        {
            return (LabelType.Standard, ebcdic!.VolumeSerial);
        }

        if (Vol1Label.TryParse(firstBlock, LabelEncoding.Ascii, out var ascii))
        {
            return (LabelType.Ansi, ascii!.VolumeSerial);
        }

        return (LabelType.None, null);
    }

    private static ImageCopyResult CopyRaw(ITapeMedia input, string source, string destination, IProgress<long>? progress, CancellationToken cancel)
    {
        var walk = new Walk(input, cancel);
        try
        {
            using var reader = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.SequentialScan);
            using var writer = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 1);
            var chunk = new byte[RawCopyBuffer];
            long copied = 0;
            while (true)
            {
                var step = walk.Next();
                if (step == WalkStep.Failed)
                {
                    return walk.Failure(source, TapeImageFormat.Aws);
                }

                // Copy the bytes the block (or tape mark) occupied, once enough have gathered.
                long end = input.Position.Offset;
                if (end - copied >= RawCopyBuffer || step == WalkStep.End)
                {
                    while (copied < end)
                    {
                        int want = (int)Math.Min(chunk.Length, end - copied);
                        int read = reader.Read(chunk, 0, want);
                        if (read == 0)
                        {
                            return walk.Refuse($"{source}: changed while it was copied", input.Format);
                        }

                        writer.Write(chunk, 0, read);
                        copied += read;
                    }
                }

                progress?.Report(input.Position.Offset);
                if (step == WalkStep.End)
                {
                    break;
                }
            }

            writer.Flush(flushToDisk: true);
            return walk.Success(input.Format, input.Format, writer.Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return walk.Refuse($"{destination}: {e.Message}", input.Format);
        }
    }

    private static ImageCopyResult Convert(ITapeMedia input, string destination, TapeImageFormat target, TapeImageOptions options, IProgress<long>? progress,
        CancellationToken cancel)
    {
        if (!TapeImage.TryCreate(destination, target, options with { ReadOnly = false, MaxSize = 0 }, out var output, out string? createError))
        {
            return Refused(createError, input.Format, target);
        }

        using (output)
        {
            var walk = new Walk(input, cancel);
            while (true)
            {
                var step = walk.Next();
                if (step == WalkStep.Failed)
                {
                    return walk.Failure(input.Path, target);
                }

                if (step == WalkStep.End)
                {
                    break;
                }

                var written = step == WalkStep.TapeMark ? output.WriteTapeMark() : output.Write(walk.Block);
                if (written != MediaStatus.Ok)
                {
                    return walk.Refuse($"{destination}: writing block {walk.Blocks + walk.TapeMarks} failed: {Describe(written)}", target);
                }

                progress?.Report(input.Position.Offset);
            }

            if (output.Synchronize() is var synchronized && synchronized != MediaStatus.Ok)
            {
                return walk.Refuse($"{destination}: flushing failed: {Describe(synchronized)}", target);
            }

            progress?.Report(input.Position.Offset);
            return walk.Success(input.Format, target, output.ImageSize);
        }
    }

    private static string Describe(MediaStatus status) => status switch
    {
        MediaStatus.DataCheck => "corrupt block (bad header or data that does not decompress)",
        MediaStatus.BlockShort => "block cut off by the end of the file",
        MediaStatus.EndOfTape => "end of volume (capacity or disk full)",
        MediaStatus.WriteError => "write error",
        MediaStatus.WriteProtected => "write protected",
        _ => status.ToString(),
    };

    private static string FormatName(TapeImageFormat format) => format switch
    {
        TapeImageFormat.Aws => "AWS",
        TapeImageFormat.Het => "HET",
        _ => "FakeTape",
    };

    private static ImageCopyResult Refused(string? error, TapeImageFormat source, TapeImageFormat target) =>
        new(error ?? "cannot open the image", source, target, 0, 0, 0, 0, LabelType.None, null);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the caller reports the copy's own error.
        }
    }

    private enum WalkStep
    {
        Block,
        TapeMark,
        End,
        Failed,
    }

    /// <summary>Reads the source block by block, counting, identifying labels and noting the first failure; stops when <paramref name="cancel"/> asks.</summary>
    private sealed class Walk(ITapeMedia input, CancellationToken cancel)
    {
        private readonly byte[] _buffer = new byte[input.MaxBlockSize];
        private int _length;
        private MediaStatus _failure;
        private long _failedAt;
        private LabelType _labels = LabelType.None;
        private string? _serial;

        public long Blocks { get; private set; }

        public long TapeMarks { get; private set; }

        public ReadOnlySpan<byte> Block => _buffer.AsSpan(0, _length);

        public WalkStep Next()
        {
            cancel.ThrowIfCancellationRequested();
            _failedAt = input.Position.Offset;
            var status = input.ReadForward(_buffer, out _length);
            switch (status)
            {
                case MediaStatus.Ok:
                    if (Blocks == 0 && TapeMarks == 0)
                    {
                        (_labels, _serial) = Identify(Block);
                    }

                    Blocks++;
                    return WalkStep.Block;
                case MediaStatus.TapeMark:
                    TapeMarks++;
                    return WalkStep.TapeMark;
                case MediaStatus.EndOfData:
                // HET reports the end of the file as end of tape (hetlib.c het_read: HETE_EOT).
                case MediaStatus.EndOfTape when input.Position.Offset == input.ImageSize:
                    return WalkStep.End;
                default:
                    _failure = status;
                    return WalkStep.Failed;
            }
        }

        public ImageCopyResult Failure(string source, TapeImageFormat target) =>
            Refuse($"{source}: not a valid {FormatName(input.Format)} image: {(_failure == MediaStatus.EndOfTape ? Describe(MediaStatus.BlockShort) : Describe(_failure))} at block {Blocks + TapeMarks} (byte offset {_failedAt})", target);

        public ImageCopyResult Refuse(string error, TapeImageFormat target) =>
            new(error, input.Format, target, Blocks, TapeMarks, input.ImageSize, 0, _labels, _serial);

        public ImageCopyResult Success(TapeImageFormat source, TapeImageFormat target, long written) =>
            new(null, source, target, Blocks, TapeMarks, input.ImageSize, written, _labels, _serial);
    }
}
