using System.Globalization;
using System.Reflection;
using System.Text.Json;
using ChannelTape.Channel;

namespace ChannelTape.Protocol.Tests;

/// <summary>protocol/wire.json, the protocol's numbers described once (protocol/README.md).</summary>
internal static class WireDescription
{
    private static readonly JsonElement s_root = Load();

    public static IEnumerable<JsonElement> Constants => s_root.GetProperty("constants").EnumerateArray();

    public static IEnumerable<JsonElement> Enums => s_root.GetProperty("enums").EnumerateArray();

    public static IEnumerable<JsonElement> Messages => s_root.GetProperty("messages").EnumerateArray();

    public static IEnumerable<JsonElement> Records => s_root.GetProperty("records").EnumerateArray();

    public static JsonElement Message(string name) => Messages.Single(m => Name(m) == name);

    public static string Name(JsonElement element) => element.GetProperty("name").GetString()!;

    /// <summary>A number written as a JSON number or as a string such as <c>"0x80000000"</c>.</summary>
    public static ulong Number(JsonElement value) => value.ValueKind == JsonValueKind.String
        ? ParseNumber(value.GetString()!)
        : value.GetUInt64();

    public static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>The fields of a message, those of the message whose layout it shares included.</summary>
    public static IEnumerable<JsonElement> Fields(JsonElement message) =>
        Text(message, "same_layout_as") is { } same ? Fields(Message(same)) : message.GetProperty("fields").EnumerateArray();

    /// <summary>The C# type a description entry names (<c>cs</c>): in the protocol library or the core it uses.</summary>
    public static Type CSharpType(string fullName) =>
        s_assemblies.Select(a => a.GetType(fullName)).FirstOrDefault(t => t is not null)
        ?? throw new InvalidOperationException($"no C# type {fullName}");

    /// <summary>The value of the C# constant or enum member <c>Namespace.Type.Member</c>.</summary>
    public static ulong CSharpConstant(string qualifiedMember)
    {
        var dot = qualifiedMember.LastIndexOf('.');
        var type = CSharpType(qualifiedMember[..dot]);
        var field = type.GetField(qualifiedMember[(dot + 1)..], BindingFlags.Public | BindingFlags.Static)
            ?? throw new InvalidOperationException($"no public constant {qualifiedMember}");
        return ConstantValue(field);
    }

    public static ulong ConstantValue(FieldInfo field) => Convert.ToUInt64(field.GetRawConstantValue(), CultureInfo.InvariantCulture);

    /// <summary>The assemblies the description's <c>cs</c> names live in.</summary>
    public static IReadOnlyList<Assembly> Assemblies => s_assemblies;

    private static readonly Assembly[] s_assemblies = [typeof(Frame).Assembly, typeof(UnitStatus).Assembly];

    private static ulong ParseNumber(string text) => text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
        ? ulong.Parse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
        : ulong.Parse(text, CultureInfo.InvariantCulture);

    private static JsonElement Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(RepositoryFiles.Path("protocol/wire.json")));
        return document.RootElement.Clone();
    }
}
