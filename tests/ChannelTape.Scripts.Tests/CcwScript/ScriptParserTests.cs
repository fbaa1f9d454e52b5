using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Scripts.CcwScript;

namespace ChannelTape.Scripts.Tests.CcwScript;

public class ScriptParserTests
{
    private static Script Parse(string source)
    {
        Assert.True(ScriptParser.TryParse(source, out var script, out var error), error?.ToString());
        return script;
    }

    private static ScriptError ParseError(string source)
    {
        Assert.False(ScriptParser.TryParse(source, out _, out var error));
        return error!;
    }

    [Fact]
    public void DeviceAndTapeDeclarations()
    {
        var script = Parse("""
            device 3480 at 0a81   # a cartridge drive
            tape "data/two.aws" ro maxsizeK=200
            """);
        Assert.Equal(TapeModel.Ibm3480, script.Device.Model);
        Assert.Equal(0x0A81, script.Device.DeviceNumber);
        Assert.Equal(VolumeKind.File, script.Tape.Kind);
        Assert.Equal("data/two.aws", script.Tape.Path);
        Assert.Equal(["ro", "maxsizeK=200"], script.Tape.Options);
        Assert.Empty(script.Steps);
    }

    [Fact]
    public void DefaultsAre3490At0580WithAnEmptyTape()
    {
        var script = Parse("NOP");
        Assert.Equal(TapeModel.Ibm3490, script.Device.Model);
        Assert.Equal(0x0580, script.Device.DeviceNumber);
        Assert.Equal(VolumeKind.Empty, script.Tape.Kind);
    }

    [Fact]
    public void TapeBlocksListDataBlocksAndTapeMarks()
    {
        var script = Parse("""
            tape blocks {
              block E'HDR1' X'40'
              block pattern X'C2F2' len 5
              TM TM
            }
            """);
        Assert.Equal(VolumeKind.Blocks, script.Tape.Kind);
        Assert.Equal(4, script.Tape.Blocks.Count);
        Assert.Equal(new byte[] { 0xC8, 0xC4, 0xD9, 0xF1, 0x40 }, script.Tape.Blocks[0].Data);
        Assert.Equal(new byte[] { 0xC2, 0xF2, 0xC2, 0xF2, 0xC2 }, script.Tape.Blocks[1].Data);
        Assert.True(script.Tape.Blocks[2].IsTapeMark);
        Assert.True(script.Tape.Blocks[3].IsTapeMark);
    }

    [Fact]
    public void BareCcwIsAOneCcwProgramWithItsExpectations()
    {
        var script = Parse("""
            READ 100 SLI fill X'EE'   // read one block
            expect status CE DE
            expect channel none
            expect residual 95
            expect data E'HELLO'
            """);
        var program = Assert.IsType<ChannelProgramStep>(Assert.Single(script.Steps));
        var ccw = Assert.Single(program.Ccws);
        Assert.Equal(0x02, ccw.Command);
        Assert.Equal(CcwFlags.SuppressLength, ccw.Flags);
        Assert.Equal(100, ccw.Count);
        Assert.All(ccw.Buffer, b => Assert.Equal(0xEE, b));
        Assert.Equal("READ 100 SLI fill X'EE'", program.Name);
        Assert.Equal(4, program.Expectations.Count);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Assert.IsType<UnitStatusExpectation>(program.Expectations[0]).Status);
        Assert.Equal(ChannelStatus.None, Assert.IsType<ChannelStatusExpectation>(program.Expectations[1]).Status);
        Assert.Equal(95, Assert.IsType<ResidualExpectation>(program.Expectations[2]).Residual);
        var data = Assert.IsType<BytesExpectation>(program.Expectations[3]);
        Assert.Equal(BytesMatch.Exact, data.Match);
        Assert.Equal(new byte[] { 0xC8, 0xC5, 0xD3, 0xD3, 0xD6 }, data.Value);
        Assert.Equal(5, data.Location.Line);
        Assert.Equal("expect data E'HELLO'", data.Text);
    }

    [Fact]
    public void ProgramBlockImpliesCommandChainingBetweenCcwsButNotAfterTheLast()
    {
        var script = Parse("""
            program "write two blocks and a tape mark" {
              WRITE E'ONE'
              WRITE 80 E'TWO' fill X'40' PCI
              WTM
            }
            expect status = 0C
            """);
        var program = Assert.IsType<ChannelProgramStep>(Assert.Single(script.Steps));
        Assert.Equal("write two blocks and a tape mark", program.Name);
        Assert.Equal(
            [CcwFlags.ChainCommand, CcwFlags.ChainCommand | CcwFlags.ProgramControlledInterruption, CcwFlags.None],
            program.Ccws.Select(c => c.Flags));
        Assert.Equal([3, 80, 1], program.Ccws.Select(c => c.Count));
        Assert.Equal(0x40, program.Ccws[1].Buffer[79]);
        Assert.Equal(0xE3, program.Ccws[1].Buffer[0]);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Assert.IsType<UnitStatusExpectation>(Assert.Single(program.Expectations)).Status);
    }

    [Fact]
    public void DataChainingReplacesTheImpliedCommandChain()
    {
        var script = Parse("""
            program { WRITE E'AB' CD   WRITE E'CD' CD   WRITE E'EF' }
            """);
        var program = Assert.IsType<ChannelProgramStep>(Assert.Single(script.Steps));
        Assert.Equal([CcwFlags.ChainData, CcwFlags.ChainData, CcwFlags.None], program.Ccws.Select(c => c.Flags));
    }

    [Fact]
    public void NoChainEndsTheChainInsideABlock()
    {
        var script = Parse("program { WTM   WTM nochain   NOP }");
        var program = Assert.IsType<ChannelProgramStep>(Assert.Single(script.Steps));
        Assert.Equal([CcwFlags.ChainCommand, CcwFlags.None, CcwFlags.None], program.Ccws.Select(c => c.Flags));
    }

    [Fact]
    public void TicTransfersToALabelAndEndedAtNamesIt()
    {
        var script = Parse("""
            program format 0 nosense repeat 3 {
                     WTM
                     TIC there
                     WTM
              there: NOP
            }
            expect ended-at there
            """);
        var program = Assert.IsType<ChannelProgramStep>(Assert.Single(script.Steps));
        Assert.Equal(CcwFormat.Format0, program.Format);
        Assert.False(program.AutoSense);
        Assert.Equal(3, program.Repeat);
        Assert.False(program.SuppressIncorrectLength);
        Assert.True(Assert.IsType<ChannelProgramStep>(Assert.Single(Parse("program suppress-il { READ 10 }").Steps)).SuppressIncorrectLength);
        Assert.Equal(CommandNames.TransferInChannel, program.Ccws[1].Command);
        Assert.Equal(3, program.Ccws[1].TicTarget);
        Assert.Equal("there", program.Ccws[3].Label);
        Assert.Equal(3, Assert.IsType<EndedAtExpectation>(Assert.Single(program.Expectations)).CcwIndex);
    }

    [Fact]
    public void RawOpcodesAndAliasesResolveToCodes()
    {
        var script = Parse("CCW X'FF' 1 SLI\nREAD-BACKWARD 10\nrback 10\nrewind-unload\nlocate X'01000007'\nsense-id 64 SLI");
        Assert.Equal([0xFF, 0x0C, 0x0C, 0x0F, 0x4F, 0xE4],
            script.Steps.Cast<ChannelProgramStep>().Select(p => p.Ccws[0].Command));
        Assert.Equal([1, 10, 10, 1, 4, 64], script.Steps.Cast<ChannelProgramStep>().Select(p => p.Ccws[0].Count));
    }

    [Fact]
    public void DefaultCountsFollowTheCommand()
    {
        var script = Parse("SENSE\nSENSE-ID\nRDC\nRCD\nREAD-BLOCK-ID\nSENSE-PGID\nREWIND");
        Assert.Equal([32, 7, 64, 160, 8, 12, 1], script.Steps.Cast<ChannelProgramStep>().Select(p => p.Ccws[0].Count));
    }

    [Fact]
    public void PatternWithoutLengthRepeatsOverTheCount()
    {
        var ccw = Assert.IsType<ChannelProgramStep>(Assert.Single(Parse("WRITE 5 pattern X'0102'").Steps)).Ccws[0];
        Assert.Equal(new byte[] { 1, 2, 1, 2, 1 }, ccw.Buffer);
    }

    [Fact]
    public void SenseExpectationsExactPrefixNoneAndByteChecks()
    {
        var program = Assert.IsType<ChannelProgramStep>(Assert.Single(Parse("""
            WTM
            expect status CE DE UC
            expect sense prefix X'8042 2030'
            expect sense[3] = X'30'
            expect sense X'00'
            expect sense none
            expect data none
            expect data length 4
            """).Steps));
        var e = program.Expectations.OfType<BytesExpectation>().ToList();
        Assert.Equal([BytesMatch.Prefix, BytesMatch.ByteAt, BytesMatch.Exact, BytesMatch.None, BytesMatch.None, BytesMatch.Length], e.Select(x => x.Match));
        Assert.Equal(new byte[] { 0x80, 0x42, 0x20, 0x30 }, e[0].Value);
        Assert.Equal(3, e[1].Index);
        Assert.Equal(4, e[5].Index);
    }

    [Fact]
    public void ExpectationsInsideABlockBelongToTheCcwBefore()
    {
        var program = Assert.IsType<ChannelProgramStep>(Assert.Single(Parse("""
            program {
              READ 4 CD
              expect data E'RT1-'
              READ 40 SLI
              expect residual 35
            }
            """).Steps));
        Assert.IsType<BytesExpectation>(Assert.Single(program.Ccws[0].Expectations));
        Assert.Equal(35, Assert.IsType<ResidualExpectation>(Assert.Single(program.Ccws[1].Expectations)).Residual);
    }

    [Fact]
    public void HostActionsAndWaits()
    {
        var script = Parse("""
            device 3490 tape none
            LOAD-DISPLAY X'E0' E'M 12345 SL      '
            mount "data/two_files.aws" ro
            wait device-end timeout 500ms
            unload
            mount empty
            wait device-end
            """);
        Assert.Equal(VolumeKind.None, script.Tape.Kind);
        var mount = Assert.IsType<MountStep>(script.Steps[1]);
        Assert.Equal("data/two_files.aws", mount.Volume.Path);
        Assert.Equal(["ro"], mount.Volume.Options);
        Assert.Equal(TimeSpan.FromMilliseconds(500), Assert.IsType<WaitStatusStep>(script.Steps[2]).Timeout);
        Assert.IsType<UnloadStep>(script.Steps[3]);
        Assert.Equal(VolumeKind.Empty, Assert.IsType<MountStep>(script.Steps[4]).Volume.Kind);
        Assert.Equal(WaitStatusStep.DefaultTimeout, Assert.IsType<WaitStatusStep>(script.Steps[5]).Timeout);
    }

    [Fact]
    public void CommentsOfAllThreeKindsAndQuotesInText()
    {
        var script = Parse("""
            * a comment line
            # another
            // and another
            WRITE E'IT''S * NOT # A // COMMENT'   * trailing
            """);
        var ccw = Assert.IsType<ChannelProgramStep>(Assert.Single(script.Steps)).Ccws[0];
        Assert.Equal(ChannelTape.Text.Ebcdic.GetBytes("IT'S * NOT # A // COMMENT"), ccw.Buffer);
    }

    [Theory]
    [InlineData("REDA 80", 1, 1, "'REDA' is not a statement or command")]
    [InlineData("READ 80\n  WRITE X'C1C'", 2, 9, "odd number of hex digits")]
    [InlineData("READ", 1, 1, "READ needs a byte count")]
    [InlineData("WRITE", 1, 1, "WRITE needs data or a byte count")]
    [InlineData("expect status CE", 1, 1, "'expect' must follow a channel program")]
    [InlineData("NOP\nexpect status CE QQ", 2, 18, "'QQ' is not a statement or command")]
    [InlineData("NOP\nexpect colour red", 2, 8, "'colour' cannot be expected")]
    [InlineData("program {\n  READ 10\n  TIC nowhere\n}", 3, 3, "TIC to unknown label 'nowhere'")]
    [InlineData("program {\n  READ 10\n", 3, 1, "expected")]
    [InlineData("WRITE 2 E'ABC'", 1, 1, "3 bytes of data do not fit the byte count 2")]
    [InlineData("NOP CC", 1, 1, "the last CCW of a program cannot chain")]
    [InlineData("device 3590", 1, 8, "model 3590 is not emulated")]
    [InlineData("WRITE E'ABC", 1, 12, "closing quote")]
    [InlineData("NOP\ndevice 3490", 2, 1, "'device' must be the first statement")]
    [InlineData("program {\n  READ 10\n}\nexpect ended-at 4", 4, 1, "ended-at 4: the program has 1 CCW(s)")]
    [InlineData("program {\n  NOP\n  expect status CE DE\n}", 3, 3, "inside a program block only")]
    [InlineData("wait for-ever", 1, 6, "device-end or attention")]
    [InlineData("WRITE Q'AB'", 1, 7, "unknown literal prefix Q'")]
    [InlineData("device 3490 at 05800", 1, 16, "at most 4 hex digits")]
    [InlineData("NOP\nexpect status =", 2, 16, "expected a status byte")]
    [InlineData("NOP\nexpect status", 2, 14, "unit status names (ATTN SM CUE BUSY CE DE UC UX)")]
    [InlineData("tape blocks { block }", 1, 21, "expected data")]
    [InlineData("tape\nNOP", 2, 1, "'none', 'empty', a quoted string or 'blocks'")]
    [InlineData("NOP\nexpect ended-at", 2, 16, "a CCW index (from 0) or a label")]
    [InlineData("READ 70000", 1, 6, "byte count 70000 is larger than 65535")]
    [InlineData("program { L: }", 1, 11, "label 'L' is not followed by a CCW")]
    [InlineData("program format 2 { NOP }", 1, 16, "CCW format 0 or 1")]
    [InlineData("WRITE E'\u20AC'", 1, 7, "code page 037")]
    [InlineData("WRITE A'\u20AC'", 1, 7, "ASCII/Latin-1")]
    [InlineData("tape empty maxsizeK=abc", 1, 6, "maxsizeK=abc")]
    [InlineData("NOP\nmount \"a.aws\" eotmargin=x", 2, 7, "eotmargin=x")]
    [InlineData("tape \"a.aws\" maxsizeK=\nNOP", 1, 23, "unexpected end of line")]
    public void ErrorsNameLineColumnAndWhatWasExpected(string source, int line, int column, string message)
    {
        var error = ParseError(source);
        Assert.True(error.Message.Contains(message, StringComparison.Ordinal), error.ToString());
        Assert.True(new ScriptLocation(line, column) == error.Location, error.ToString());
        Assert.StartsWith($"line {line}, column {column}: ", error.ToString());
    }
}
