using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;

namespace ChannelTape.Core.Tests.Device;

/// <summary>
/// Replays a reference-runner test (../shared/oracle/README.md format) directly against a
/// <see cref="TapeDrive"/> over <see cref="MemoryTapeMedia"/>, with just enough channel behaviour
/// (command and data chaining, write data-chain merging, immediate commands, incorrect length) to
/// compare the device's answers with the committed Hercules 3.13 results field by field.
/// Programs that exercise only the channel (TIC, format 0, bad addresses, program checks) are skipped.
/// </summary>
internal static class OracleReplay
{
    public static string Directory([CallerFilePath] string sourceFile = "") =>
        Path.Combine(Path.GetDirectoryName(sourceFile)!, "Oracle");

    /// <summary>Runs the test and returns one line per difference ("program N field: want X, got Y").</summary>
    public static List<string> Compare(string testName, IReadOnlySet<int>? skipPrograms = null)
    {
        string dir = Directory();
        using var test = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, testName + ".json")));
        using var result = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "results", testName + ".json")));
        var t = test.RootElement;
        var model = Enum.Parse<TapeModel>("Ibm" + t.GetProperty("device").GetString());
        ushort devnum = Convert.ToUInt16(t.TryGetProperty("devnum", out var dn) ? dn.GetString() : "0580", 16);
        var options = t.TryGetProperty("device_options", out var o) ? o.EnumerateArray().Select(x => x.GetString()!).ToList() : [];

        using var drive = new TapeDrive(model, devnum);
        bool statusPending = false; // Hercules refuses devinit while the device has status pending
        var unsolicited = new List<UnitStatus>();
        drive.UnsolicitedStatus += (_, status) =>
        {
            if (!statusPending)
            {
                unsolicited.Add(status); // a second interrupt while one is pending is dropped (§5)
            }

            statusPending = true;
        };
        var tape = t.GetProperty("tape");
        if (tape.ValueKind == JsonValueKind.Object || tape.GetString() != "none")
        {
            drive.Mount(BuildMedia(tape, options, dir));
        }

        statusPending = false; // the configured volume raises no interrupt (first init)
        unsolicited.Clear();

        var differences = new List<string>();
        var programs = t.GetProperty("programs").EnumerateArray().ToList();
        var results = result.RootElement.GetProperty("programs").EnumerateArray().ToList();
        for (int index = 0; index < programs.Count; index++)
        {
            var program = programs[index];
            var expected = results[index];
            if (program.TryGetProperty("host_before", out var hostBefore))
            {
                foreach (var command in hostBefore.EnumerateArray())
                {
                    if (!statusPending)
                    {
                        HostCommand(drive, command.GetString()!, dir);
                    }
                }
            }

            statusPending = false; // the guest drains pending status before each program
            string wantPending = expected.TryGetProperty("pending_before", out var pending) && pending.ValueKind == JsonValueKind.Object
                ? string.Join(",", pending.GetProperty("statuses").EnumerateArray().Select(x => x.GetProperty("unit_status").GetString()))
                : "";
            string gotPending = string.Join(",", unsolicited.Select(x => $"{(byte)x:X2}"));
            unsolicited.Clear();

            if (!Replayable(expected))
            {
                continue;
            }

            var actual = RunProgram(drive, program);
            if (wantPending != gotPending)
            {
                differences.Add($"program {index} pending_before: want {wantPending}, got {gotPending}");
            }

            if (skipPrograms?.Contains(index) == true)
            {
                continue; // executed for its effect on the volume, compared elsewhere
            }

            void Check(string field, string want, string got)
            {
                if (want != got)
                {
                    differences.Add($"program {index} ({program.GetProperty("name").GetString()}) {field}: want {want}, got {got}");
                }
            }

            Check("unit_status", expected.GetProperty("unit_status").GetString()!, $"{(byte)actual.Status:X2}");
            Check("residual", expected.GetProperty("residual").GetInt32().ToString(), actual.Residual.ToString());
            Check("ended_at_ccw", expected.GetProperty("ended_at_ccw").GetInt32().ToString(), actual.EndedAt.ToString());
            if (actual.CompareChannelStatus)
            {
                Check("channel_status", expected.GetProperty("channel_status").GetString()!, $"{actual.ChannelStatus:X2}");
            }

            foreach (var data in expected.GetProperty("data").EnumerateArray())
            {
                int ccw = data.GetProperty("ccw").GetInt32();
                if (!actual.Storage.TryGetValue(ccw, out var storage))
                {
                    // Not executed: the runner reports the untouched buffer.
                    var initial = InitialData(ExpandedCcw(program, ccw));
                    storage = new StoredData(initial, []);
                }

                if (data.TryGetProperty("transferred", out var transferred) && transferred.ValueKind == JsonValueKind.Number)
                {
                    CheckData(Check, data, storage.Transferred);
                }
                else if (data.TryGetProperty("buffer_hex", out var bufferHex))
                {
                    Check($"buffer of ccw {ccw}", bufferHex.GetString()!, Convert.ToHexString(storage.Buffer));
                }
            }

            var senseHex = expected.GetProperty("sense_hex");
            string wantSense = senseHex.ValueKind == JsonValueKind.Null ? "-" : senseHex.GetString()!;
            Check("sense_hex", wantSense, actual.SenseHex ?? "-");
        }

        return differences;
    }

    private static void CheckData(Action<string, string, string> check, JsonElement data, byte[] transferred)
    {
        string want = data.GetProperty("data_hex").GetString()!;
        check("transferred", data.GetProperty("transferred").GetInt32().ToString(), transferred.Length.ToString());
        if (want.EndsWith("...", StringComparison.Ordinal))
        {
            string prefix = want[..^3];
            string got = Convert.ToHexString(transferred);
            check("data prefix", prefix, got[..Math.Min(got.Length, prefix.Length)]);
            check("data sha256", data.GetProperty("data_hex_sha256").GetString()!,
                Convert.ToHexString(SHA256.HashData(transferred)).ToLowerInvariant());
        }
        else
        {
            check("data", want, Convert.ToHexString(transferred));
        }
    }

    private static JsonElement ExpandedCcw(JsonElement program, int index)
    {
        foreach (var ccw in program.GetProperty("ccws").EnumerateArray())
        {
            int repeat = ccw.TryGetProperty("repeat", out var r) ? r.GetInt32() : 1;
            if (index < repeat)
            {
                return ccw;
            }

            index -= repeat;
        }

        throw new ArgumentOutOfRangeException(nameof(index));
    }

    /// <summary>Program and protection checks are the channel's: the device never saw those programs.</summary>
    private static bool Replayable(JsonElement expected) =>
        expected.GetProperty("channel_status").GetString() is not ("20" or "10");

    private sealed record StoredData(byte[] Buffer, byte[] Transferred);

    private sealed record ProgramOutcome(
        UnitStatus Status, byte ChannelStatus, int Residual, int EndedAt, bool CompareChannelStatus,
        Dictionary<int, StoredData> Storage, string? SenseHex);

    private static ProgramOutcome RunProgram(TapeDrive drive, JsonElement program)
    {
        var ccws = new List<JsonElement>();
        var firstOf = new List<int>(); // original CCW index -> expanded index (TIC targets)
        foreach (var ccw in program.GetProperty("ccws").EnumerateArray())
        {
            firstOf.Add(ccws.Count);
            int repeat = ccw.TryGetProperty("repeat", out var r) ? r.GetInt32() : 1;
            for (int i = 0; i < repeat; i++)
            {
                ccws.Add(ccw);
            }
        }

        int programRepeat = program.TryGetProperty("repeat", out var pr) ? pr.GetInt32() : 1;
        ProgramOutcome outcome = null!;
        for (int iteration = 0; iteration < programRepeat; iteration++)
        {
            outcome = RunOnce(drive, ccws, firstOf);
            if ((outcome.Status & (UnitStatus.UnitCheck | UnitStatus.UnitException)) != 0 || outcome.ChannelStatus != 0)
            {
                break;
            }
        }

        bool autoSense = !program.TryGetProperty("auto_sense", out var a) || a.GetBoolean();
        int senseCount = program.TryGetProperty("sense_count", out var sc) ? sc.GetInt32() : 32;
        if (autoSense && (outcome.Status & UnitStatus.UnitCheck) != 0)
        {
            var buffer = new byte[senseCount];
            var sense = drive.Execute(new CcwRequest(0x04, CcwFlags.SuppressLength, CcwFlags.None, senseCount, 0, 0), buffer);
            outcome = outcome with { SenseHex = Convert.ToHexString(buffer, 0, senseCount - sense.Residual) };
        }

        return outcome;
    }

    private static ProgramOutcome RunOnce(TapeDrive drive, List<JsonElement> ccws, List<int> firstOf)
    {
        int executed = 0;
        var storage = new Dictionary<int, StoredData>();
        var previousFlags = CcwFlags.None;
        byte previousOp = 0;
        int sequence = 0;
        drive.StartChannelProgram();
        byte chainOp = 0; // command of a data chain (the channel keeps the first CCW's command)
        var writeData = new List<byte>();
        for (int i = 0; i < ccws.Count; i++)
        {
            var ccw = ccws[i];
            if (Op(ccw) == 0x08 && (previousFlags & CcwFlags.ChainData) == 0)
            {
                i = firstOf[ccw.GetProperty("target").GetInt32()] - 1; // Transfer in Channel
                continue;
            }

            if (++executed > 10_000)
            {
                throw new InvalidOperationException("channel program loops");
            }

            var flags = Flags(ccw);
            byte op = (previousFlags & CcwFlags.ChainData) != 0 ? chainOp : Op(ccw);
            byte[] data = InitialData(ccw);
            int count = data.Length;
            bool immediate = drive.IsImmediate(op);
            if (immediate)
            {
                flags &= ~CcwFlags.ChainData;
                previousFlags &= ~CcwFlags.ChainData;
            }

            bool output = (op & 0x03) == 0x01 || ((op & 0x03) == 0x03 && !immediate);
            if (output && (flags & CcwFlags.ChainData) != 0)
            {
                // The channel merges write/control data chains into one buffer (§5).
                writeData.AddRange(data);
                chainOp = op;
                previousFlags = (previousFlags & CcwFlags.ChainCommand) | CcwFlags.ChainData;
                continue;
            }

            var request = new CcwRequest(op, flags, previousFlags, count, previousOp, sequence);
            if (output && writeData.Count > 0)
            {
                writeData.AddRange(data);
                data = writeData.ToArray();
                count = data.Length;
                request = new CcwRequest(op, flags, CcwFlags.None, count, previousOp, sequence);
                writeData.Clear();
            }

            var buffer = (byte[])data.Clone();
            var result = drive.Execute(request, buffer);
            sequence++;

            bool input = !output && !immediate;
            bool backward = (op & 0x0F) == 0x0C;
            int n = count - result.Residual;
            if (input && n >= 0)
            {
                var stored = (byte[])data.Clone();
                if ((flags & CcwFlags.Skip) == 0)
                {
                    if (backward)
                    {
                        Array.Copy(buffer, count - n, stored, count - n, n);
                    }
                    else
                    {
                        Array.Copy(buffer, 0, stored, 0, n);
                    }
                }

                var transferred = backward ? stored[(count - n)..] : stored[..n];
                storage[i] = new StoredData(stored, transferred);
            }

            bool sli = (flags & CcwFlags.SuppressLength) != 0;
            bool cd = (flags & CcwFlags.ChainData) != 0;
            bool commandChained = (previousFlags & CcwFlags.ChainCommand) != 0;
            bool incorrectLength = !sli && ((result.Residual != 0 && !immediate) || (result.More && !cd));
            byte channelStatus = incorrectLength ? (byte)ChannelStatus.IncorrectLength : (byte)0;
            bool compareChannelStatus = !immediate || commandChained || sli;
            bool goodStatus = (result.Status & ~UnitStatus.StatusModifier) == UnitStatus.ChannelEndDeviceEnd;
            if (!goodStatus || channelStatus != 0 || (flags & (CcwFlags.ChainCommand | CcwFlags.ChainData)) == 0)
            {
                drive.EndChannelProgram();
                return new ProgramOutcome(result.Status, channelStatus, result.Residual, i, compareChannelStatus, storage, null);
            }

            chainOp = op;
            previousFlags = flags & (CcwFlags.ChainCommand | CcwFlags.ChainData);
            previousOp = op;
        }

        throw new InvalidOperationException("channel program ran off its end");
    }

    private static byte Op(JsonElement ccw) => ccw.GetProperty("op").ValueKind == JsonValueKind.Number
        ? (byte)ccw.GetProperty("op").GetInt32()
        : Convert.ToByte(ccw.GetProperty("op").GetString(), 16);

    private static CcwFlags Flags(JsonElement ccw)
    {
        if (!ccw.TryGetProperty("flags", out var flags))
        {
            return CcwFlags.None;
        }

        if (flags.ValueKind == JsonValueKind.Array)
        {
            var result = CcwFlags.None;
            foreach (var name in flags.EnumerateArray())
            {
                result |= name.GetString()!.ToUpperInvariant() switch
                {
                    "CD" => CcwFlags.ChainData,
                    "CC" => CcwFlags.ChainCommand,
                    "SLI" => CcwFlags.SuppressLength,
                    "SKIP" or "SKP" => CcwFlags.Skip,
                    "PCI" => CcwFlags.ProgramControlledInterruption,
                    "IDA" => CcwFlags.IndirectData,
                    "S" => CcwFlags.Suspend,
                    _ => CcwFlags.None,
                };
            }

            return result;
        }

        return flags.ValueKind == JsonValueKind.Number ? (CcwFlags)flags.GetInt32() : (CcwFlags)Convert.ToByte(flags.GetString(), 16);
    }

    private static byte[] InitialData(JsonElement ccw)
    {
        var given = new List<byte>();
        if (ccw.TryGetProperty("data_hex", out var hex))
        {
            given.AddRange(Convert.FromHexString(hex.GetString()!));
        }

        if (ccw.TryGetProperty("data_ebcdic", out var ebcdic))
        {
            given.AddRange(Text.Ebcdic.GetBytes(ebcdic.GetString()!));
        }

        if (ccw.TryGetProperty("data_ascii", out var ascii))
        {
            given.AddRange(ascii.GetString()!.Select(c => (byte)c));
        }

        int count = ccw.TryGetProperty("count", out var c) ? c.GetInt32() : given.Count;
        byte fill = ccw.TryGetProperty("fill", out var f) ? Convert.ToByte(f.GetString(), 16) : (byte)0;
        var data = new byte[count];
        Array.Fill(data, fill);
        if (ccw.TryGetProperty("pattern_hex", out var pattern))
        {
            var p = Convert.FromHexString(pattern.GetString()!);
            for (int i = 0; i < count; i++)
            {
                data[i] = p[i % p.Length];
            }
        }

        given.Take(count).ToArray().CopyTo(data, 0);
        return data;
    }

    private static void HostCommand(TapeDrive drive, string command, string dir)
    {
        var words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 3 || words[0] != "devinit")
        {
            throw new InvalidOperationException($"unsupported host command '{command}'");
        }

        if (words[2] == "*")
        {
            drive.Unload();
            return;
        }

        string path = words[2];
        if (path.StartsWith("{copy:", StringComparison.Ordinal))
        {
            path = path["{copy:".Length..^1];
        }

        drive.Mount(ReadAws(Path.Combine(dir, path), words.Skip(3).ToList())); // only this command's options
    }

    private static MemoryTapeMedia BuildMedia(JsonElement tape, List<string> options, string dir)
    {
        if (tape.ValueKind == JsonValueKind.String)
        {
            return tape.GetString() == "empty"
                ? NewMedia(options, [])
                : ReadAws(Path.Combine(dir, tape.GetString()!), options);
        }

        var blocks = new List<byte[]?>();
        foreach (var block in tape.GetProperty("blocks").EnumerateArray())
        {
            if (block.ValueKind == JsonValueKind.String)
            {
                blocks.Add(null); // "TM"
                continue;
            }

            if (block.TryGetProperty("hex", out var hex))
            {
                blocks.Add(Convert.FromHexString(hex.GetString()!));
                continue;
            }

            int length = block.GetProperty("len").GetInt32();
            var data = new byte[length];
            if (block.TryGetProperty("pattern_hex", out var pattern))
            {
                var p = Convert.FromHexString(pattern.GetString()!);
                for (int i = 0; i < length; i++)
                {
                    data[i] = p[i % p.Length];
                }
            }
            else if (block.TryGetProperty("fill", out var fill))
            {
                Array.Fill(data, Convert.ToByte(fill.GetString(), 16));
            }

            blocks.Add(data);
        }

        return NewMedia(options, blocks);
    }

    /// <summary>Reads a small single-chunk-per-block AWS file into memory (test fixtures only).</summary>
    private static MemoryTapeMedia ReadAws(string path, List<string> options)
    {
        var bytes = File.ReadAllBytes(path);
        var blocks = new List<byte[]?>();
        int offset = 0;
        while (offset + 6 <= bytes.Length)
        {
            int length = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(offset));
            byte flags = bytes[offset + 4];
            offset += 6;
            blocks.Add((flags & 0x40) != 0 ? null : bytes[offset..(offset + length)]);
            offset += length;
        }

        return NewMedia(options, blocks);
    }

    private static MemoryTapeMedia NewMedia(List<string> options, List<byte[]?> blocks)
    {
        bool readOnly = options.Contains("ro");
        long maxSize = 0;
        long eotMargin = MemoryTapeMedia.DefaultEotMargin;
        foreach (var option in options)
        {
            if (option.StartsWith("maxsizeK=", StringComparison.Ordinal))
            {
                maxSize = long.Parse(option["maxsizeK=".Length..]) * 1024;
            }
            else if (option.StartsWith("maxsize=", StringComparison.Ordinal))
            {
                maxSize = long.Parse(option["maxsize=".Length..]);
            }
            else if (option.StartsWith("eotmargin=", StringComparison.Ordinal))
            {
                eotMargin = long.Parse(option["eotmargin=".Length..]);
            }
        }

        var media = new MemoryTapeMedia("tape.aws", readOnly: false, maxSize, eotMargin);
        foreach (var block in blocks)
        {
            if (block is null)
            {
                media.WriteTapeMark();
            }
            else
            {
                media.Write(block);
            }
        }

        media.Rewind();
        media.IsReadOnly = readOnly;
        return media;
    }
}
