using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;
using ChannelTape.Server.Streaming;

namespace ChannelTape.Server.Tests.Streaming;

/// <summary>
/// The write credit (docs/protocol.md §5.1) keeps its promise: every Write within it ends with CE+DE,
/// on every format and block size, and it is not needlessly small.
/// </summary>
public sealed class WriteCreditTests : IDisposable
{
    private const long Limit = 8 * 1024 * 1024;
    private const long MaxSize = 600 * 1024;
    private const long EotMargin = 100 * 1024;
    private static readonly UnitStatus s_ok = UnitStatus.ChannelEndDeviceEnd;
    private readonly string _directory = Directory.CreateTempSubdirectory("ctape-credit-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string, int> FormatsAndBlockSizes()
    {
        var data = new TheoryData<string, int>();
        foreach (var format in new[] { "aws", "aws chunksize=4096", "het", "het chunksize=4096 compress=0", "fake", "memory" })
        {
            foreach (var size in new[] { 1, 80, 4096, 4097, 27_998, 65_535 })
            {
                data.Add(format, size);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FormatsAndBlockSizes))]
    public void Writes_spending_the_whole_credit_never_reach_the_warning_and_the_credit_is_not_needlessly_small(string format, int blockSize)
    {
        using var drive = Mounted(format);
        var block = Block(blockSize, seed: blockSize);
        // Start away from load point: HET warns even there, AWS only past it.
        Assert.Equal(s_ok, Write(drive, block[..Math.Min(blockSize, 500)]).Status);
        var room = MaxSize - EotMargin - drive.Media!.Position.Offset;

        var credit = WriteCredit.For(drive, Limit);

        // Headers cost at most 6 bytes per 4096 (AWS/HET chunks); the protocol's 32 per block covers the rest.
        Assert.InRange(credit, room * 99 / 100, room);
        long spent = 0;
        while (spent + blockSize + WriteAllowance.PerBlock <= credit)
        {
            var result = Write(drive, block);
            Assert.Equal(new CcwResult(s_ok, 0), result);
            spent += blockSize + WriteAllowance.PerBlock;
        }

        Assert.False(drive.Media.IsPastEarlyWarning);
    }

    [Theory]
    [InlineData("aws chunksize=4096")]
    [InlineData("het chunksize=4096")]
    [InlineData("fake")]
    public void Writes_of_mixed_sizes_within_the_credit_all_end_with_channel_end_and_device_end(string format)
    {
        using var drive = Mounted(format);
        var random = new Random(4711);
        for (var round = 0; round < 3; round++)
        {
            var credit = WriteCredit.For(drive, Limit);
            if (credit == 0)
            {
                break;
            }

            while (true)
            {
                var size = random.Next(1, 65_536);
                if (size + WriteAllowance.PerBlock > credit)
                {
                    break;
                }

                Assert.Equal(new CcwResult(s_ok, 0), Write(drive, Block(size, random.Next())));
                credit -= size + WriteAllowance.PerBlock;
            }
        }

        Assert.False(drive.Media!.IsPastEarlyWarning);
    }

    [Fact]
    public void Credit_is_the_limit_without_a_capacity_and_0_when_a_write_would_not_end_cleanly()
    {
        using var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        Assert.Equal(0, WriteCredit.For(drive, Limit)); // no volume

        drive.Mount(new MemoryTapeMedia());
        Assert.Equal(Limit, WriteCredit.For(drive, Limit));

        // Mode Set tape-write-immediate: every Write flushes, so its outcome is not known in advance.
        Assert.Equal(s_ok, drive.Execute(new CcwRequest(0xDB, CcwFlags.None, CcwFlags.None, 1, 0, 0), new byte[] { 0x20 }).Status);
        Assert.Equal(0, WriteCredit.For(drive, Limit));
        drive.ResetChannelProgramSettings();
        Assert.Equal(Limit, WriteCredit.For(drive, Limit));

        drive.Mount(new MemoryTapeMedia(readOnly: true));
        Assert.Equal(0, WriteCredit.For(drive, Limit));

        drive.Mount(new MemoryTapeMedia(maxSize: 1024, eotMargin: 300));
        Assert.Equal(0, WriteCredit.For(drive, 0));
        Assert.InRange(WriteCredit.For(drive, Limit), 1, 1024 - 300);
        Assert.Equal(s_ok, Write(drive, new byte[700]).Status);
        Assert.InRange(WriteCredit.For(drive, Limit), 0, WriteAllowance.PerBlock - 1); // 706 + 300 of 1024: no Write fits
        Assert.Equal(s_ok | UnitStatus.UnitException, Write(drive, new byte[20]).Status);
        Assert.Equal(0, WriteCredit.For(drive, Limit)); // past the warning
    }

    private TapeDrive Mounted(string format)
    {
        var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        var words = format.Split(' ');
        if (words[0] == "memory")
        {
            drive.Mount(new MemoryTapeMedia(maxSize: MaxSize, eotMargin: EotMargin));
            return drive;
        }

        Assert.True(TapeImageOptions.TryParse(words.Skip(1).Concat([$"maxsize={MaxSize}", $"eotmargin={EotMargin}"]), out var options, out var error), error);
        var imageFormat = words[0] switch
        {
            "aws" => TapeImageFormat.Aws,
            "het" => TapeImageFormat.Het,
            _ => TapeImageFormat.FakeTape,
        };
        var path = Path.Combine(_directory, $"{Guid.NewGuid():N}.{words[0]}");
        Assert.True(TapeImage.TryCreate(path, imageFormat, options, out var media, out error), error);
        drive.Mount(media);
        return drive;
    }

    private static CcwResult Write(TapeDrive drive, byte[] block) =>
        drive.Execute(new CcwRequest(0x01, CcwFlags.None, CcwFlags.None, block.Length, 0, 1), block);

    /// <summary>Half random (does not compress), half repeated (does): HET takes both paths.</summary>
    private static byte[] Block(int size, int seed)
    {
        var block = new byte[size];
        new Random(seed).NextBytes(block.AsSpan(0, size / 2));
        block.AsSpan(size / 2).Fill((byte)seed);
        return block;
    }
}
