using ChannelTape.Media;

namespace ChannelTape.Bench;

/// <summary>The passes the media benchmarks time: the same blocks written from load point, or read back.</summary>
internal static class MediaPasses
{
    public static void Write(ITapeMedia media, byte[] block, int blocks)
    {
        media.Rewind();
        for (int i = 0; i < blocks; i++)
        {
            if (media.Write(block) != MediaStatus.Ok)
                throw new InvalidOperationException("write failed");
        }
    }

    public static int Read(ITapeMedia media, byte[] buffer, int blocks)
    {
        media.Rewind();
        int total = 0;
        for (int i = 0; i < blocks; i++)
        {
            if (media.ReadForward(buffer, out int length) != MediaStatus.Ok)
                throw new InvalidOperationException("read failed");
            total += length;
        }
        return total;
    }
}
