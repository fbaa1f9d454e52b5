using System.Diagnostics;
using ChannelTape.Labels;
using ChannelTape.Media;
using ChannelTape.Text;

namespace ChannelTape.Cli.Tests;

/// <summary>Volume images for import/export tests, written through <see cref="ITapeMedia"/>.</summary>
internal static class TestImages
{
    /// <summary>VOL1 HDR1 HDR2 TM data TM EOF1 EOF2 TM TM; data blocks of 4000 bytes that compress well but differ.</summary>
    public static string WriteLabelled(string path, TapeImageFormat format, string serial, string dataSetName, int blocks, TapeImageOptions? options = null)
    {
        Assert.True(TapeImage.TryCreate(path, format, options ?? new TapeImageOptions(), out var media, out var error), error);
        using (media)
        {
            var hdr1 = new DataSetLabel1(DataSetLabelKind.Header, dataSetName, serial);
            var hdr2 = new DataSetLabel2(DataSetLabelKind.Header, 'F', 4000, 80);
            LabelledVolumeWriter.WriteHeader(media!, new Vol1Label(serial), hdr1, hdr2);
            foreach (var block in DataBlocks(blocks))
            {
                Assert.Equal(MediaStatus.Ok, media!.Write(block));
            }

            LabelledVolumeWriter.WriteTrailer(media!, hdr1, hdr2, blocks);
        }

        return path;
    }

    public static IEnumerable<byte[]> DataBlocks(int count)
    {
        for (int i = 1; i <= count; i++)
        {
            yield return Ebcdic.GetBytes(string.Concat(Enumerable.Repeat($"RECORD {i,6} ", 4000 / 14 + 1))[..4000]);
        }
    }

    /// <summary>Every block (null for a tape mark) up to the end of the data.</summary>
    public static List<byte[]?> ReadAll(string path)
    {
        Assert.True(TapeImage.TryOpen(path, new TapeImageOptions { ReadOnly = true }, out var media, out var error), error);
        using (media)
        {
            var blocks = new List<byte[]?>();
            var buffer = new byte[media!.MaxBlockSize];
            while (true)
            {
                switch (media.ReadForward(buffer, out int length))
                {
                    case MediaStatus.Ok:
                        blocks.Add(buffer[..length]);
                        break;
                    case MediaStatus.TapeMark:
                        blocks.Add(null);
                        break;
                    case MediaStatus.EndOfData:
                    case MediaStatus.EndOfTape when media.Position.Offset == media.ImageSize: // HET's end of file
                        return blocks;
                    case var other:
                        Assert.Fail($"{path}: {other}");
                        return blocks;
                }
            }
        }
    }

    /// <summary>
    /// <c>hetmap -f</c> (Hercules 3.13): files, blocks, block sizes and uncompressed bytes, without
    /// the file name and the compressed sizes (which depend on the format and compressor).
    /// </summary>
    public static string HetmapStructure(string path)
    {
        var start = new ProcessStartInfo(RequireTool("hetmap")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-f");
        start.ArgumentList.Add(path);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), "hetmap did not finish");
        return string.Join('\n', output.Result.Split('\n')
            .Where(line => !line.StartsWith("Filename", StringComparison.Ordinal)
                && !line.Contains("Comp", StringComparison.Ordinal)
                && !line.StartsWith("Reduction", StringComparison.Ordinal)));
    }

    private static string RequireTool(string tool)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(Path.PathSeparator).Append("/usr/bin"))
        {
            var candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail($"Hercules tool '{tool}' is not installed (Debian package 'hercules'; run scripts/install-prereqs.sh).");
        return tool;
    }
}
