using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;

namespace ChannelTape.Core.Tests.Device;

/// <summary>
/// Conditions the reference tests cannot provoke with a healthy AWS file (docs/reference/hercules-tape.md §2.3 and
/// §2.4 condition maps; Hercules tapeccws.c build_sense_3480_etal / build_sense_3410_3420).
/// </summary>
public class SenseBuilderTests
{
    private static readonly SenseBuilder.DriveState s_midTape = new(true, false, false, false, 0x0580);

    private static string Build(TapeModel model, TapeCondition condition, SenseBuilder.DriveState state, out UnitStatus status)
    {
        var sense = new byte[32];
        status = SenseBuilder.Build(model, condition, state, sense);
        return Convert.ToHexString(sense, 0, SenseBuilder.SenseCount(model));
    }

    [Theory]
    [InlineData(TapeCondition.ReadFailed, "08402023")]
    [InlineData(TapeCondition.WriteFailed, "08402025")]
    [InlineData(TapeCondition.EndOfTape, "10402038")]
    [InlineData(TapeCondition.BlockShort, "10402036")]
    [InlineData(TapeCondition.RewindFailed, "1040202C")]
    [InlineData(TapeCondition.LocateFailed, "10402044")]
    [InlineData(TapeCondition.Fenced, "12402047")]
    [InlineData(TapeCondition.EmptyTape, "08402031")]
    [InlineData(TapeCondition.WriteProtected, "80402030")]
    [InlineData(TapeCondition.LoadPointError, "00402039")]
    public void Error_conditions_3490(TapeCondition condition, string first4)
    {
        string sense = Build(TapeModel.Ibm3490, condition, s_midTape, out var status);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck, status);
        Assert.Equal(first4 + "0000002000000000000000000000000000000000000600EC00580000", sense);
    }

    [Fact]
    public void Load_failure_leaves_the_drive_empty_with_intervention_required()
    {
        string sense = Build(TapeModel.Ibm3490, TapeCondition.LoadFailed, new(false, false, false, false, 0x0580), out var status);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck, status);
        Assert.StartsWith("42422033", sense);
    }

    [Theory]
    [InlineData(TapeCondition.ReadFailed, "084000C000C00300")]
    [InlineData(TapeCondition.WriteFailed, "0840006000C00300")]
    [InlineData(TapeCondition.EndOfTape, "1040000000C00360")]
    [InlineData(TapeCondition.BlockShort, "1040000000C00360")]
    [InlineData(TapeCondition.RewindFailed, "1040000000C00360")]
    [InlineData(TapeCondition.LoadPointError, "0040000000C00300")]
    public void Error_conditions_3420(TapeCondition condition, string first8)
    {
        string sense = Build(TapeModel.Ibm3420, condition, s_midTape, out var status);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck, status);
        Assert.Equal(first8 + "0000000000800100010000FFFF000000", sense);
    }

    [Fact]
    public void Status_only_leaves_sense_alone_and_3420_reports_the_warning_point_in_byte_4()
    {
        var sense = new byte[32];
        sense[0] = 0x80;
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, SenseBuilder.Build(TapeModel.Ibm3490, TapeCondition.StatusOnly, s_midTape, sense));
        Assert.Equal(0x80, sense[0]);

        string reel = Build(TapeModel.Ibm3420, TapeCondition.CommandReject, new(true, false, true, true, 0x0580), out var status);
        Assert.Equal(UnitStatus.UnitCheck, status);
        Assert.StartsWith("8042000041C003", reel);
    }

    [Theory]
    [InlineData(MediaStatus.Ok, TapeCondition.StatusOnly)]
    [InlineData(MediaStatus.TapeMark, TapeCondition.TapeMarkRead)]
    [InlineData(MediaStatus.LoadPoint, TapeCondition.LoadPointError)]
    [InlineData(MediaStatus.EndOfData, TapeCondition.EmptyTape)]
    [InlineData(MediaStatus.EndOfTape, TapeCondition.EndOfTape)]
    [InlineData(MediaStatus.WriteProtected, TapeCondition.WriteProtected)]
    [InlineData(MediaStatus.DataCheck, TapeCondition.ReadFailed)]
    [InlineData(MediaStatus.BlockShort, TapeCondition.BlockShort)]
    [InlineData(MediaStatus.WriteError, TapeCondition.WriteFailed)]
    [InlineData(MediaStatus.LocateFailed, TapeCondition.LocateFailed)]
    public void Media_outcomes_map_to_conditions(MediaStatus media, TapeCondition condition) =>
        Assert.Equal(condition, SenseBuilder.FromMedia(media));
}
