using System.Numerics;
using System.Reflection;
using System.Text.Json;

namespace ChannelTape.Protocol.Tests;

/// <summary>
/// protocol/wire.json against the C# definitions in src/ChannelTape.Protocol: the module's header and the
/// test peer's constants are generated from the description, so this is what keeps all three on the
/// same numbers. Checked both ways: a number the C# code has and the description lacks fails too.
/// </summary>
public class WireDescriptionTests
{
    public static TheoryData<string> MessageNames => new(WireDescription.Messages.Select(WireDescription.Name));

    public static TheoryData<string> EnumNames => new(WireDescription.Enums.Select(WireDescription.Name));

    public static TheoryData<string> ConstantNames => new(WireDescription.Constants.Select(WireDescription.Name));

    [Fact]
    public void MessageType_has_exactly_the_described_types_and_codes()
    {
        var described = WireDescription.Messages
            .Select(m => (Name: WireDescription.Name(m), Code: WireDescription.Number(m.GetProperty("code"))))
            .OrderBy(m => m.Code).ToList();
        var csharp = Enum.GetValues<MessageType>().Select(t => (Name: t.ToString(), Code: (ulong)t)).OrderBy(m => m.Code).ToList();

        Assert.Equal(described, csharp);
    }

    [Fact]
    public void A_type_byte_is_known_exactly_when_it_is_described()
    {
        var described = WireDescription.Messages.Select(m => WireDescription.Number(m.GetProperty("code"))).ToHashSet();

        for (var type = 0; type < 256; type++)
        {
            Assert.True(described.Contains((ulong)type) == MessageTypes.IsKnown((byte)type), $"type {type:X2}");
        }
    }

    [Theory]
    [MemberData(nameof(MessageNames))]
    public void Message_type_has_the_described_frame_type_fixed_size_and_field_offsets(string name)
    {
        var message = WireDescription.Message(name);
        var type = WireDescription.CSharpType(WireDescription.Text(message, "cs")!);

        var frameType = (MessageType)typeof(WireDescriptionTests).GetMethod(nameof(FrameTypeOf), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(type).Invoke(null, null)!;
        Assert.Equal(WireDescription.Number(message.GetProperty("code")), (ulong)frameType);

        var fixedSize = WireDescription.Number(message.GetProperty("fixed_size"));
        if (ConstantOf(type, "FixedSize") is { } csharpFixedSize)
        {
            Assert.Equal(fixedSize, csharpFixedSize);
        }
        else
        {
            // BufferedCcw: no fixed fields of its own, it is a Ccw under another type byte.
            var same = WireDescription.Text(message, "same_layout_as");
            Assert.True(same is not null, $"{type.Name} has no FixedSize and the description names no layout it shares");
            Assert.Equal(fixedSize, WireDescription.Number(WireDescription.Message(same).GetProperty("fixed_size")));
            return;
        }

        foreach (var field in WireDescription.Fields(message).Where(f => f.TryGetProperty("offset", out _)))
        {
            var constant = OffsetConstantName(field);
            var value = ConstantOf(type, constant);
            Assert.True(value is not null, $"{type.Name} has no constant {constant} for the described field {WireDescription.Name(field)}");
            Assert.Equal(WireDescription.Number(field.GetProperty("offset")), value);
        }
    }

    [Fact]
    public void Every_public_constant_of_the_protocol_library_is_in_the_description()
    {
        var described = new HashSet<string>(StringComparer.Ordinal);
        foreach (var constant in WireDescription.Constants.Concat(WireDescription.Records.SelectMany(r => r.GetProperty("fields").EnumerateArray())))
        {
            if (WireDescription.Text(constant, "cs") is { } cs)
            {
                described.Add(cs);
            }
        }

        foreach (var message in WireDescription.Messages)
        {
            var cs = WireDescription.Text(message, "cs")!;
            described.Add(cs + ".FixedSize");
            foreach (var field in WireDescription.Fields(message).Where(f => f.TryGetProperty("offset", out _)))
            {
                described.Add(cs + "." + OffsetConstantName(field));
            }
        }

        var constants = typeof(Frame).Assembly.GetExportedTypes()
            .Where(t => !t.IsEnum)
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral))
            .ToList();
        var undescribed = constants
            .Where(f => !f.FieldType.IsEnum)
            .Select(f => f.DeclaringType!.FullName + "." + f.Name)
            .Where(name => !described.Contains(name))
            .ToList();
        // A constant of an enum type (ProtocolFeatureRules.All) is made of that enum's described members.
        foreach (var field in constants.Where(f => f.FieldType.IsEnum))
        {
            var members = WireDescription.Enums.Single(e => WireDescription.Text(e, "cs") == field.FieldType.FullName).GetProperty("members").EnumerateArray();
            var bits = members.Aggregate(0UL, (all, m) => all | WireDescription.Number(m.GetProperty("value")));
            Assert.True((WireDescription.ConstantValue(field) & ~bits) == 0, $"{field.DeclaringType!.Name}.{field.Name} has bits the description does not name");
        }

        Assert.True(undescribed.Count == 0, "not in protocol/wire.json: " + string.Join(", ", undescribed));
    }

    [Fact]
    public void Every_public_enum_of_the_protocol_library_is_in_the_description()
    {
        var described = WireDescription.Enums.Select(e => WireDescription.Text(e, "cs")!).Append(typeof(MessageType).FullName!).ToHashSet();

        var undescribed = typeof(Frame).Assembly.GetExportedTypes().Where(t => t.IsEnum && !described.Contains(t.FullName!)).Select(t => t.FullName).ToList();

        Assert.True(undescribed.Count == 0, "not in protocol/wire.json: " + string.Join(", ", undescribed));
    }

    [Theory]
    [MemberData(nameof(EnumNames))]
    public void Enum_has_exactly_the_described_members(string name)
    {
        var description = WireDescription.Enums.Single(e => WireDescription.Name(e) == name);
        var type = WireDescription.CSharpType(WireDescription.Text(description, "cs")!);
        var flags = description.TryGetProperty("flags", out var f) && f.GetBoolean();

        var described = description.GetProperty("members").EnumerateArray()
            .Select(m => (Name: WireDescription.Name(m), Value: WireDescription.Number(m.GetProperty("value"))))
            .OrderBy(m => m.Value).ToList();
        // Of a [Flags] enum only the bits are wire values: None and combinations are conveniences.
        var csharp = type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Select(m => (Name: m.Name, Value: WireDescription.ConstantValue(m)))
            .Where(m => !flags || BitOperations.PopCount(m.Value) == 1)
            .OrderBy(m => m.Value).ToList();

        Assert.Equal(flags, type.IsDefined(typeof(FlagsAttribute)));
        Assert.Equal(described, csharp);
        var width = WireDescription.Text(description, "type") switch { "u8" => 1, "u16" => 2, "u32" => 4, var t => throw new InvalidOperationException(t) };
        Assert.Equal(width, System.Runtime.InteropServices.Marshal.SizeOf(Enum.GetUnderlyingType(type)));
    }

    [Theory]
    [MemberData(nameof(ConstantNames))]
    public void Constant_has_the_described_value(string name)
    {
        var constant = WireDescription.Constants.Single(c => WireDescription.Name(c) == name);

        Assert.Equal(WireDescription.Number(constant.GetProperty("value")), WireDescription.CSharpConstant(WireDescription.Text(constant, "cs")!));
    }

    [Fact]
    public void Record_offsets_are_the_described_constants()
    {
        foreach (var field in WireDescription.Records.SelectMany(r => r.GetProperty("fields").EnumerateArray()))
        {
            if (WireDescription.Text(field, "cs") is { } cs)
            {
                Assert.Equal(WireDescription.Number(field.GetProperty("offset")), WireDescription.CSharpConstant(cs));
            }
        }

        var reference = WireDescription.Records.Single(r => WireDescription.Name(r) == "ReadAheadReferenceEntry");
        Assert.Equal((ulong)Messages.ReadAheadMessage.ReferenceEntrySize, WireDescription.Number(reference.GetProperty("size")));
    }

    [Fact]
    public void Generated_C_header_and_Python_definitions_are_up_to_date_with_the_description()
    {
        var result = RepositoryTool.Run("python3", "protocol/generate.py", "--check");

        Assert.True(result.ExitCode == 0, result.ToString());
    }

    /// <summary><c>SenseIdCount</c> at a fixed offset: <c>SenseIdCountOffset</c>; <c>Message</c> after <c>SenseId</c>: <c>MessageOffsetAfterSenseId</c>.</summary>
    private static string OffsetConstantName(JsonElement field) =>
        WireDescription.Name(field) + "Offset" + (WireDescription.Text(field, "after") is { } after ? "After" + after : "");

    private static MessageType FrameTypeOf<T>()
        where T : IMessage<T>, allows ref struct => T.FrameType;

    private static ulong? ConstantOf(Type type, string name) =>
        type.GetField(name, BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } field ? WireDescription.ConstantValue(field) : null;
}
