using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ChannelTape.Media;

namespace ChannelTape.Scripts.Replay;

/// <summary>
/// The reference runner's view of AWS images: it generates the initial image of a
/// <c>{"blocks": [...]}</c> tape and describes the final image block by block (run.py
/// <c>aws_encode</c> / <c>aws_decode</c>), so a replay result diffs directly with a Hercules one.
/// Chunk headers are the media layer's <see cref="AwsBlockHeader"/>.
/// </summary>
public static class ReplayAwsImage
{
    /// <summary>Data of a block longer than this many bytes is shown as head + sha256 only.</summary>
    public const int MaxHexBytes = 256;

    /// <summary>One-chunk AWS image of <paramref name="blocks"/> (null = tape mark).</summary>
    public static byte[] Encode(IEnumerable<byte[]?> blocks)
    {
        using var output = new MemoryStream();
        Span<byte> header = stackalloc byte[AwsBlockHeader.Size];
        var previous = 0;
        foreach (var block in blocks)
        {
            var length = block?.Length ?? 0;
            var flags = block is null ? AwsFlags1.TapeMark : AwsFlags1.StartOfRecord | AwsFlags1.EndOfRecord;
            new AwsBlockHeader((ushort)length, (ushort)previous, flags, AwsFlags2.None).Write(header);
            output.Write(header);
            if (block is not null)
            {
                output.Write(block);
            }

            previous = length;
        }

        return output.ToArray();
    }

    /// <summary>The runner's block list of an image (<c>aws_decode</c>).</summary>
    public static JsonArray Describe(ReadOnlySpan<byte> image, bool fullHex = false)
    {
        var output = new JsonArray();
        var position = 0;
        List<JsonObject>? chunks = null;
        var data = new MemoryStream();
        while (position < image.Length)
        {
            if (position + AwsBlockHeader.Size > image.Length)
            {
                output.Add(new JsonObject
                {
                    ["error"] = $"truncated header at offset {position}",
                    ["trailing_hex"] = Convert.ToHexStringLower(image[position..]),
                });
                break;
            }

            var chunkHeader = AwsBlockHeader.Read(image[position..]);
            int current = chunkHeader.CurrentLength;
            int previous = chunkHeader.PreviousLength;
            var dataStart = position + AwsBlockHeader.Size;
            var chunk = image.Slice(Math.Min(dataStart, image.Length), Math.Max(0, Math.Min(current, image.Length - dataStart)));
            var header = new JsonObject
            {
                ["offset"] = position,
                ["curblkl"] = current,
                ["prvblkl"] = previous,
                ["flags1"] = ((byte)chunkHeader.Flags1).ToString("X2"),
                ["flags2"] = ((byte)chunkHeader.Flags2).ToString("X2"),
            };
            position += AwsBlockHeader.Size + current;
            if (chunkHeader.IsTapeMark)
            {
                header["type"] = "TM";
                output.Add(header);
                continue;
            }

            if (chunkHeader.IsStartOfRecord || chunks is null)
            {
                chunks = [];
                data.SetLength(0);
            }

            chunks.Add(header);
            data.Write(chunk);
            if (chunkHeader.IsEndOfRecord)
            {
                var bytes = data.ToArray();
                var block = new JsonObject
                {
                    ["type"] = "block",
                    ["offset"] = chunks[0]["offset"]!.GetValue<int>(),
                    ["len"] = bytes.Length,
                    ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes)),
                };
                if (chunks.Count > 1)
                {
                    block["chunks"] = chunks.Count;
                }
                else
                {
                    block["flags1"] = header["flags1"]!.GetValue<string>();
                    block["flags2"] = header["flags2"]!.GetValue<string>();
                    block["prvblkl"] = previous;
                }

                if (fullHex || bytes.Length <= MaxHexBytes)
                {
                    block["hex"] = Convert.ToHexString(bytes);
                }
                else
                {
                    block["head_hex"] = Convert.ToHexString(bytes.AsSpan(0, 32));
                }

                output.Add(block);
                chunks = null;
            }
        }

        if (chunks is not null)
        {
            output.Add(new JsonObject
            {
                ["type"] = "incomplete_block",
                ["offset"] = chunks[0]["offset"]!.GetValue<int>(),
                ["len"] = (int)data.Length,
            });
        }

        return output;
    }
}
