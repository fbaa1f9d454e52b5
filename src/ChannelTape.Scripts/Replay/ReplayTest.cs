using ChannelTape.Channel;

namespace ChannelTape.Scripts.Replay;

/// <summary>
/// A test in the reference runner's format (tools/guest/README.md, "Test file format"):
/// one tape drive, its initial volume, and channel programs run one after the other.
/// </summary>
/// <param name="Name">Test name.</param>
/// <param name="DeviceType">Device type as written ("3490", "3480", "3420").</param>
/// <param name="DeviceNumber">Device number (default 0580).</param>
/// <param name="Tape">Initial volume.</param>
/// <param name="DeviceOptions">Extra words of the device statement (<c>ro</c>, <c>maxsizeK=</c>, ...).</param>
/// <param name="Programs">The channel programs, in order.</param>
/// <param name="BaseDirectory">Directory of the test file: relative paths are resolved against it.</param>
public sealed record ReplayTest(
    string Name,
    string DeviceType,
    ushort DeviceNumber,
    ReplayTape Tape,
    IReadOnlyList<string> DeviceOptions,
    IReadOnlyList<ReplayProgram> Programs,
    string BaseDirectory);

/// <summary>How the drive starts: unloaded, an empty volume, a copy of an image file, or generated blocks.</summary>
public abstract record ReplayTape
{
    /// <summary><c>"none"</c>: the drive is unloaded (device statement <c>*</c>).</summary>
    public sealed record None : ReplayTape;

    /// <summary><c>"empty"</c>: a 0-byte AWS file.</summary>
    public sealed record Empty : ReplayTape;

    /// <summary>A path (relative to the test file) of an image that is copied first.</summary>
    public sealed record File(string Path) : ReplayTape;

    /// <summary><c>{"blocks": [...]}</c>: an AWS image generated from block descriptions.</summary>
    public sealed record Generated(IReadOnlyList<byte[]?> Blocks) : ReplayTape;
}

/// <summary>One channel program of a test.</summary>
/// <param name="Index">Position in the test.</param>
/// <param name="Name">Program name.</param>
/// <param name="Ccws">The CCWs as written (before <c>repeat</c> expansion).</param>
/// <param name="Format">CCW format the CCWs are laid out in.</param>
/// <param name="OrbWord1">ORB word 1 (key, flags, LPM); its F bit decides how the channel reads the CCWs.</param>
/// <param name="Repeat">Times the program is started (stops early on UC, UX or channel status).</param>
/// <param name="AutoSense">Issue a SENSE after a unit check.</param>
/// <param name="SenseCount">Byte count of that SENSE (1-64).</param>
/// <param name="HostBefore">Console commands run before the program.</param>
public sealed record ReplayProgram(
    int Index,
    string Name,
    IReadOnlyList<ReplayCcw> Ccws,
    CcwFormat Format,
    uint OrbWord1,
    int Repeat,
    bool AutoSense,
    int SenseCount,
    IReadOnlyList<string> HostBefore);

/// <summary>One CCW as written in the test.</summary>
/// <param name="Command">Command code.</param>
/// <param name="Flags">Flag byte.</param>
/// <param name="Count">Byte count (default: length of the data, or of the pattern).</param>
/// <param name="Buffer">Initial contents of the data area: data then fill, or the pattern repeated; max(count, data, 1) bytes.</param>
/// <param name="HasData">True when data or a pattern was given (a count-0 CCW without data gets no data area).</param>
/// <param name="Repeat">This CCW N times in a row, sharing one data area.</param>
/// <param name="TicTarget">For a TIC: index (as written) of the CCW to transfer to.</param>
/// <param name="DataAddress">Data address used as is (no data area).</param>
public sealed record ReplayCcw(
    byte Command,
    CcwFlags Flags,
    int Count,
    byte[] Buffer,
    bool HasData,
    int Repeat,
    int? TicTarget,
    uint? DataAddress);

/// <summary>A test file that does not follow the format; the message says where.</summary>
public sealed class ReplayFormatException(string message) : Exception(message);
