using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ChannelTape.Scripts.Replay;

/// <summary>
/// Writes JSON the way the reference runner prints it (Python <c>json.dumps</c> separators and
/// ASCII escapes; run.py <c>pretty</c>: anything that fits in 140 columns on one line), so a
/// replay result and a Hercules result diff line by line.
/// </summary>
public static class OracleJson
{
    private const int Width = 140;

    /// <summary>The runner's pretty form.</summary>
    public static string Pretty(JsonNode? node)
    {
        var builder = new StringBuilder();
        Pretty(builder, node, 0);
        return builder.ToString();
    }

    /// <summary>One line, as <c>json.dumps</c>.</summary>
    public static string Compact(JsonNode? node)
    {
        var builder = new StringBuilder();
        Compact(builder, node);
        return builder.ToString();
    }

    private static void Pretty(StringBuilder output, JsonNode? node, int indent)
    {
        var one = Compact(node);
        if (one.Length + indent <= Width || node is not (JsonObject or JsonArray) || IsEmpty(node))
        {
            output.Append(one);
            return;
        }

        var pad = new string(' ', indent + 1);
        if (node is JsonArray array)
        {
            output.Append("[\n");
            for (var i = 0; i < array.Count; i++)
            {
                output.Append(pad);
                Pretty(output, array[i], indent + 1);
                output.Append(i + 1 < array.Count ? ",\n" : "\n");
            }

            output.Append(' ', indent).Append(']');
            return;
        }

        var obj = (JsonObject)node;
        output.Append("{\n");
        var n = 0;
        foreach (var (key, value) in obj)
        {
            output.Append(pad);
            String(output, key);
            output.Append(": ");
            Pretty(output, value, indent + 1);
            output.Append(++n < obj.Count ? ",\n" : "\n");
        }

        output.Append(' ', indent).Append('}');
    }

    private static bool IsEmpty(JsonNode node) => node switch
    {
        JsonArray a => a.Count == 0,
        JsonObject o => o.Count == 0,
        _ => false,
    };

    private static void Compact(StringBuilder output, JsonNode? node)
    {
        switch (node)
        {
            case null:
                output.Append("null");
                break;
            case JsonArray array:
                output.Append('[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        output.Append(", ");
                    }

                    Compact(output, array[i]);
                }

                output.Append(']');
                break;
            case JsonObject obj:
                output.Append('{');
                var first = true;
                foreach (var (key, value) in obj)
                {
                    if (!first)
                    {
                        output.Append(", ");
                    }

                    first = false;
                    String(output, key);
                    output.Append(": ");
                    Compact(output, value);
                }

                output.Append('}');
                break;
            case JsonValue value:
                Value(output, value);
                break;
        }
    }

    private static void Value(StringBuilder output, JsonValue value)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                String(output, value.GetValue<string>());
                break;
            case JsonValueKind.True:
                output.Append("true");
                break;
            case JsonValueKind.False:
                output.Append("false");
                break;
            case JsonValueKind.Null:
                output.Append("null");
                break;
            default:
                output.Append(value.ToJsonString());
                break;
        }
    }

    private static void String(StringBuilder output, string text)
    {
        output.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"':
                    output.Append("\\\"");
                    break;
                case '\\':
                    output.Append("\\\\");
                    break;
                case '\n':
                    output.Append("\\n");
                    break;
                case '\r':
                    output.Append("\\r");
                    break;
                case '\t':
                    output.Append("\\t");
                    break;
                case '\b':
                    output.Append("\\b");
                    break;
                case '\f':
                    output.Append("\\f");
                    break;
                default:
                    if (c < 0x20 || c > 0x7F)
                    {
                        output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        output.Append(c);
                    }

                    break;
            }
        }

        output.Append('"');
    }
}
