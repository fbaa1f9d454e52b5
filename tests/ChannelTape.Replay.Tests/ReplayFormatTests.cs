using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ChannelTape.Channel;
using ChannelTape.Scripts.Replay;

namespace ChannelTape.Replay.Tests;

/// <summary>The replay reads the runner's test format and writes its result format.</summary>
public sealed class ReplayFormatTests
{
    [Fact]
    public void Every_golden_test_parses_and_has_a_committed_result()
    {
        var count = GoldenFiles.TestFiles().Count();
        Assert.True(count >= 55, $"only {count} golden tests");
        foreach (var file in GoldenFiles.TestFiles())
        {
            var test = ReplayTestParser.ParseFile(file);
            Assert.NotEmpty(test.Programs);
            var result = JsonNode.Parse(File.ReadAllText(GoldenFiles.ResultFile(Path.GetFileNameWithoutExtension(file))))!;
            Assert.Equal(test.Programs.Count, result["programs"]!.AsArray().Count);
        }
    }

    [Theory]
    [MemberData(nameof(GoldenFiles.Names), MemberType = typeof(GoldenFiles))]
    public void Pretty_printing_reproduces_the_runner_output_byte_for_byte(string name)
    {
        var text = File.ReadAllText(GoldenFiles.ResultFile(name));
        var node = JsonNode.Parse(text);
        Assert.Equal(text.TrimEnd('\n'), OracleJson.Pretty(node));
    }

    [Fact]
    public void Generated_tape_and_block_list_equal_the_runner_for_an_untouched_read_only_volume()
    {
        // cmd_3490_ro never changes its volume: the final image is the generated one.
        var test = ReplayTestParser.ParseFile(GoldenFiles.TestFile("cmd_3490_ro"));
        var image = ReplayAwsImage.Encode(((ReplayTape.Generated)test.Tape).Blocks);
        var aws = JsonNode.Parse(File.ReadAllText(GoldenFiles.ResultFile("cmd_3490_ro")))!["aws"]!;
        Assert.Equal(aws["size"]!.GetValue<int>(), image.Length);
        Assert.Equal(aws["sha256"]!.GetValue<string>(), Convert.ToHexStringLower(SHA256.HashData(image)));
        Assert.Equal(OracleJson.Compact(aws["blocks"]), OracleJson.Compact(ReplayAwsImage.Describe(image)));
    }

    [Fact]
    public void Parser_applies_the_runner_defaults_and_conversions()
    {
        var test = ReplayTestParser.Parse("""
            {"device": "3480", "programs": [
              {"ccws": [{"op": "01", "data_hex": "C1", "data_ebcdic": "AB", "fill": "EE", "count": 5},
                        {"op": 2, "flags": "60", "count": "0x10", "pattern_hex": "0102"},
                        {"op": "08", "target": 0},
                        {"op": "04", "flags": ["SKP", "sli"], "count": 32, "repeat": 2}],
               "ccw_format": 0, "auto_sense": false, "sense_count": 24,
               "host_before": ["devinit {devnum} *"]}]}
            """, "/base");
        Assert.Equal("test", test.Name);
        Assert.Equal(0x0580, test.DeviceNumber);
        Assert.IsType<ReplayTape.Empty>(test.Tape);
        var p = test.Programs[0];
        Assert.Equal(CcwFormat.Format0, p.Format);
        Assert.Equal(0x0000FF00u, p.OrbWord1);
        Assert.False(p.AutoSense);
        Assert.Equal(24, p.SenseCount);
        Assert.Equal(new byte[] { 0xC1, 0xC1, 0xC2, 0xEE, 0xEE }, p.Ccws[0].Buffer);
        Assert.Equal(CcwFlags.ChainCommand | CcwFlags.SuppressLength, p.Ccws[1].Flags);
        Assert.Equal(16, p.Ccws[1].Count);
        Assert.Equal(new byte[] { 1, 2, 1, 2 }, p.Ccws[1].Buffer[..4]);
        Assert.Equal(0, p.Ccws[2].TicTarget);
        Assert.Equal(CcwFlags.Skip | CcwFlags.SuppressLength, p.Ccws[3].Flags);
        Assert.Equal(2, p.Ccws[3].Repeat);
    }

    [Theory]
    [InlineData("""{"programs": []}""", "non-empty 'programs'")]
    [InlineData("""{"device": "3590", "programs": [{"ccws": [{"op": "03"}]}]}""", "device '3590'")]
    [InlineData("""{"programs": [{"ccws": [{"op": "03", "flags": ["XX"]}]}]}""", "unknown CCW flag")]
    [InlineData("""{"programs": [{"ccws": [{"op": "08", "target": 3}]}]}""", "TIC target 3")]
    [InlineData("""{"programs": [{"ccws": [{"op": "01", "count": 70000}]}]}""", "count out of range")]
    [InlineData("""{"programs": [{"ccws": [{"op": "01", "fill": "EEFF"}]}]}""", "fill must be one byte")]
    [InlineData("""{"tape": {"blocks": [{"len": 0}]}, "programs": [{"ccws": [{"op": "03"}]}]}""", "tape block 0")]
    [InlineData("not json", "not JSON")]
    public void Malformed_tests_are_rejected_with_the_reason(string json, string reason)
    {
        var e = Assert.Throws<ReplayFormatException>(() => ReplayTestParser.Parse(json, "/base"));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }
}
