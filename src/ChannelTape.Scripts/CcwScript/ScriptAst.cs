using ChannelTape.Channel;
using ChannelTape.Device;

namespace ChannelTape.Scripts.CcwScript;

/// <summary>Where something is written in a script: 1-based line and column.</summary>
public readonly record struct ScriptLocation(int Line, int Column)
{
    public override string ToString() => $"line {Line}, column {Column}";
}

/// <summary>A parsed CCW script: the drive it talks to, its first volume, and the steps in order.</summary>
/// <param name="Device">The <c>device</c> statement (default 3490 at 0580).</param>
/// <param name="Tape">The <c>tape</c> statement (default an empty image).</param>
/// <param name="Steps">Channel programs and host actions, each with its expectations.</param>
public sealed record Script(DeviceDeclaration Device, VolumeSpec Tape, IReadOnlyList<ScriptStep> Steps);

/// <summary><c>device 3490 at 0580</c>.</summary>
public sealed record DeviceDeclaration(TapeModel Model, ushort DeviceNumber, ScriptLocation Location)
{
    public static DeviceDeclaration Default { get; } = new(TapeModel.Ibm3490, 0x0580, new ScriptLocation(1, 1));
}

/// <summary>What kind of volume a <c>tape</c> or <c>mount</c> statement names.</summary>
public enum VolumeKind
{
    /// <summary><c>none</c>: no volume, the drive is unloaded.</summary>
    None,
    /// <summary><c>empty</c>: a new, zero-length AWS image.</summary>
    Empty,
    /// <summary><c>"path"</c>: a copy of an image file (relative to the script's folder).</summary>
    File,
    /// <summary><c>blocks { ... }</c>: a new AWS image holding the listed blocks and tape marks.</summary>
    Blocks,
}

/// <summary>One entry of <c>blocks { ... }</c>: a data block, or a tape mark (<see cref="Data"/> null).</summary>
public sealed record VolumeBlock(byte[]? Data, ScriptLocation Location)
{
    public bool IsTapeMark => Data is null;
}

/// <summary>
/// A volume for <c>tape</c> or <c>mount</c>: kind, file path or blocks, and Hercules device-statement
/// option words (<c>ro</c>, <c>maxsizeK=200</c>, <c>eotmargin=8192</c>, ...).
/// </summary>
public sealed record VolumeSpec(
    VolumeKind Kind,
    string? Path,
    IReadOnlyList<VolumeBlock> Blocks,
    IReadOnlyList<string> Options,
    ScriptLocation Location)
{
    public static VolumeSpec DefaultEmpty { get; } = new(VolumeKind.Empty, null, [], [], new ScriptLocation(1, 1));
}

/// <summary>A step of a script: a channel program or a host action.</summary>
public abstract record ScriptStep(ScriptLocation Location);

/// <summary>
/// A channel program: one or more CCWs started with one Start Subchannel, and the expectations
/// written after it.
/// </summary>
/// <param name="Name">Name shown in reports (the <c>program "name"</c> text, or the CCW's source text).</param>
/// <param name="Ccws">CCWs in storage order, flags final (implied CC already applied).</param>
/// <param name="Format">CCW format 0 or 1 (<c>format 0</c>); default 1 as the reference runner.</param>
/// <param name="AutoSense">Issue a Sense after a unit check (default on, as an operating system would).</param>
/// <param name="SenseCount">Byte count of that Sense (default 32, SLI).</param>
/// <param name="Repeat">Start the program this many times; stops early at unit check, unit exception or channel status.</param>
/// <param name="Expectations">The <c>expect</c> statements written after the program.</param>
/// <param name="Location">Where the program starts.</param>
public sealed record ChannelProgramStep(
    string Name,
    IReadOnlyList<ScriptCcw> Ccws,
    CcwFormat Format,
    bool AutoSense,
    int SenseCount,
    int Repeat,
    IReadOnlyList<Expectation> Expectations,
    ScriptLocation Location) : ScriptStep(Location)
{
    /// <summary>
    /// <c>suppress-il</c>: start with incorrect-length suppression, the ORB bit Hercules 3.13 honours
    /// for format-1 CCWs (channel.c <c>ORB5_U</c>; golden case immediate_il).
    /// </summary>
    public bool SuppressIncorrectLength { get; init; }
}

/// <summary>
/// <c>mount empty|"path"|blocks {...} [options]</c>: the operator loads a volume; a drive that becomes
/// ready raises an unsolicited device end (docs/reference/hercules-tape.md §5 "Ready").
/// </summary>
public sealed record MountStep(VolumeSpec Volume, ScriptLocation Location) : ScriptStep(Location);

/// <summary><c>unload</c>: the operator unloads the drive.</summary>
public sealed record UnloadStep(ScriptLocation Location) : ScriptStep(Location);

/// <summary><c>wait device-end [timeout 2s]</c>: an unsolicited status containing the given bits must arrive.</summary>
public sealed record WaitStatusStep(UnitStatus Status, TimeSpan Timeout, ScriptLocation Location) : ScriptStep(Location)
{
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromSeconds(2);
}

/// <summary>Where a CCW's data comes from in the script, for the buffer the channel hands the device.</summary>
/// <param name="Command">Command code.</param>
/// <param name="Flags">Flags as the channel sees them (implied CC included).</param>
/// <param name="Count">Byte count.</param>
/// <param name="Buffer">Initial buffer contents, <see cref="Count"/> bytes: write data, or what input commands overwrite.</param>
/// <param name="TicTarget">For TIC: index of the CCW it transfers to.</param>
/// <param name="Label">Label written before it, if any.</param>
/// <param name="Text">The CCW as written (for reports).</param>
/// <param name="Expectations">Expectations written right after it inside a program block (data, residual of this CCW).</param>
/// <param name="Location">Where the CCW is written.</param>
public sealed record ScriptCcw(
    byte Command,
    CcwFlags Flags,
    int Count,
    byte[] Buffer,
    int? TicTarget,
    string? Label,
    string Text,
    IReadOnlyList<Expectation> Expectations,
    ScriptLocation Location);

/// <summary>An <c>expect</c> statement.</summary>
public abstract record Expectation(ScriptLocation Location)
{
    /// <summary>The statement as written, for reports (set from the source line by the parser).</summary>
    public string Text { get; init; } = "expect";
}

/// <summary><c>expect status CE DE UX</c> or <c>expect status = 0D</c>: exact unit status of the final interruption.</summary>
public sealed record UnitStatusExpectation(UnitStatus Status, ScriptLocation Location) : Expectation(Location);

/// <summary><c>expect channel IL</c>, <c>expect channel none</c>, <c>expect channel = 40</c>: exact channel status.</summary>
public sealed record ChannelStatusExpectation(ChannelStatus Status, ScriptLocation Location) : Expectation(Location);

/// <summary><c>expect residual 20</c>: residual count of the final status (or of one CCW inside a block).</summary>
public sealed record ResidualExpectation(int Residual, ScriptLocation Location) : Expectation(Location);

/// <summary><c>expect ended-at 2</c> / <c>expect ended-at LABEL</c>: index of the CCW the program ended on.</summary>
public sealed record EndedAtExpectation(int CcwIndex, ScriptLocation Location) : Expectation(Location);

/// <summary>How a byte expectation compares.</summary>
public enum BytesMatch
{
    /// <summary>The bytes equal the value exactly.</summary>
    Exact,
    /// <summary>The bytes start with the value.</summary>
    Prefix,
    /// <summary>No bytes at all (<c>none</c>): nothing transferred, or no unit check and so no sense.</summary>
    None,
    /// <summary>Exactly this many bytes (<c>length N</c>).</summary>
    Length,
    /// <summary>The byte at <see cref="BytesExpectation.Index"/> equals the value (<c>sense[3] = X'31'</c>).</summary>
    ByteAt,
}

/// <summary>What a byte expectation looks at.</summary>
public enum BytesSubject
{
    /// <summary>Data stored by an input CCW: the final CCW, or the CCW it follows inside a block.</summary>
    Data,
    /// <summary>Sense bytes read by the automatic Sense after a unit check.</summary>
    Sense,
}

/// <summary><c>expect data X'C1C2'</c>, <c>expect data prefix E'VOL1'</c>, <c>expect sense[3] = X'31'</c>, ...</summary>
public sealed record BytesExpectation(
    BytesSubject Subject,
    BytesMatch Match,
    byte[] Value,
    int Index,
    ScriptLocation Location) : Expectation(Location);
