namespace ChannelTape.Media.Tests;

/// <summary>
/// Both HET codecs, the host's zlib/libbz2 and the SharpZipLib fallback, read each other's blocks
/// and refuse corrupt data the same way (hetlib.c het_read: HETE_DECERR).
/// </summary>
public sealed class HetCodecTests
{
    private const int Max = 2 * 1024 * 1024;

    public static TheoryData<bool, bool, HetCompression> Pairs()
    {
        var data = new TheoryData<bool, bool, HetCompression>();
        foreach (var method in new[] { HetCompression.Zlib, HetCompression.Bzip2 })
        foreach (bool writerSystem in new[] { true, false })
        foreach (bool readerSystem in new[] { true, false })
            data.Add(writerSystem, readerSystem, method);
        return data;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Blocks_written_by_one_codec_read_back_with_the_other(bool writerSystem, bool readerSystem, HetCompression method)
    {
        var writer = new HetCodec(Max, writerSystem);
        var reader = new HetCodec(Max, readerSystem);
        var output = new byte[Max];
        foreach (int size in new[] { 100, 5000, 65535, 300_000 })
        {
            byte[] block = new byte[size];
            for (int i = 0; i < size; i++)
                block[i] = (byte)(i % 251 / 3);
            var compressed = new byte[size];
            int length = writer.Compress(method, 6, block, compressed);
            Assert.InRange(length, 1, size - 1);
            Assert.Equal(size, reader.Decompress(method, compressed.AsSpan(0, length), output));
            Assert.True(block.AsSpan().SequenceEqual(output.AsSpan(0, size)));
        }
    }

    [Theory]
    [InlineData(true, HetCompression.Zlib)]
    [InlineData(false, HetCompression.Zlib)]
    [InlineData(true, HetCompression.Bzip2)]
    [InlineData(false, HetCompression.Bzip2)]
    public void Incompressible_blocks_are_not_compressed(bool system, HetCompression method)
    {
        var codec = new HetCodec(Max, system);
        byte[] noise = TestData.Block(4000, 1);
        Assert.Equal(0, codec.Compress(method, 4, noise, new byte[noise.Length]));
        // And the codec is still usable afterwards.
        byte[] zeros = new byte[4000];
        Assert.InRange(codec.Compress(method, 4, zeros, new byte[zeros.Length]), 1, 3999);
    }

    [Theory]
    [InlineData(true, HetCompression.Zlib)]
    [InlineData(false, HetCompression.Zlib)]
    [InlineData(true, HetCompression.Bzip2)]
    [InlineData(false, HetCompression.Bzip2)]
    public void Corrupt_cut_off_or_oversized_streams_are_refused(bool system, HetCompression method)
    {
        var codec = new HetCodec(Max, system);
        var output = new byte[Max];
        Assert.Equal(-1, codec.Decompress(method, TestData.Block(500, 3), output));

        byte[] block = new byte[20_000];
        var compressed = new byte[block.Length];
        int length = new HetCodec(Max, system).Compress(method, 4, block, compressed);
        Assert.Equal(-1, codec.Decompress(method, compressed.AsSpan(0, length / 2), output));

        var small = new HetCodec(10_000, system);
        Assert.Equal(-1, small.Decompress(method, compressed.AsSpan(0, length), output));
        Assert.Equal(block.Length, codec.Decompress(method, compressed.AsSpan(0, length), output));
    }

    [Theory]
    [InlineData(true, HetCompression.Zlib)]
    [InlineData(false, HetCompression.Zlib)]
    [InlineData(true, HetCompression.Bzip2)]
    [InlineData(false, HetCompression.Bzip2)]
    public void Mutated_streams_never_throw(bool system, HetCompression method)
    {
        var codec = new HetCodec(Max, system);
        var random = new Random(77);
        var output = new byte[Max];
        byte[] block = new byte[30_000];
        for (int i = 0; i < block.Length; i++)
            block[i] = (byte)(i % 80 < 40 ? 0xC1 + random.Next(9) : 0x40);
        var compressed = new byte[block.Length];
        int length = new HetCodec(Max, system).Compress(method, 4, block, compressed);
        Assert.InRange(length, 1, block.Length - 1);
        for (int iteration = 0; iteration < 300; iteration++)
        {
            byte[] mutated = compressed[..length];
            for (int flips = random.Next(1, 4); flips > 0; flips--)
                mutated[random.Next(mutated.Length)] ^= (byte)(1 << random.Next(8));
            int cut = random.Next(3) == 0 ? random.Next(mutated.Length) : mutated.Length;
            int result = codec.Decompress(method, mutated.AsSpan(0, cut), output);
            Assert.InRange(result, -1, Max);
        }
    }

    [Fact]
    public void Host_libraries_are_found_on_Linux()
    {
        // Hercules depends on them, so wherever its tools are installed they are too.
        if (OperatingSystem.IsLinux())
        {
            Assert.True(SystemCompression.HasZlib, "libz.so.1");
            Assert.True(SystemCompression.HasBzip2, "libbz2.so.1.0");
        }
        else
        {
            Assert.False(SystemCompression.HasZlib);
        }
    }
}
