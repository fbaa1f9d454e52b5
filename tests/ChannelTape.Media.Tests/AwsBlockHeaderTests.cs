namespace ChannelTape.Media.Tests;

/// <summary>The 6-byte AWSTAPE/HET chunk header (tapedev.h AWSTAPE_BLKHDR, hetlib.h HETHDR).</summary>
public sealed class AwsBlockHeaderTests
{
    [Theory]
    [InlineData("5000 0000 A0 00", 80, 0, AwsFlags1.StartOfRecord | AwsFlags1.EndOfRecord, AwsFlags2.None)] // hetinit -d VOL1
    [InlineData("0000 5000 40 00", 0, 80, AwsFlags1.TapeMark, AwsFlags2.None)]
    [InlineData("0010 0010 01 00", 4096, 4096, AwsFlags1.Zlib, AwsFlags2.None)] // a middle chunk of a zlib block
    [InlineData("1902 0000 A0 80", 537, 0, AwsFlags1.StartOfRecord | AwsFlags1.EndOfRecord, AwsFlags2.BusTechZlib)]
    public void Lengths_are_little_endian_and_flags_follow(string hex, int current, int previous, AwsFlags1 flags1, AwsFlags2 flags2)
    {
        byte[] bytes = TestData.Hex(hex);
        var header = AwsBlockHeader.Read(bytes);
        Assert.Equal(new AwsBlockHeader((ushort)current, (ushort)previous, flags1, flags2), header);

        var written = new byte[AwsBlockHeader.Size];
        header.Write(written);
        Assert.Equal(bytes, written);
    }

    [Fact]
    public void Flag_properties_read_flags_1()
    {
        var first = new AwsBlockHeader(4096, 0, AwsFlags1.StartOfRecord | AwsFlags1.Zlib, AwsFlags2.None);
        Assert.True(first.IsStartOfRecord);
        Assert.False(first.IsEndOfRecord);
        Assert.False(first.IsTapeMark);
        var mark = new AwsBlockHeader(0, 0, AwsFlags1.TapeMark, AwsFlags2.None);
        Assert.True(mark.IsTapeMark);
        Assert.False(mark.IsStartOfRecord);
    }
}
