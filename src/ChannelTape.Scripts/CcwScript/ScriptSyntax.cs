using ChannelTape.Channel;
using ChannelTape.Device;

namespace ChannelTape.Scripts.CcwScript;

// Syntax nodes as the parser reads them; ScriptBuilder checks them and turns them into the AST
// (counts, buffers, implied chaining, labels, expectations attached to their program).

internal abstract record Node(ScriptLocation Location);

internal sealed record DeviceNode(TapeModel Model, ushort DeviceNumber, ScriptLocation Location) : Node(Location);

internal sealed record TapeNode(VolumeSpec Volume, ScriptLocation Location) : Node(Location);

internal sealed record MountNode(VolumeSpec Volume, ScriptLocation Location) : Node(Location);

internal sealed record UnloadNode(ScriptLocation Location) : Node(Location);

internal sealed record WaitNode(UnitStatus Status, TimeSpan Timeout, ScriptLocation Location) : Node(Location);

internal sealed record ExpectNode(Expectation Expectation) : Node(Expectation.Location);

internal sealed record LabelNode(string Label, ScriptLocation Location) : Node(Location);

/// <summary>One CCW as written: command, arguments in order.</summary>
internal sealed record CcwNode(CommandName Command, IReadOnlyList<CcwArgument> Arguments, string? TicLabel, string Text, ScriptLocation Location) : Node(Location);

internal sealed record ProgramNode(
    string? Name,
    IReadOnlyList<ProgramOption> Options,
    IReadOnlyList<Node> Items,
    ScriptLocation Location) : Node(Location);

internal abstract record ProgramOption(ScriptLocation Location);

internal sealed record FormatOption(CcwFormat Format, ScriptLocation Location) : ProgramOption(Location);

internal sealed record NoSenseOption(ScriptLocation Location) : ProgramOption(Location);

internal sealed record SenseCountOption(int Count, ScriptLocation Location) : ProgramOption(Location);

internal sealed record RepeatOption(int Times, ScriptLocation Location) : ProgramOption(Location);

internal sealed record SuppressIncorrectLengthOption(ScriptLocation Location) : ProgramOption(Location);

internal abstract record CcwArgument(ScriptLocation Location);

internal sealed record CountArgument(int Count, ScriptLocation Location) : CcwArgument(Location);

internal sealed record FlagArgument(CcwFlags Flag, ScriptLocation Location) : CcwArgument(Location);

/// <summary>Data bytes (literal, or a pattern with a length).</summary>
internal sealed record DataArgument(byte[] Bytes, ScriptLocation Location) : CcwArgument(Location);

/// <summary><c>pattern X'..'</c> without <c>len</c>: repeated over the rest of the buffer.</summary>
internal sealed record PatternFillArgument(byte[] Pattern, ScriptLocation Location) : CcwArgument(Location);

/// <summary><c>fill X'hh'</c>: the byte for the buffer after the data (default 00).</summary>
internal sealed record FillArgument(byte Fill, ScriptLocation Location) : CcwArgument(Location);

/// <summary><c>nochain</c>: inside a program block, this CCW does not get the implied CC.</summary>
internal sealed record NoChainArgument(ScriptLocation Location) : CcwArgument(Location);

/// <summary><c>ended-at LABEL</c> before the label is resolved to a CCW index.</summary>
internal sealed record EndedAtLabelExpectation(string Label, ScriptLocation Location) : Expectation(Location);
