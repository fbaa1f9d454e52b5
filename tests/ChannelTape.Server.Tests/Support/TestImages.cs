using ChannelTape.Media;

namespace ChannelTape.Server.Tests.Support;

/// <summary>Volume images for the streaming tests: written from a list of blocks, read back into one (tape marks as null).</summary>
public static class TestImages
{
    /// <summary>Writes <paramref name="blocks"/> (null: a tape mark) to a new image <paramref name="name"/> in <paramref name="directory"/>.</summary>
    public static string CreateImage(string directory, string name, IEnumerable<byte[]?> blocks,
        TapeImageFormat format = TapeImageFormat.Aws, TapeImageOptions? options = null)
    {
        var path = Path.Combine(directory, name);
        Assert.True(TapeImage.TryCreate(path, format, options ?? new TapeImageOptions(), out var media, out var error), error);
        using (media)
        {
            foreach (var block in blocks)
            {
                Assert.Equal(MediaStatus.Ok, block is null ? media.WriteTapeMark() : media.Write(block));
            }
        }

        return path;
    }

    /// <summary>Every block of an image, tape marks as null.</summary>
    public static List<byte[]?> ReadImage(string path)
    {
        Assert.True(TapeImage.TryOpen(path, new TapeImageOptions { ReadOnly = true }, out var media, out var error), error);
        using (media)
        {
            var blocks = new List<byte[]?>();
            var buffer = new byte[media.MaxBlockSize];
            while (true)
            {
                var status = media.ReadForward(buffer, out var length);
                if (status == MediaStatus.EndOfData)
                {
                    return blocks;
                }

                Assert.True(status is MediaStatus.Ok or MediaStatus.TapeMark, $"{status}");
                blocks.Add(status == MediaStatus.TapeMark ? null : buffer[..length]);
            }
        }
    }

    /// <summary><paramref name="count"/> blocks of 100 + i bytes, each with its own contents.</summary>
    public static List<byte[]?> Blocks(int count, int first = 0) =>
        [.. Enumerable.Range(first, count).Select(i => Block(i, 100 + i))];

    public static byte[] Block(int seed, int length) => Enumerable.Range(0, length).Select(j => (byte)(seed * 31 + j)).ToArray();
}
