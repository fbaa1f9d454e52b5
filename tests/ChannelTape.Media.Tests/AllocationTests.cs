namespace ChannelTape.Media.Tests;

/// <summary>
/// Steady-state AWSTAPE I/O allocates nothing per block (caller-owned buffers, reused internal
/// buffers). Allocation is counted, not timed; speed is measured in bench/.
/// </summary>
public sealed class AllocationTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(32 * 1024, 65535)]
    [InlineData(64 * 1024, 65535)]
    [InlineData(64 * 1024, 4096)]
    public void Writing_reading_and_spacing_an_AWS_volume_allocate_nothing_per_block(int blockSize, int chunkSize)
    {
        byte[] block = TestData.Block(blockSize, 1);
        byte[] buffer = TestData.Buffer();
        using var media = TestData.Create(_directory.File("steady.aws"), TapeImageFormat.Aws, new TapeImageOptions { ChunkSize = chunkSize });

        // Assert itself allocates, so statuses are checked by hand inside the measured passes.
        int failures = 0;
        void Expect(MediaStatus expected, MediaStatus actual)
        {
            if (actual != expected)
                failures++;
        }

        void Pass()
        {
            Expect(MediaStatus.Ok, media.Rewind());
            for (int i = 0; i < 64; i++)
                Expect(MediaStatus.Ok, media.Write(block));
            Expect(MediaStatus.Ok, media.WriteTapeMark());
            Expect(MediaStatus.Ok, media.Rewind());
            for (int i = 0; i < 64; i++)
                Expect(MediaStatus.Ok, media.ReadForward(buffer, out _));
            Expect(MediaStatus.TapeMark, media.ReadForward(buffer, out _));
            Expect(MediaStatus.TapeMark, media.BackspaceFile());
            Expect(MediaStatus.Ok, media.ReadBackward(buffer, out _));
            Expect(MediaStatus.Ok, media.Locate(10));
            Expect(MediaStatus.TapeMark, media.ForwardSpaceFile());
        }

        // Warm-up: the first pass sizes the internal buffers and the block index; the next ones let
        // the JIT finish with the loops (on-stack replacement allocates once on this thread).
        for (int i = 0; i < 3; i++)
            Pass();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Pass();
        Pass();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, failures);
        Assert.Equal(0, allocated);
    }
}
