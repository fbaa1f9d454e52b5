using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace ChannelTape.Scripts.Replay;

/// <summary>
/// The reference runner's view of AWS images: it generates the initial image of a
/// <c>{"blocks": [...]}</c> tape and describes the final image block by block (run.py
/// <c>aws_encode</c> / <c>aws_decode</c>), so a replay result diffs directly with a Hercules one.
/// Header: 2 bytes this chunk's length, 2 bytes previous chunk's length (little-endian), flags-1, flags-2.
/// </summary>
public static class ReplayAwsImage
{
    private const int HeaderSize = 6;
    private const int CurrentLengthOffset = 0;
    private const int PreviousLengthOffset = 2;
    private const int Flags1Offset = 4;
    private const int Flags2Offset = 5;
    private const byte StartOfRecord = 0x80;
    private const byte EndOfRecord = 0x20;
    private const byte TapeMark = 0x40;

    /// <summary>Data of a block longer than this many bytes is shown as head + sha256 only.</summary>
    public const int MaxHexBytes = 256;

    /// <summary>One-chunk AWS image of <paramref name="blocks"/> (null = tape mark).</summary>
    public static byte[] Encode(IEnumerable<byte[]?> blocks)
    {
        using var output = new MemoryStream();
        Span<byte> header = stackalloc byte[HeaderSize];
        var previous = 0;
        foreach (var block in blocks)
        {
            var length = block?.Length ?? 0;
            BinaryPrimitives.WriteUInt16LittleEndian(header[CurrentLengthOffset..], (ushort)length);
            BinaryPrimitives.WriteUInt16LittleEndian(header[PreviousLengthOffset..], (ushort)previous);
            header[Flags1Offset] = block is null ? TapeMark : (byte)(StartOfRecord | EndOfRecord);
            header[Flags2Offset] = 0;
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
            if (position + HeaderSize > image.Length)
            {
                output.Add(new JsonObject
                {
                    ["error"] = $"truncated header at offset {position}",
                    ["trailing_hex"] = Convert.ToHexStringLower(image[position..]),
                });
                break;
            }

            int current = BinaryPrimitives.ReadUInt16LittleEndian(image[(position + CurrentLengthOffset)..]);
            int previous = BinaryPrimitives.ReadUInt16LittleEndian(image[(position + PreviousLengthOffset)..]);
            var flags1 = image[position + Flags1Offset];
            var flags2 = image[position + Flags2Offset];
            var dataStart = position + HeaderSize;
            var chunk = image.Slice(Math.Min(dataStart, image.Length), Math.Max(0, Math.Min(current, image.Length - dataStart)));
            var header = new JsonObject
            {
                ["offset"] = position,
                ["curblkl"] = current,
                ["prvblkl"] = previous,
                ["flags1"] = flags1.ToString("X2"),
                ["flags2"] = flags2.ToString("X2"),
            };
            position += HeaderSize + current;
            if ((flags1 & TapeMark) != 0)
            {
                header["type"] = "TM";
                output.Add(header);
                continue;
            }

            if ((flags1 & StartOfRecord) != 0 || chunks is null)
            {
                chunks = [];
                data.SetLength(0);
            }

            chunks.Add(header);
            data.Write(chunk);
            if ((flags1 & EndOfRecord) != 0)
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
