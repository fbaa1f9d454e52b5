using System.Globalization;
using System.Text;

namespace ChannelTape.Protocol.Tests;

/// <summary>One vector of tests/protocol/vectors (format: its README.md).</summary>
public sealed class WireVector
{
    public required string File { get; init; }

    public required string Message { get; init; }

    public required bool Valid { get; init; }

    public required string Title { get; init; }

    public byte[] Frame { get; set; } = [];

    public bool DecodeOnly { get; set; }

    public string? Error { get; set; }

    /// <summary>Codecs (<c>cs</c>, <c>c</c>, <c>py</c>) known to accept this malformed frame, with the reason.</summary>
    public Dictionary<string, string> Differs { get; } = [];

    /// <summary>Field name to its text as written (hex, or <c>"text"</c>).</summary>
    public Dictionary<string, string> Fields { get; } = [];

    /// <summary>ReadAhead entries: length and either the bytes carried or the image offset.</summary>
    public List<(uint Length, byte[]? Data, ulong? ImageOffset)> Entries { get; } = [];

    public string Id => $"{System.IO.Path.GetFileName(File)}: {(Valid ? "valid" : "malformed")} {Title}";

    public override string ToString() => Id;
}

/// <summary>Reads the vector files: pairs of hex digits, <c>HHxN</c> for N bytes HH, strings between quotes.</summary>
public static class WireVectors
{
    public static string Directory => RepositoryFiles.Path("tests/protocol/vectors");

    public static IReadOnlyList<WireVector> All { get; } = Load();

    public static WireVector Get(string id) => All.Single(v => v.Id == id);

    public static byte[] Hex(string text)
    {
        var bytes = new List<byte>();
        foreach (var token in text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (token.Length > 3 && token[2] == 'x')
            {
                var value = byte.Parse(token.AsSpan(0, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                bytes.AddRange(Enumerable.Repeat(value, int.Parse(token.AsSpan(3), CultureInfo.InvariantCulture)));
                continue;
            }

            bytes.AddRange(Convert.FromHexString(token));
        }

        return [.. bytes];
    }

    /// <summary>A number field: big-endian hex of its width.</summary>
    public static ulong Number(string text) => Hex(text).Aggregate(0UL, (value, b) => (value << 8) | b);

    /// <summary>A string field: what lies between the first and the last quote.</summary>
    public static string Text(string text)
    {
        var open = text.IndexOf('"');
        var close = text.LastIndexOf('"');
        if (open < 0 || close <= open)
        {
            throw new FormatException($"not a \"string\": {text}");
        }

        return text[(open + 1)..close];
    }

    private static List<WireVector> Load()
    {
        var vectors = new List<WireVector>();
        foreach (var file in System.IO.Directory.GetFiles(Directory, "*.vec").Order(StringComparer.Ordinal))
        {
            string? message = null;
            WireVector? current = null;
            var frame = new StringBuilder();
            void Finish()
            {
                if (current is not null)
                {
                    current.Frame = Hex(frame.ToString());
                    vectors.Add(current);
                }

                frame.Clear();
                current = null;
            }

            foreach (var line in System.IO.File.ReadLines(file, Encoding.UTF8))
            {
                if (line.Length == 0 || line.StartsWith('#'))
                {
                    continue;
                }

                var space = line.IndexOf(' ');
                var keyword = space < 0 ? line : line[..space];
                var rest = space < 0 ? "" : line[(space + 1)..];
                switch (keyword)
                {
                    case "message":
                        message = rest;
                        break;
                    case "valid":
                    case "malformed":
                        Finish();
                        current = new WireVector
                        {
                            File = file,
                            Message = message ?? throw new FormatException($"{file}: a vector before the message line"),
                            Valid = keyword == "valid",
                            Title = rest,
                        };
                        break;
                    case "frame":
                        frame.Append(' ').Append(rest);
                        break;
                    case "field":
                        var fieldSpace = rest.IndexOf(' ');
                        Current().Fields.Add(fieldSpace < 0 ? rest : rest[..fieldSpace], fieldSpace < 0 ? "" : rest[(fieldSpace + 1)..]);
                        break;
                    case "entry":
                        var inline = Hex(rest);
                        Current().Entries.Add(((uint)Number(Convert.ToHexString(inline, 0, 4)), inline[4..], null));
                        break;
                    case "entry-ref":
                        var reference = Hex(rest);
                        Current().Entries.Add(((uint)Number(Convert.ToHexString(reference, 0, 4)), null, Number(Convert.ToHexString(reference, 4, 8))));
                        break;
                    case "decode-only":
                        Current().DecodeOnly = true;
                        break;
                    case "error":
                        Current().Error = rest;
                        break;
                    case "differs":
                        var codec = rest.Split(' ', 2);
                        Current().Differs.Add(codec[0], codec.Length > 1 ? codec[1] : "");
                        break;
                    default:
                        throw new FormatException($"{file}: a line this reader does not know: {line}");
                }

                WireVector Current() => current ?? throw new FormatException($"{file}: '{line}' outside a vector");
            }

            Finish();
        }

        return vectors;
    }
}
