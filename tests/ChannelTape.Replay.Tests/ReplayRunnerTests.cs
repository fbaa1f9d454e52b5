using System.Text.Json.Nodes;
using ChannelTape.Channel;
using ChannelTape.Scripts.Replay;

namespace ChannelTape.Replay.Tests;

/// <summary>The replay's guest-program sequence, with a scripted drive (the real drive: GoldenReplayTests).</summary>
public sealed class ReplayRunnerTests : IDisposable
{
    private readonly string _work = Path.Combine(Path.GetTempPath(), "ctape-replay-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_work))
        {
            Directory.Delete(_work, recursive: true);
        }
    }

    /// <summary>A drive that reads "ABCDEFGHIJ" for every read (tail served to data chains), fails 0x27 with UC, and answers Sense with fixed bytes.</summary>
    private sealed class FakeDrive : IReplayDrive
    {
        private static readonly byte[] s_block = "ABCDEFGHIJ"u8.ToArray();
        private static readonly byte[] s_sense = [0x00, 0x48, 0x20, 0x39];
        private int _offset;

        public FakeDrive() => Scripted = new ScriptedDevice(Respond, 0x27, 0x07);

        public ScriptedDevice Scripted { get; }

        public IChannelDevice Device => Scripted;

        public List<string> Mounts { get; } = [];

        public string? Mount(string path, IReadOnlyList<string> options)
        {
            Mounts.Add(path + (options.Count > 0 ? " " + string.Join(' ', options) : ""));
            return path.EndsWith("missing.aws", StringComparison.Ordinal) ? "not found" : null;
        }

        public void Unload() => Mounts.Add("*");

        public void Dispose()
        {
        }

        private CcwResult Respond(CcwRequest request, byte[] buffer)
        {
            switch (request.Command)
            {
                case 0x27:
                    return new CcwResult(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck, request.Count);
                case 0x04:
                    s_sense.AsSpan(0, Math.Min(4, request.Count)).CopyTo(buffer);
                    return new CcwResult(UnitStatus.ChannelEndDeviceEnd, request.Count - Math.Min(4, request.Count));
                case 0x02 or 0x0C:
                    if (!request.IsDataChained)
                    {
                        _offset = 0;
                    }

                    var n = Math.Min(request.Count, s_block.Length - _offset);
                    var data = s_block.AsSpan(_offset, n);
                    data.CopyTo(request.Command == 0x0C ? buffer.AsSpan(request.Count - n) : buffer);
                    _offset += n;
                    return new CcwResult(UnitStatus.ChannelEndDeviceEnd, request.Count - n, _offset < s_block.Length);
                default:
                    return new CcwResult(UnitStatus.ChannelEndDeviceEnd, request.Count);
            }
        }
    }

    private sealed class FakeFactory : IReplayDeviceFactory
    {
        public FakeDrive Drive { get; } = new();

        public IReplayDrive Create(string deviceType, ushort deviceNumber) => Drive;
    }

    private (JsonObject Result, FakeFactory Factory) Run(string json)
    {
        var factory = new FakeFactory();
        var test = ReplayTestParser.Parse(json, _work);
        return (new ReplayRunner(factory).Run(test, new ReplayRunOptions(_work)), factory);
    }

    private static JsonObject Program(JsonObject result, int index) => result["programs"]![index]!.AsObject();

    [Fact]
    public void Data_entries_follow_the_runner_ended_ccw_has_transferred_others_the_whole_area()
    {
        var (result, _) = Run("""
            {"tape": "none", "programs": [{"ccws": [
              {"op": "02", "flags": ["CD"], "count": 4, "fill": "EE"},
              {"op": "02", "flags": ["CD"], "count": 4, "fill": "EE"},
              {"op": "02", "flags": ["SLI"], "count": 6, "fill": "EE"}]}]}
            """);
        var p = Program(result, 0);
        Assert.Equal("0C", p["unit_status"]!.GetValue<string>());
        Assert.Equal(4, p["residual"]!.GetValue<int>());
        Assert.Equal(2, p["ended_at_ccw"]!.GetValue<int>());
        var data = p["data"]!.AsArray();
        Assert.Equal("""{"ccw": 0, "op": "02", "count": 4, "transferred": null, "buffer_hex": "41424344"}""", OracleJson.Compact(data[0]));
        Assert.Equal("""{"ccw": 1, "op": "02", "count": 4, "transferred": null, "buffer_hex": "45464748"}""", OracleJson.Compact(data[1]));
        Assert.Equal("""{"ccw": 2, "op": "02", "count": 6, "transferred": 2, "data_hex": "494A"}""", OracleJson.Compact(data[2]));
        Assert.Null(result["aws"]);
    }

    [Fact]
    public void Read_backward_data_is_reported_in_storage_order_from_the_end_of_the_area()
    {
        var (result, _) = Run("""{"tape": "none", "programs": [{"ccws": [{"op": "0C", "flags": ["SLI"], "count": 12, "fill": "EE"}]}]}""");
        var data = Program(result, 0)["data"]![0]!;
        Assert.Equal(10, data["transferred"]!.GetValue<int>());
        Assert.Equal("4142434445464748494A", data["data_hex"]!.GetValue<string>());
    }

    [Fact]
    public void Unit_check_is_followed_by_a_sense_of_sense_count_bytes()
    {
        var (result, factory) = Run("""
            {"tape": "none", "programs": [
              {"ccws": [{"op": "27", "flags": ["SLI"], "count": 1}], "sense_count": 3},
              {"ccws": [{"op": "27", "flags": ["SLI"], "count": 1}], "auto_sense": false},
              {"ccws": [{"op": "07", "flags": ["SLI"], "count": 1}]}]}
            """);
        Assert.Equal("004820", Program(result, 0)["sense_hex"]!.GetValue<string>());
        Assert.Equal("0C", Program(result, 0)["sense"]!["unit_status"]!.GetValue<string>());
        Assert.Null(Program(result, 1)["sense_hex"]);
        Assert.Null(Program(result, 2)["sense_hex"]);
        var senses = factory.Drive.Scripted.Calls.Where(c => c.Request.Command == 0x04).ToList();
        Assert.Single(senses);
        Assert.Equal(CcwFlags.SuppressLength, senses[0].Request.Flags);
    }

    [Fact]
    public void Program_repeat_stops_at_the_first_unit_check()
    {
        var (result, factory) = Run("""
            {"tape": "none", "programs": [
              {"ccws": [{"op": "07", "flags": ["SLI"], "count": 1}], "repeat": 4},
              {"ccws": [{"op": "27", "flags": ["SLI"], "count": 1}], "repeat": 4}]}
            """);
        Assert.Equal(4, Program(result, 0)["iterations"]!.GetValue<int>());
        Assert.Equal(1, Program(result, 1)["iterations"]!.GetValue<int>());
        Assert.Equal(1, factory.Drive.Scripted.Calls.Count(c => c.Request.Command == 0x27));
    }

    [Fact]
    public void Devinit_mounts_a_copy_raises_device_end_and_is_refused_while_that_is_pending()
    {
        Directory.CreateDirectory(_work);
        File.WriteAllBytes(Path.Combine(_work, "vol.aws"), [0, 0, 0, 0, 0x40, 0]);
        var (result, factory) = Run("""
            {"tape": "none", "programs": [
              {"ccws": [{"op": "07", "flags": ["SLI"], "count": 1}],
               "host_before": ["devinit {devnum} {copy:vol.aws} ro", "devinit {devnum} *"]},
              {"ccws": [{"op": "07", "flags": ["SLI"], "count": 1}], "host_before": ["devinit 0581 *", "t+0580"]},
              {"ccws": [{"op": "07", "flags": ["SLI"], "count": 1}], "host_before": ["devinit 0580 missing.aws"]}]}
            """);
        // Hercules 3.13 refuses the unload while the mount's device end is pending (HHCPN096E).
        Assert.Equal([Path.Combine(_work, "mount-vol.aws") + " ro", "missing.aws"], factory.Drive.Mounts);
        Assert.Contains(Program(result, 0)["host_log"]!.AsArray(), l => l!.GetValue<string>().Contains("refused", StringComparison.Ordinal));
        var pending = Program(result, 0)["pending_before"]!;
        Assert.Equal(1, pending["count"]!.GetValue<int>());
        Assert.Equal("04", pending["statuses"]![0]!["unit_status"]!.GetValue<string>());
        Assert.Null(Program(result, 1)["pending_before"]);
        Assert.Equal(2, Program(result, 1)["host_log"]!.AsArray().Count);
        Assert.Null(Program(result, 2)["pending_before"]);
    }

    [Fact]
    public void Generated_tape_is_written_mounted_and_described()
    {
        var (result, factory) = Run("""
            {"tape": {"blocks": [{"hex": "C1C2"}, "TM"]}, "device_options": ["ro"],
             "programs": [{"ccws": [{"op": "07", "flags": ["SLI"], "count": 1}]}]}
            """);
        Assert.Equal([Path.Combine(_work, "tape.aws") + " ro"], factory.Drive.Mounts);
        var aws = result["aws"]!;
        Assert.Equal(14, aws["size"]!.GetValue<int>());
        Assert.Equal("C1C2", aws["blocks"]![0]!["hex"]!.GetValue<string>());
        Assert.Equal("TM", aws["blocks"]![1]!["type"]!.GetValue<string>());
    }
}
