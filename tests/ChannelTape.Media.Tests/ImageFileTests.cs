namespace ChannelTape.Media.Tests;

/// <summary>The image file under the formats: reads within the known length, a cache that never serves stale bytes after a write, truncation.</summary>
public sealed class ImageFileTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    private ImageFile Open(byte[] content, bool readOnly = false)
    {
        string path = _directory.File("image.bin");
        File.WriteAllBytes(path, content);
        var handle = File.OpenHandle(path, FileMode.Open, readOnly ? FileAccess.Read : FileAccess.ReadWrite, FileShare.ReadWrite);
        return new ImageFile(handle, readOnly);
    }

    private static byte[] Bytes(int count, int seed) => Enumerable.Range(seed, count).Select(i => (byte)i).ToArray();

    [Fact]
    public void Reads_stop_at_the_length_known_when_the_file_was_opened()
    {
        using var file = Open(Bytes(100, 0));
        File.AppendAllText(_directory.File("image.bin"), "grown by someone else");
        var buffer = new byte[200];
        Assert.Equal(100, file.ReadAt(0, buffer));
        Assert.Equal(10, file.ReadAt(90, buffer));
        Assert.Equal(0, file.ReadAt(100, buffer));
        Assert.Equal(0, file.ReadAt(500, buffer));
        Assert.Equal(100, file.Length);
    }

    [Fact]
    public void A_header_read_after_data_comes_from_what_the_data_read_brought_along()
    {
        using var file = Open(Bytes(300, 0));
        var data = new byte[200];
        Assert.Equal(100, file.ReadDataAndPeek(50, data, 100, 6));
        Assert.Equal(Bytes(100, 50), data[..100]);

        var header = new byte[6];
        Assert.Equal(6, file.ReadHeader(150, header));
        Assert.Equal(Bytes(6, 150), header);
    }

    [Fact]
    public void A_short_header_at_the_end_of_the_file_reads_what_is_there()
    {
        using var file = Open(Bytes(10, 0));
        var header = new byte[6];
        Assert.Equal(4, file.ReadHeader(6, header));
        Assert.Equal(Bytes(4, 6), header[..4]);
        Assert.Equal(0, file.ReadHeader(10, header));
    }

    [Fact]
    public void Data_short_of_its_length_reports_the_bytes_the_file_holds()
    {
        using var file = Open(Bytes(100, 0));
        var data = new byte[500];
        Assert.Equal(40, file.ReadDataAndPeek(60, data, 300, 6));
    }

    [Fact]
    public void A_write_cuts_the_file_after_it_and_later_reads_see_the_new_bytes_not_the_cached_ones()
    {
        using var file = Open(Bytes(1000, 0));
        var header = new byte[6];
        file.ReadHeader(100, header); // fills the read-ahead window
        Assert.Equal(MediaStatus.Ok, file.WriteAndTruncate(100, [0xAA, 0xBB], Bytes(4, 200)));
        Assert.Equal(106, file.Length);
        Assert.Equal(106, new FileInfo(_directory.File("image.bin")).Length);
        Assert.Equal(6, file.ReadHeader(100, header));
        Assert.Equal(new byte[] { 0xAA, 0xBB, 200, 201, 202, 203 }, header);
    }

    [Fact]
    public void Truncate_shortens_the_file_and_a_read_only_file_refuses_writes()
    {
        using (var file = Open(Bytes(100, 0)))
        {
            Assert.True(file.Truncate(40));
            Assert.Equal(40, file.Length);
            Assert.Equal(0, file.ReadHeader(40, new byte[6]));
            Assert.True(file.Synchronize());
        }

        using var readOnly = Open(Bytes(100, 0), readOnly: true);
        Assert.NotEqual(MediaStatus.Ok, readOnly.WriteAndTruncate(0, [1, 2, 3]));
        Assert.Equal(100, new FileInfo(_directory.File("image.bin")).Length);
    }

    [Fact]
    public void Reads_after_filling_the_window_backward_return_the_bytes_of_the_file()
    {
        using var file = Open(Bytes(5000, 0));
        file.ReadAheadBackward(4900, 5000);
        var data = new byte[100];
        Assert.Equal(100, file.ReadDataAndPeek(4900, data, 100, 6));
        Assert.Equal(Bytes(100, 4900), data);
        var header = new byte[6];
        Assert.Equal(6, file.ReadHeader(0, header));
        Assert.Equal(Bytes(6, 0), header);
    }
}
