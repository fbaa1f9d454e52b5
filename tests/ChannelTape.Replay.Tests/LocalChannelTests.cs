using ChannelTape.Channel;

namespace ChannelTape.Replay.Tests;

/// <summary>
/// The in-process channel follows Hercules 3.13 channel.c (docs/reference/hercules-tape.md §5) rule by rule.
/// </summary>
public sealed class LocalChannelTests
{
    private const CcwFlags CD = CcwFlags.ChainData;
    private const CcwFlags CC = CcwFlags.ChainCommand;
    private const CcwFlags SLI = CcwFlags.SuppressLength;
    private const UnitStatus CEDE = UnitStatus.ChannelEndDeviceEnd;

    private static readonly LocalChannel s_channel = new();

    private static byte[] Bytes(string ascii) => System.Text.Encoding.ASCII.GetBytes(ascii);

    /// <summary>A read device: every read returns the next of <paramref name="blocks"/> (tail kept for data chaining).</summary>
    private static ScriptedDevice BlockReader(params string[] blocks)
    {
        var next = 0;
        byte[] remaining = [];
        return new ScriptedDevice((request, buffer) =>
        {
            if (!request.IsDataChained)
            {
                if (next >= blocks.Length)
                {
                    return new CcwResult(CEDE | UnitStatus.UnitException, request.Count);
                }

                remaining = Bytes(blocks[next++]);
            }

            var n = Math.Min(request.Count, remaining.Length);
            if (CommandType.IsReadBackward(request.Command))
            {
                remaining.AsSpan(remaining.Length - n).CopyTo(buffer.AsSpan(request.Count - n));
                remaining = remaining[..^n];
            }
            else
            {
                remaining.AsSpan(0, n).CopyTo(buffer);
                remaining = remaining[n..];
            }

            return new CcwResult(CEDE, request.Count - n, More: remaining.Length > 0);
        });
    }

    [Fact]
    public void Write_data_chain_is_merged_into_one_device_call()
    {
        var device = new ScriptedDevice(ScriptedDevice.Good);
        var program = new ChannelProgram();
        program.Add(0x07, CC | SLI, 1);
        program.Add(0x01, CD, 3, Bytes("AAA"));
        program.Add(0x01, CD, 4, Bytes("BBBB"));
        program.Add(0x05, CcwFlags.None, 2, Bytes("CC")); // command code of a data-chained CCW is ignored

        var result = program.Run(s_channel, device);

        Assert.Equal(2, device.Calls.Count);
        var (request, data) = device.Calls[1];
        Assert.Equal(0x01, request.Command);
        Assert.Equal(9, request.Count);
        Assert.Equal("AAABBBBCC", System.Text.Encoding.ASCII.GetString(data));
        Assert.Equal(CC, request.PreviousFlags); // the flags before the data chain
        Assert.Equal(0x07, request.PreviousCommand);
        Assert.Equal(1, request.Sequence);
        Assert.Equal(CEDE, result.UnitStatus);
        Assert.Equal(3, program.EndedAt(result));
        Assert.Equal(1, device.Starts);
        Assert.Equal(1, device.Ends);
    }

    [Fact]
    public void Read_data_chain_calls_the_device_per_ccw_with_previous_flags_CD()
    {
        var device = BlockReader("ABCDEFGHIJKL");
        var program = new ChannelProgram();
        program.Add(0x02, CD, 5, fill: 0xEE);
        program.Add(0x0A, CD, 5, fill: 0xEE); // code stays 02 while data chaining
        program.Add(0x02, SLI, 10, fill: 0xEE);

        var result = program.Run(s_channel, device);

        Assert.Equal(3, device.Calls.Count);
        Assert.All(device.Calls, c => Assert.Equal(0x02, c.Request.Command));
        Assert.Equal(CcwFlags.None, device.Calls[0].Request.PreviousFlags);
        Assert.Equal(CD, device.Calls[1].Request.PreviousFlags);
        Assert.Equal(CD, device.Calls[2].Request.PreviousFlags);
        Assert.Equal("ABCDE", System.Text.Encoding.ASCII.GetString(program.DataArea(0)));
        Assert.Equal("FGHIJ", System.Text.Encoding.ASCII.GetString(program.DataArea(1)));
        Assert.Equal(Bytes("KL").Concat(Enumerable.Repeat((byte)0xEE, 8)), program.DataArea(2).ToArray());
        Assert.Equal(8, result.Residual);
        Assert.Equal(ChannelStatus.None, result.ChannelStatus);
        Assert.Equal(2, program.EndedAt(result));
    }

    [Fact]
    public void More_data_without_CD_and_without_SLI_is_incorrect_length()
    {
        var program = new ChannelProgram();
        program.Add(0x02, CD, 4);
        program.Add(0x02, CcwFlags.None, 4);
        var result = program.Run(s_channel, BlockReader("ABCDEFGHIJ"));
        Assert.Equal(ChannelStatus.IncorrectLength, result.ChannelStatus);
        Assert.Equal(0, result.Residual);

        var withSli = new ChannelProgram();
        withSli.Add(0x02, CD, 4);
        withSli.Add(0x02, SLI, 4);
        Assert.Equal(ChannelStatus.None, withSli.Run(s_channel, BlockReader("ABCDEFGHIJ")).ChannelStatus);
    }

    [Fact]
    public void Residual_with_CD_is_incorrect_length_even_with_SLI_and_ends_the_chain()
    {
        var device = BlockReader("ABC");
        var program = new ChannelProgram();
        program.Add(0x02, CD | SLI, 10);
        program.Add(0x02, SLI, 10);
        var result = program.Run(s_channel, device);
        Assert.Single(device.Calls);
        Assert.Equal(ChannelStatus.IncorrectLength, result.ChannelStatus);
        Assert.Equal(0, program.EndedAt(result));
    }

    [Theory]
    [InlineData(CcwFlags.None, ChannelStatus.IncorrectLength)]
    [InlineData(SLI, ChannelStatus.None)]
    public void Short_block_is_incorrect_length_unless_SLI(CcwFlags flags, ChannelStatus expected)
    {
        var program = new ChannelProgram();
        program.Add(0x02, flags, 10);
        var result = program.Run(s_channel, BlockReader("ABC"));
        Assert.Equal(expected, result.ChannelStatus);
        Assert.Equal(7, result.Residual);
    }

    [Fact]
    public void Incorrect_length_stops_command_chaining()
    {
        var device = BlockReader("AB", "CD");
        var program = new ChannelProgram();
        program.Add(0x02, CC, 10);
        program.Add(0x02, SLI, 10);
        var result = program.Run(s_channel, device);
        Assert.Single(device.Calls);
        Assert.Equal(0, program.EndedAt(result));
    }

    [Fact]
    public void Incorrect_length_suppression_applies_to_format_1_only()
    {
        var suppress = new ChannelProgramOptions { SuppressIncorrectLength = true };
        var program = new ChannelProgram();
        program.Add(0x02, CC, 10);
        program.Add(0x03, SLI, 1);
        var device = new ScriptedDevice((r, b) => new CcwResult(CEDE, r.Count - Math.Min(r.Count, 2)), 0x03);
        var result = program.Run(s_channel, device, suppress);
        Assert.Equal(ChannelStatus.None, result.ChannelStatus);
        Assert.Equal(1, program.EndedAt(result)); // the chain went on

        var format0 = new ChannelProgram(CcwFormat.Format0);
        format0.Add(0x02, CcwFlags.None, 10);
        Assert.Equal(ChannelStatus.IncorrectLength,
            format0.Run(s_channel, BlockReader("AB"), suppress with { Format = CcwFormat.Format0 }).ChannelStatus);
    }

    [Fact]
    public void Immediate_command_has_no_incorrect_length_and_ignores_CD()
    {
        var device = new ScriptedDevice((r, b) => new CcwResult(CEDE, r.Count), 0x07, 0x37);
        var program = new ChannelProgram();
        program.Add(0x37, CD, 5); // CD ignored: no data chain, the next CCW is not chained at all
        program.Add(0x07, CcwFlags.None, 1);
        var result = program.Run(s_channel, device);
        Assert.Single(device.Calls);
        Assert.Equal(CcwFlags.None, device.Calls[0].Request.Flags & CD);
        Assert.Equal(ChannelStatus.None, result.ChannelStatus);
        Assert.Equal(5, result.Residual);
        Assert.Equal(0, program.EndedAt(result));
    }

    [Fact]
    public void Nop_03_is_immediate_even_when_the_device_does_not_say_so()
    {
        var program = new ChannelProgram();
        program.Add(0x03, CcwFlags.None, 4);
        var result = program.Run(s_channel, new ScriptedDevice((r, b) => new CcwResult(CEDE, r.Count)));
        Assert.Equal(ChannelStatus.None, result.ChannelStatus);
        Assert.Equal(4, result.Residual);
    }

    [Fact]
    public void Command_chain_stops_on_unit_exception_and_on_unit_check()
    {
        foreach (var status in new[] { CEDE | UnitStatus.UnitException, CEDE | UnitStatus.UnitCheck, UnitStatus.UnitCheck })
        {
            var device = new ScriptedDevice((r, b) => r.Sequence == 1 ? new CcwResult(status, r.Count) : new CcwResult(CEDE, r.Count), 0x03, 0x37);
            var program = new ChannelProgram();
            program.Add(0x37, CC | SLI, 1);
            program.Add(0x37, CC | SLI, 1);
            program.Add(0x37, SLI, 1);
            var result = program.Run(s_channel, device);
            Assert.Equal(2, device.Calls.Count);
            Assert.Equal(status, result.UnitStatus);
            Assert.Equal(1, program.EndedAt(result));
        }
    }

    [Fact]
    public void Command_chain_runs_to_the_end_with_sequence_numbers_and_previous_command()
    {
        var device = new ScriptedDevice((r, b) => new CcwResult(CEDE, r.Count), 0x03, 0x37);
        var program = new ChannelProgram();
        program.Add(0x37, CC | SLI, 1);
        program.Add(0x03, CC | SLI, 1);
        program.Add(0x37, SLI, 1);
        var result = program.Run(s_channel, device);
        Assert.Equal([0, 1, 2], device.Calls.Select(c => c.Request.Sequence));
        Assert.Equal([0x00, 0x37, 0x03], device.Calls.Select(c => c.Request.PreviousCommand));
        Assert.Equal([CcwFlags.None, CC, CC], device.Calls.Select(c => c.Request.PreviousFlags));
        Assert.Equal(2, program.EndedAt(result));
        Assert.Equal(3, result.Executions.Count);
    }

    [Fact]
    public void Status_modifier_skips_one_ccw()
    {
        var device = new ScriptedDevice((r, b) => r.Sequence == 0
            ? new CcwResult(CEDE | UnitStatus.StatusModifier, r.Count)
            : new CcwResult(CEDE, r.Count), 0x03, 0x37);
        var program = new ChannelProgram();
        program.Add(0x37, CC | SLI, 1);
        program.Add(0x03, CC | SLI, 1); // skipped
        program.Add(0x07, SLI, 1);
        var result = program.Run(s_channel, device);
        Assert.Equal([0x37, 0x07], device.Calls.Select(c => c.Request.Command));
        Assert.Equal(2, program.EndedAt(result));
    }

    [Fact]
    public void Command_retry_status_reexecutes_the_same_ccw()
    {
        var calls = 0;
        var device = new ScriptedDevice((r, b) => ++calls < 3
            ? new CcwResult(CEDE | UnitStatus.UnitCheck | UnitStatus.StatusModifier, r.Count)
            : new CcwResult(CEDE, 0));
        var program = new ChannelProgram();
        program.Add(0x01, CcwFlags.None, 2, Bytes("RT"));
        var result = program.Run(s_channel, device);
        Assert.Equal(3, device.Calls.Count);
        Assert.Equal(CEDE, result.UnitStatus);
        Assert.Equal(0, program.EndedAt(result));
    }

    [Fact]
    public void Tic_transfers_and_tic_to_tic_is_a_program_check()
    {
        var device = new ScriptedDevice(ScriptedDevice.Good, 0x03, 0x1F);
        var program = new ChannelProgram();
        program.Add(0x1F, CC | SLI, 1);
        program.AddTransfer(3);
        program.Add(0x01, CcwFlags.None, 4, Bytes("SKIP"));
        program.Add(0x03, SLI, 1);
        var result = program.Run(s_channel, device);
        Assert.Equal([0x1F, 0x03], device.Calls.Select(c => c.Request.Command));
        Assert.Equal(3, program.EndedAt(result));

        var loop = new ChannelProgram();
        loop.Add(0x03, CC | SLI, 1);
        loop.AddTransfer(2);
        loop.AddTransfer(0);
        var check = loop.Run(s_channel, new ScriptedDevice(ScriptedDevice.Good, 0x03));
        Assert.Equal(ChannelStatus.ProgramCheck, check.ChannelStatus);
        Assert.Equal(UnitStatus.None, check.UnitStatus);
        Assert.Equal(2, loop.EndedAt(check));
    }

    [Fact]
    public void Format_1_tic_with_flags_or_count_is_a_program_check_format_0_tic_is_not()
    {
        var program = new ChannelProgram();
        program.AddTransfer(1, flags: CC);
        program.Add(0x03, SLI, 1);
        Assert.Equal(ChannelStatus.ProgramCheck, program.Run(s_channel, new ScriptedDevice(ScriptedDevice.Good)).ChannelStatus);

        var format0 = new ChannelProgram(CcwFormat.Format0);
        format0.AddTransfer(1, flags: CC, count: 1);
        format0.Add(0x03, SLI, 1);
        var result = format0.Run(s_channel, new ScriptedDevice(ScriptedDevice.Good), new ChannelProgramOptions { Format = CcwFormat.Format0 });
        Assert.Equal(ChannelStatus.None, result.ChannelStatus);
        Assert.Equal(1, format0.EndedAt(result));
    }

    [Fact]
    public void Data_chaining_passes_through_a_tic()
    {
        var device = new ScriptedDevice(ScriptedDevice.Good);
        var program = new ChannelProgram();
        program.Add(0x01, CD, 2, Bytes("DC"));
        program.AddTransfer(2);
        program.Add(0x01, CcwFlags.None, 3, Bytes("TIC"));
        program.Run(s_channel, device);
        Assert.Single(device.Calls);
        Assert.Equal("DCTIC", System.Text.Encoding.ASCII.GetString(device.Calls[0].DataIn));
    }

    [Fact]
    public void Skip_moves_no_data_to_storage()
    {
        var program = new ChannelProgram();
        program.Add(0x02, CcwFlags.Skip | SLI, 6, fill: 0xEE);
        var result = program.Run(s_channel, BlockReader("ABC"));
        Assert.All(program.DataArea(0).ToArray(), b => Assert.Equal(0xEE, b));
        Assert.Equal(3, result.Residual);
        Assert.Equal(0, result.Executions[0].Transferred);
    }

    [Fact]
    public void Read_backward_data_ends_at_the_ccw_address()
    {
        var program = new ChannelProgram();
        program.Add(0x0C, SLI, 8, fill: 0xEE);
        var result = program.Run(s_channel, BlockReader("ABC"));
        Assert.Equal(5, result.Residual);
        Assert.Equal(new byte[] { 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, (byte)'A', (byte)'B', (byte)'C' }, program.DataArea(0).ToArray());
    }

    [Fact]
    public void Count_zero_is_a_program_check_in_format_0_and_with_CD()
    {
        var device = new ScriptedDevice(ScriptedDevice.Good);
        var format0 = new ChannelProgram(CcwFormat.Format0);
        format0.Add(0x07, CcwFlags.None, 0);
        var result = format0.Run(s_channel, device, new ChannelProgramOptions { Format = CcwFormat.Format0 });
        Assert.Equal(ChannelStatus.ProgramCheck, result.ChannelStatus);
        Assert.Empty(device.Calls);
        Assert.Equal(0, format0.EndedAt(result));

        var format1 = new ChannelProgram();
        format1.Add(0x01, CcwFlags.None, 0);
        Assert.Equal(CEDE, format1.Run(s_channel, device).UnitStatus);
        Assert.Equal(0, device.Calls[0].Request.Count);

        var chained = new ChannelProgram();
        chained.Add(0x01, CD, 2, Bytes("AB"));
        chained.Add(0x01, CcwFlags.None, 0);
        Assert.Equal(ChannelStatus.ProgramCheck, chained.Run(s_channel, device).ChannelStatus);
    }

    [Fact]
    public void Invalid_command_code_is_a_program_check_and_keeps_the_previous_residual()
    {
        var device = new ScriptedDevice((r, b) => new CcwResult(CEDE, r.Count), 0x03);
        var program = new ChannelProgram();
        program.Add(0x03, CC, 1);
        program.Add(0x00, SLI, 9);
        var result = program.Run(s_channel, device);
        Assert.Single(device.Calls);
        Assert.Equal(ChannelStatus.ProgramCheck, result.ChannelStatus);
        Assert.Equal(UnitStatus.None, result.UnitStatus);
        Assert.Equal(9, result.Residual); // residual is set to the count before the check, as Hercules does
        Assert.Equal(1, program.EndedAt(result));
    }

    [Fact]
    public void Data_address_outside_storage_is_a_program_check()
    {
        var device = new ScriptedDevice(ScriptedDevice.Good);
        var program = new ChannelProgram();
        program.AddAtAddress(0x01, CcwFlags.None, 16, 0x7FFFFF00);
        var result = program.Run(s_channel, device);
        Assert.Equal(ChannelStatus.ProgramCheck, result.ChannelStatus);
        Assert.Empty(device.Calls);
    }

    [Fact]
    public void Merged_write_over_64_KiB_is_a_program_check()
    {
        var device = new ScriptedDevice(ScriptedDevice.Good);
        var program = new ChannelProgram();
        program.Add(0x01, CD, 40000);
        program.Add(0x01, CcwFlags.None, 30000);
        Assert.Equal(ChannelStatus.ProgramCheck, program.Run(s_channel, device).ChannelStatus);
        Assert.Empty(device.Calls);
    }

    [Fact]
    public void Command_reject_shortcut_forces_residual_zero_only_when_enabled()
    {
        var device = new ScriptedDevice((r, b) => new CcwResult(UnitStatus.UnitCheck, r.Count));
        device.SetSense(0x80, 0x40, 0x20, 0x27);
        var program = new ChannelProgram();
        program.Add(0x4F, CcwFlags.None, 2, [1, 0]);

        var hercules313 = program.Run(s_channel, device);
        Assert.Equal(2, hercules313.Residual);
        Assert.Equal(ChannelStatus.IncorrectLength, hercules313.ChannelStatus);

        var shortcut = program.Run(s_channel, device, new ChannelProgramOptions { CommandRejectResidualZero = true });
        Assert.Equal(0, shortcut.Residual);
        Assert.Equal(ChannelStatus.None, shortcut.ChannelStatus);
    }

    [Fact]
    public void Pci_flags_are_counted_as_intermediate_interrupts()
    {
        var device = new ScriptedDevice(ScriptedDevice.Good);
        var program = new ChannelProgram();
        program.Add(0x01, CC | CcwFlags.ProgramControlledInterruption, 1, [1]);
        program.Add(0x01, CcwFlags.ProgramControlledInterruption, 1, [2]);
        var result = program.Run(s_channel, device);
        Assert.Equal(2, result.ProgramControlledInterruptions);
        Assert.Equal(CEDE, result.UnitStatus);
    }

    [Fact]
    public void Endless_program_ends_as_timeout()
    {
        var program = new ChannelProgram();
        program.Add(0x03, CC | SLI, 1);
        program.AddTransfer(0);
        var result = program.Run(s_channel, new ScriptedDevice(ScriptedDevice.Good, 0x03), new ChannelProgramOptions { MaxCcws = 1000 });
        Assert.Equal(ChannelCompletion.Timeout, result.Completion);
    }

    [Fact]
    public void Concurrent_sense_takes_the_sense_on_unit_check()
    {
        var device = new ScriptedDevice((r, b) => new CcwResult(CEDE | UnitStatus.UnitCheck, r.Count));
        device.SetSense(0x08, 0x40, 0x20, 0x31);
        var program = new ChannelProgram();
        program.Add(0x02, SLI, 4);
        var result = program.Run(s_channel, device, new ChannelProgramOptions { ConcurrentSense = true });
        Assert.NotNull(result.ConcurrentSense);
        Assert.Equal(new byte[] { 0x08, 0x40, 0x20, 0x31 }, result.ConcurrentSense![..4]);
        Assert.Equal(0, device.Sense[0]);
    }

    [Fact]
    public void Midaw_and_suspend_flags_are_program_checks()
    {
        foreach (var flag in new[] { CcwFlags.ModifiedIndirectData, CcwFlags.Suspend })
        {
            var device = new ScriptedDevice(ScriptedDevice.Good);
            var program = new ChannelProgram();
            program.Add(0x01, flag, 1, [1]);
            Assert.Equal(ChannelStatus.ProgramCheck, program.Run(s_channel, device).ChannelStatus);
            Assert.Empty(device.Calls);
        }
    }
}
