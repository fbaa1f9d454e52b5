using System.Globalization;
using System.Text.Json;
using ChannelTape.Channel;
using ChannelTape.Text;

namespace ChannelTape.Scripts.Replay;

/// <summary>Reads a reference-runner test (JSON) with the defaults and validation of the runner's <c>run.py</c>.</summary>
public static class ReplayTestParser
{
    /// <summary>Device types the replay can run (the runner accepts more Hercules types).</summary>
    public static readonly IReadOnlyList<string> DeviceTypes = ["3420", "3480", "3490"];

    private static readonly (string Name, CcwFlags Flag)[] s_flagNames =
    [
        ("CD", CcwFlags.ChainData), ("CC", CcwFlags.ChainCommand), ("SLI", CcwFlags.SuppressLength),
        ("SKIP", CcwFlags.Skip), ("SKP", CcwFlags.Skip), ("PCI", CcwFlags.ProgramControlledInterruption),
        ("IDA", CcwFlags.IndirectData), ("S", CcwFlags.Suspend), ("MIDA", CcwFlags.ModifiedIndirectData),
    ];

    public static ReplayTest ParseFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ReplayFormatException($"{path}: {e.Message}");
        }

        return Parse(text, Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".");
    }

    public static ReplayTest Parse(string json, string baseDirectory)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ReplayFormatException($"not JSON: {e.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ReplayFormatException("a test is a JSON object");
            }

            var name = OptionalString(root, "name") ?? "test";
            var device = root.TryGetProperty("device", out var d) ? ScalarText(d, "device") : "3490";
            if (!DeviceTypes.Contains(device))
            {
                throw new ReplayFormatException($"device '{device}' not one of {string.Join(", ", DeviceTypes)}");
            }

            var devnum = root.TryGetProperty("devnum", out var dn) ? ParseInt(dn, "devnum", 16) : 0x0580;
            if (devnum is < 0 or > 0xFFFF)
            {
                throw new ReplayFormatException("devnum out of range");
            }

            var tape = ParseTape(root);
            var options = new List<string>();
            if (root.TryGetProperty("device_options", out var opts))
            {
                if (opts.ValueKind != JsonValueKind.Array)
                {
                    throw new ReplayFormatException("device_options must be a list");
                }

                foreach (var o in opts.EnumerateArray())
                {
                    options.Add(ScalarText(o, "device option"));
                }
            }

            var defaultFormat = root.TryGetProperty("ccw_format", out var f) ? ParseInt(f, "ccw_format", 10) : 1;
            if (!root.TryGetProperty("programs", out var programs) || programs.ValueKind != JsonValueKind.Array
                || programs.GetArrayLength() == 0)
            {
                throw new ReplayFormatException("test needs a non-empty 'programs' list");
            }

            var list = new List<ReplayProgram>();
            var index = 0;
            foreach (var p in programs.EnumerateArray())
            {
                list.Add(ParseProgram(p, index++, defaultFormat));
            }

            return new ReplayTest(name, device, (ushort)devnum, tape, options, list, baseDirectory);
        }
    }

    private static ReplayTape ParseTape(JsonElement root)
    {
        if (!root.TryGetProperty("tape", out var tape) || tape.ValueKind == JsonValueKind.Null)
        {
            return root.TryGetProperty("tape", out _) ? new ReplayTape.None() : new ReplayTape.Empty();
        }

        if (tape.ValueKind == JsonValueKind.String)
        {
            return tape.GetString() switch
            {
                "empty" => new ReplayTape.Empty(),
                "none" => new ReplayTape.None(),
                var path => new ReplayTape.File(path!),
            };
        }

        if (tape.ValueKind == JsonValueKind.Object && tape.TryGetProperty("blocks", out var blocks)
            && blocks.ValueKind == JsonValueKind.Array)
        {
            var list = new List<byte[]?>();
            var i = 0;
            foreach (var b in blocks.EnumerateArray())
            {
                list.Add(ParseBlock(b, i++));
            }

            return new ReplayTape.Generated(list);
        }

        throw new ReplayFormatException($"bad 'tape' value {tape.GetRawText()}");
    }

    /// <summary>A tape block description; null is a tape mark.</summary>
    private static byte[]? ParseBlock(JsonElement b, int i)
    {
        if (b.ValueKind == JsonValueKind.String && b.GetString()!.ToUpperInvariant() is "TM" or "TAPEMARK")
        {
            return null;
        }

        if (b.ValueKind != JsonValueKind.Object)
        {
            throw new ReplayFormatException($"tape block {i}: bad entry {b.GetRawText()}");
        }

        byte[] data;
        if (b.TryGetProperty("hex", out var hex))
        {
            data = Hex(hex, $"tape block {i}");
        }
        else
        {
            var n = b.TryGetProperty("len", out var len) ? ParseInt(len, $"tape block {i} len", 10) : 0;
            var pattern = b.TryGetProperty("pattern_hex", out var ph) ? Hex(ph, $"tape block {i}")
                : b.TryGetProperty("fill", out var fill) ? Hex(fill, $"tape block {i}") : [0];
            if (pattern.Length == 0)
            {
                pattern = [0];
            }

            data = Repeat(pattern, Math.Max(n, 0));
        }

        if (data.Length is 0 or > 65535)
        {
            throw new ReplayFormatException($"tape block {i}: length {data.Length} not in 1..65535");
        }

        return data;
    }

    private static ReplayProgram ParseProgram(JsonElement p, int index, int defaultFormat)
    {
        if (p.ValueKind != JsonValueKind.Object || !p.TryGetProperty("ccws", out var ccws)
            || ccws.ValueKind != JsonValueKind.Array || ccws.GetArrayLength() == 0)
        {
            throw new ReplayFormatException($"program {index} has no 'ccws'");
        }

        var format = p.TryGetProperty("ccw_format", out var f) ? ParseInt(f, "ccw_format", 10) : defaultFormat;
        if (format is not (0 or 1))
        {
            throw new ReplayFormatException($"program {index}: ccw_format must be 0 or 1");
        }

        var repeat = p.TryGetProperty("repeat", out var r) ? ParseInt(r, "repeat", 10) : 1;
        if (repeat < 1)
        {
            throw new ReplayFormatException($"program {index}: repeat must be >= 1");
        }

        var senseCount = p.TryGetProperty("sense_count", out var sc) ? ParseInt(sc, "sense_count", 10) : 32;
        if (senseCount is < 1 or > 64)
        {
            throw new ReplayFormatException($"program {index}: sense_count must be 1..64");
        }

        var autoSense = !p.TryGetProperty("auto_sense", out var a) || a.ValueKind != JsonValueKind.False;
        var orb = p.TryGetProperty("orb_word1", out var o)
            ? (uint)ParseLong(o, "orb_word1", 16)
            : format == 1 ? 0x0080FF00u : 0x0000FF00u;
        var hostBefore = new List<string>();
        if (p.TryGetProperty("host_before", out var hb))
        {
            if (hb.ValueKind != JsonValueKind.Array)
            {
                throw new ReplayFormatException($"program {index}: host_before must be a list");
            }

            foreach (var c in hb.EnumerateArray())
            {
                hostBefore.Add(ScalarText(c, "host_before command"));
            }
        }

        var list = new List<ReplayCcw>();
        var ci = 0;
        foreach (var c in ccws.EnumerateArray())
        {
            list.Add(ParseCcw(c, $"program {index} ccw {ci++}"));
        }

        for (var i = 0; i < list.Count; i++)
        {
            if (list[i].TicTarget is { } t && (t < 0 || t >= list.Count))
            {
                throw new ReplayFormatException($"program {index} ccw {i}: TIC target {t} not a ccw index");
            }
        }

        return new ReplayProgram(index, OptionalString(p, "name") ?? $"program {index}", list,
            (CcwFormat)format, orb, repeat, autoSense, senseCount, hostBefore);
    }

    private static ReplayCcw ParseCcw(JsonElement c, string what)
    {
        if (c.ValueKind != JsonValueKind.Object || !c.TryGetProperty("op", out var opElement))
        {
            throw new ReplayFormatException($"{what}: missing 'op'");
        }

        var op = ParseInt(opElement, what + " op", 16);
        if (op is < 0 or > 0xFF)
        {
            throw new ReplayFormatException($"{what}: op out of range");
        }

        var flags = c.TryGetProperty("flags", out var fl) ? ParseFlags(fl, what) : CcwFlags.None;
        var data = new List<byte>();
        if (c.TryGetProperty("data_hex", out var dh))
        {
            data.AddRange(Hex(dh, what + " data_hex"));
        }

        if (c.TryGetProperty("data_ebcdic", out var de))
        {
            data.AddRange(Ebcdic.GetBytes(ScalarText(de, what + " data_ebcdic")));
        }

        if (c.TryGetProperty("data_ascii", out var da))
        {
            foreach (var ch in ScalarText(da, what + " data_ascii"))
            {
                if (ch > 0xFF)
                {
                    throw new ReplayFormatException($"{what}: data_ascii is not latin-1");
                }

                data.Add((byte)ch);
            }
        }

        var pattern = c.TryGetProperty("pattern_hex", out var ph) ? Hex(ph, what + " pattern_hex") : [];
        var fill = c.TryGetProperty("fill", out var fi) ? Hex(fi, what + " fill") : [0];
        if (fill.Length != 1)
        {
            throw new ReplayFormatException($"{what}: fill must be one byte");
        }

        var count = c.TryGetProperty("count", out var ce) ? ParseInt(ce, what + " count", 10)
            : data.Count > 0 ? data.Count : pattern.Length;
        if (count is < 0 or > 0xFFFF)
        {
            throw new ReplayFormatException($"{what}: count out of range");
        }

        var repeat = c.TryGetProperty("repeat", out var re) ? ParseInt(re, what + " repeat", 10) : 1;
        if (repeat < 1)
        {
            throw new ReplayFormatException($"{what}: repeat < 1");
        }

        var size = Math.Max(Math.Max(count, data.Count), 1);
        byte[] buffer;
        if (pattern.Length > 0)
        {
            buffer = Repeat(pattern, size);
        }
        else
        {
            buffer = new byte[size];
            data.CopyTo(buffer);
            buffer.AsSpan(data.Count).Fill(fill[0]);
        }

        int? target = CommandType.IsTransferInChannel((byte)op) && c.TryGetProperty("target", out var t) ? ParseInt(t, what + " target", 10) : null;
        uint? address = c.TryGetProperty("data_addr", out var ad) ? (uint)ParseLong(ad, what + " data_addr", 16) : null;
        return new ReplayCcw((byte)op, flags, count, buffer, data.Count > 0 || pattern.Length > 0, repeat, target, address);
    }

    private static CcwFlags ParseFlags(JsonElement v, string what)
    {
        if (v.ValueKind == JsonValueKind.Null)
        {
            return CcwFlags.None;
        }

        if (v.ValueKind == JsonValueKind.Array)
        {
            var flags = CcwFlags.None;
            foreach (var n in v.EnumerateArray())
            {
                var text = ScalarText(n, what + " flag").ToUpperInvariant();
                var found = Array.FindIndex(s_flagNames, f => f.Name == text);
                if (found < 0)
                {
                    throw new ReplayFormatException($"{what}: unknown CCW flag '{text}'");
                }

                flags |= s_flagNames[found].Flag;
            }

            return flags;
        }

        var value = ParseInt(v, what + " flags", 16);
        if (value is < 0 or > 0xFF)
        {
            throw new ReplayFormatException($"{what}: flags out of range");
        }

        return (CcwFlags)value;
    }

    private static int ParseInt(JsonElement v, string what, int textBase)
    {
        var value = ParseLong(v, what, textBase);
        if (value is < int.MinValue or > int.MaxValue)
        {
            throw new ReplayFormatException($"{what}: value out of range");
        }

        return (int)value;
    }

    /// <summary>Numbers stay numbers; strings are in <paramref name="textBase"/> unless prefixed 0x (hex) or 0d (decimal), as run.py's parse_int.</summary>
    private static long ParseLong(JsonElement v, string what, int textBase)
    {
        if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var n))
        {
            return n;
        }

        if (v.ValueKind == JsonValueKind.String)
        {
            var s = v.GetString()!.Trim().ToLowerInvariant();
            var style = textBase == 16 ? NumberStyles.AllowHexSpecifier : NumberStyles.AllowLeadingSign;
            if (s.StartsWith("0x", StringComparison.Ordinal))
            {
                (s, style) = (s[2..], NumberStyles.AllowHexSpecifier);
            }
            else if (s.StartsWith("0d", StringComparison.Ordinal))
            {
                (s, style) = (s[2..], NumberStyles.AllowLeadingSign);
            }

            if (long.TryParse(s, style, CultureInfo.InvariantCulture, out var parsed))
            {
                return parsed;
            }
        }

        throw new ReplayFormatException($"{what}: bad value {v.GetRawText()}");
    }

    private static byte[] Hex(JsonElement v, string what)
    {
        var s = ScalarText(v, what).Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);
        try
        {
            return Convert.FromHexString(s);
        }
        catch (FormatException)
        {
            throw new ReplayFormatException($"{what}: not a hex string");
        }
    }

    private static byte[] Repeat(byte[] pattern, int size)
    {
        var result = new byte[size];
        for (var i = 0; i < size; i++)
        {
            result[i] = pattern[i % pattern.Length];
        }

        return result;
    }

    private static string ScalarText(JsonElement v, string what) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString()!,
        JsonValueKind.Number => v.GetRawText(),
        _ => throw new ReplayFormatException($"{what}: expected a string, got {v.GetRawText()}"),
    };

    private static string? OptionalString(JsonElement o, string name) =>
        o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? ScalarText(v, name) : null;
}
