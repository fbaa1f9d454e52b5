using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;

namespace ChannelTape.Runtime.Events;

/// <summary>
/// An event's fields as name/value pairs for structured sinks (the JSON log, the management API's events):
/// its record properties in camelCase, device numbers and CCW codes as hex text (<c>drive: "0580"</c>,
/// <c>command: "01"</c>), enums by name, numbers as numbers, and a nested value (a refusal, streaming
/// counts) flattened into <c>refusalReason</c>, <c>streamingBufferedWrites</c> ... The event's
/// <see cref="TapeEvent.Message"/> and <see cref="TapeEvent.Level"/> are not among them.
/// </summary>
public static class TapeEventFields
{
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> s_properties = new();

    /// <summary>The fields of <paramref name="tapeEvent"/>, in declaration order.</summary>
    public static IReadOnlyList<KeyValuePair<string, object?>> Of(TapeEvent tapeEvent)
    {
        ArgumentNullException.ThrowIfNull(tapeEvent);
        var fields = new List<KeyValuePair<string, object?>>();
        foreach (var property in s_properties.GetOrAdd(tapeEvent.GetType(), PropertiesOf))
        {
            Add(fields, property.Name, property.GetValue(tapeEvent), nested: false);
        }

        return fields;
    }

    private static PropertyInfo[] PropertiesOf(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name is not (nameof(TapeEvent.Level) or nameof(TapeEvent.Message) or nameof(DriveEvent.Drive)))
            .OrderBy(p => p.MetadataToken)];

    private static void Add(List<KeyValuePair<string, object?>> fields, string name, object? value, bool nested)
    {
        var key = name == nameof(DriveEvent.DeviceNumber) ? "drive" : char.ToLowerInvariant(name[0]) + name[1..];
        switch (value)
        {
            case null:
                fields.Add(new(key, null));
                break;
            case ushort device when name == nameof(DriveEvent.DeviceNumber) || name == "Model":
                fields.Add(new(key, device.ToString("X4", CultureInfo.InvariantCulture)));
                break;
            case byte code:
                fields.Add(new(key, code.ToString("X2", CultureInfo.InvariantCulture)));
                break;
            case string or bool or int or long or uint or ushort or double:
                fields.Add(new(key, value));
                break;
            case Enum e:
                fields.Add(new(key, e.ToString()));
                break;
            case Exception e:
                fields.Add(new(key, $"{e.GetType().Name}: {e.Message}"));
                break;
            default:
                // Only ChannelTape's own records (a refusal, streaming counts) are taken apart; anything else
                // (an address, a URI) is its text.
                if (nested || value.GetType().Namespace?.StartsWith("ChannelTape", StringComparison.Ordinal) != true)
                {
                    fields.Add(new(key, value.ToString()));
                    break;
                }

                // A record inside the event (a refusal, streaming counts): its own fields, prefixed.
                foreach (var inner in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
                {
                    Add(fields, key + inner.Name, inner.GetValue(value), nested: true);
                }

                break;
        }
    }
}
