using ChannelTape.Channel;

namespace ChannelTape.Core.Tests.Channel;

/// <summary>The command types of SA22-7201 "Command Code", as Hercules' IS_CCW_* macros read them.</summary>
public sealed class CommandTypeTests
{
    [Theory]
    [InlineData(0x01, "write")]           // Write
    [InlineData(0x1F, "control")]         // Write Tape Mark
    [InlineData(0x02, "read")]            // Read
    [InlineData(0x22, "read")]            // Read Block ID
    [InlineData(0x03, "control")]         // No-operation
    [InlineData(0x04, "sense")]           // Sense
    [InlineData(0xE4, "sense")]           // Sense ID
    [InlineData(0x08, "tic")]             // Transfer in Channel
    [InlineData(0x18, "tic")]             // a format-0 TIC ignores the high bits
    [InlineData(0x0C, "read backward")]   // Read Backward
    [InlineData(0x00, "invalid")]
    [InlineData(0xF0, "invalid")]
    public void Each_code_has_exactly_one_type(byte code, string type)
    {
        var types = new List<string>();
        if (CommandType.IsWrite(code))
        {
            types.Add("write");
        }

        if (CommandType.IsRead(code))
        {
            types.Add("read");
        }

        if (CommandType.IsControl(code))
        {
            types.Add("control");
        }

        if (CommandType.IsSense(code))
        {
            types.Add("sense");
        }

        if (CommandType.IsTransferInChannel(code))
        {
            types.Add("tic");
        }

        if (CommandType.IsReadBackward(code))
        {
            types.Add("read backward");
        }

        Assert.Equal(type == "invalid" ? [] : [type], types);
    }

    [Fact]
    public void Input_is_read_sense_and_read_backward_and_output_is_write_and_control()
    {
        for (int code = 0; code < 256; code++)
        {
            byte c = (byte)code;
            Assert.Equal(CommandType.IsRead(c) || CommandType.IsSense(c) || CommandType.IsReadBackward(c), CommandType.IsInput(c));
            Assert.Equal(CommandType.IsWrite(c) || CommandType.IsControl(c), CommandType.IsOutput(c));
            Assert.False(CommandType.IsInput(c) && CommandType.IsOutput(c));
        }
    }

    [Fact]
    public void Only_03_is_the_no_operation_command()
    {
        Assert.True(CommandType.IsNoOperation(0x03));
        Assert.False(CommandType.IsNoOperation(0x07));
        Assert.False(CommandType.IsNoOperation(0x13));
    }
}
