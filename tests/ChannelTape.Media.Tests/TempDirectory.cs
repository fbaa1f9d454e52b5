namespace ChannelTape.Media.Tests;

/// <summary>A scratch directory removed when the test ends.</summary>
public sealed class TempDirectory : IDisposable
{
    /// <param name="inMemory">Prefer a memory-backed file system (/dev/shm) for tests that churn through many files.</param>
    public TempDirectory(bool inMemory = false)
    {
        string root = inMemory && Directory.Exists("/dev/shm") ? "/dev/shm" : System.IO.Path.GetTempPath();
        Path = System.IO.Path.Combine(root, "ctape-media-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Helpers shared by the media tests.</summary>
public static class TestData
{
    /// <summary>An 80-byte label record: <paramref name="text"/> in EBCDIC (cp037), padded with blanks.</summary>
    public static byte[] Ebcdic80(string text)
    {
        var record = new byte[80];
        ChannelTape.Text.Ebcdic.EncodePadded(text, record);
        return record;
    }

    /// <summary>Deterministic block contents: a counter pattern seeded by <paramref name="seed"/>.</summary>
    public static byte[] Block(int length, int seed)
    {
        var data = new byte[length];
        uint x = (uint)seed * 2654435761u + 1;
        for (int i = 0; i < length; i++)
        {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            // Mix compressible runs with noise so HET keeps some blocks compressed and some not.
            data[i] = (seed & 1) == 0 ? (byte)(i / 97 + seed) : (byte)x;
        }
        return data;
    }

    public static byte[] Buffer() => new byte[2 * 1024 * 1024];

    public static ITapeMedia Open(string path, TapeImageOptions? options = null)
    {
        Assert.True(TapeImage.TryOpen(path, options ?? new TapeImageOptions(), out var media, out var error), error);
        return media!;
    }

    public static ITapeMedia Create(string path, TapeImageFormat format, TapeImageOptions? options = null)
    {
        Assert.True(TapeImage.TryCreate(path, format, options ?? new TapeImageOptions(), out var media, out var error), error);
        return media!;
    }

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
}
