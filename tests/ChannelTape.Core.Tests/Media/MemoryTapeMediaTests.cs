using ChannelTape.Media;

namespace ChannelTape.Core.Tests.Media;

/// <summary>The in-memory volume: positions, tape marks, end of data, capacity as an AWS file would have it.</summary>
public class MemoryTapeMediaTests
{
    [Fact]
    public void Positions_count_blocks_and_tape_marks_and_offsets_like_an_AWS_file()
    {
        var media = MemoryTapeMedia.FromBlocks([new byte[80], null, new byte[70_000], null]);
        var buffer = new byte[media.MaxBlockSize];
        Assert.True(media.Position.AtLoadPoint);

        Assert.Equal(MediaStatus.Ok, media.ReadForward(buffer, out int length));
        Assert.Equal(80, length);
        Assert.Equal(new TapePosition(1, 1, 86), media.Position);
        Assert.Equal(MediaStatus.TapeMark, media.ReadForward(buffer, out length));
        Assert.Equal(0, length);
        Assert.Equal(new TapePosition(2, 2, 92), media.Position);
        Assert.Equal(MediaStatus.Ok, media.ForwardSpaceBlock());
        Assert.Equal(92 + 12 + 70_000, media.Position.Offset); // two chunks, two headers
        Assert.Equal(MediaStatus.TapeMark, media.ForwardSpaceBlock());
        Assert.Equal(MediaStatus.EndOfData, media.ReadForward(buffer, out _));
        Assert.Equal(media.ImageSize, media.Position.Offset);

        Assert.Equal(MediaStatus.TapeMark, media.BackspaceFile());
        Assert.Equal(3, media.Position.BlockNumber);
        Assert.Equal(MediaStatus.Ok, media.ReadBackward(buffer, out length));
        Assert.Equal(70_000, length);
        Assert.Equal(MediaStatus.TapeMark, media.BackspaceBlock());
        Assert.Equal(MediaStatus.LoadPoint, media.BackspaceFile());
        Assert.True(media.Position.AtLoadPoint);
        Assert.Equal(MediaStatus.LoadPoint, media.ReadBackward(buffer, out _));
    }

    [Fact]
    public void Writing_discards_everything_after_the_position()
    {
        var media = MemoryTapeMedia.FromBlocks([[1], [2], null, [3]]);
        media.ForwardSpaceBlock();
        Assert.Equal(MediaStatus.Ok, media.Write([9, 9]));
        Assert.Equal(2, media.Entries.Count);
        Assert.Equal(MediaStatus.Ok, media.WriteTapeMark());
        Assert.Equal(3, media.Entries.Count);
        Assert.Equal(2, media.Position.FileNumber);
        media.Rewind();
        media.ForwardSpaceBlock();
        Assert.Equal(MediaStatus.Ok, media.EraseToEnd());
        Assert.Single(media.Entries);
    }

    [Fact]
    public void Zero_length_block_reads_back_as_a_tape_mark()
    {
        var media = new MemoryTapeMedia();
        media.Write([]);
        media.Rewind();
        Assert.Equal(MediaStatus.TapeMark, media.ReadForward(new byte[media.MaxBlockSize], out _));
        Assert.Equal(2, media.Position.FileNumber);
    }

    [Fact]
    public void Read_only_volume_refuses_every_write_type_operation()
    {
        var media = MemoryTapeMedia.FromBlocks([[1]], readOnly: true);
        Assert.Equal(MediaStatus.WriteProtected, media.Write([1]));
        Assert.Equal(MediaStatus.WriteProtected, media.WriteTapeMark());
        Assert.Equal(MediaStatus.WriteProtected, media.EraseGap());
        Assert.Equal(MediaStatus.WriteProtected, media.EraseToEnd());
        Assert.Single(media.Entries);
    }

    [Fact]
    public void Capacity_and_early_warning_follow_the_AWS_rules()
    {
        var media = new MemoryTapeMedia("cap", maxSize: 1024, eotMargin: 300);
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(MediaStatus.Ok, media.Write(new byte[200]));
            Assert.False(media.IsPastEarlyWarning);
        }

        Assert.Equal(MediaStatus.Ok, media.Write(new byte[200])); // 824 + 300 > 1024
        Assert.True(media.IsPastEarlyWarning);
        Assert.Equal(MediaStatus.EndOfTape, media.Write(new byte[200])); // 824 + 206 > 1024
        Assert.Equal(4, media.Entries.Count);
        Assert.Equal(MediaStatus.Ok, media.Write(new byte[194]));  // exactly 1024
        Assert.Equal(MediaStatus.EndOfTape, media.WriteTapeMark());
        media.Rewind();
        Assert.False(media.IsPastEarlyWarning);
    }

    [Fact]
    public void Locate_goes_straight_to_a_block_and_fails_past_the_end()
    {
        var media = MemoryTapeMedia.FromBlocks([[1], null, [2], [3]]);
        Assert.Equal(MediaStatus.Ok, media.Locate(3));
        Assert.Equal(new TapePosition(3, 2, 7 + 6 + 7), media.Position);
        Assert.Equal(MediaStatus.Ok, media.Locate(1));
        Assert.Equal(1, media.Position.FileNumber);
        Assert.Equal(MediaStatus.Ok, media.Locate(4));
        Assert.Equal(MediaStatus.LocateFailed, media.Locate(5));
        Assert.Equal(4, media.Position.BlockNumber);
    }
}
