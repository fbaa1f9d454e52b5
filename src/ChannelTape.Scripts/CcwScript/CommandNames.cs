using ChannelTape.Channel;

namespace ChannelTape.Scripts.CcwScript;

/// <summary>How a command moves data, which decides its default byte count.</summary>
public enum CommandDataKind
{
    /// <summary>Control or immediate command without data: default count 1 (a count of 0 is a program check with format-0 CCWs).</summary>
    Control,
    /// <summary>Output command: the data written in the script is the data sent; count defaults to its length.</summary>
    Output,
    /// <summary>Input command: needs a count, or has a fixed default (Sense ID 7, RDC 64, ...).</summary>
    Input,
}

/// <summary>A named CCW command: the names a script may use, its code and default count.</summary>
/// <param name="Names">Names accepted, the first is canonical.</param>
/// <param name="Code">Command code (docs/reference/hercules-tape.md §1.2).</param>
/// <param name="Kind">Data direction.</param>
/// <param name="DefaultCount">Count used when the script gives none and no data; null = a count or data is required.</param>
public sealed record CommandName(string[] Names, byte Code, CommandDataKind Kind, int? DefaultCount);

/// <summary>
/// The command names of the CCW script language, from the command table of docs/reference/hercules-tape.md §1.2
/// (Hercules <c>tapeccws.c</c>). Any other code is written <c>CCW X'hh'</c>.
/// </summary>
public static class CommandNames
{
    /// <summary>Transfer in Channel.</summary>
    public const byte TransferInChannel = 0x08;

    public static IReadOnlyList<CommandName> All { get; } =
    [
        new(["WRITE"], 0x01, CommandDataKind.Output, null),
        new(["READ"], 0x02, CommandDataKind.Input, null),
        new(["NOP", "NO-OP"], 0x03, CommandDataKind.Control, 1),
        new(["SENSE"], 0x04, CommandDataKind.Input, 32),
        new(["REWIND", "REW"], 0x07, CommandDataKind.Control, 1),
        new(["RBACK", "READ-BACKWARD"], 0x0C, CommandDataKind.Input, null),
        new(["RUN", "REWIND-UNLOAD"], 0x0F, CommandDataKind.Control, 1),
        new(["READ-BUFFER"], 0x12, CommandDataKind.Input, null),
        new(["ERG", "ERASE-GAP"], 0x17, CommandDataKind.Control, 1),
        new(["WTM", "WRITE-TAPE-MARK"], 0x1F, CommandDataKind.Control, 1),
        new(["READ-BLOCK-ID", "RBID"], 0x22, CommandDataKind.Input, 8),
        new(["RBL", "READ-BUFFERED-LOG"], 0x24, CommandDataKind.Input, 32),
        new(["BSB", "BACKSPACE-BLOCK"], 0x27, CommandDataKind.Control, 1),
        new(["BSF", "BACKSPACE-FILE"], 0x2F, CommandDataKind.Control, 1),
        new(["SENSE-PGID", "SENSE-PATH-GROUP-ID"], 0x34, CommandDataKind.Input, 12),
        new(["FSB", "FORWARD-SPACE-BLOCK"], 0x37, CommandDataKind.Control, 1),
        new(["RSD", "READ-SUBSYSTEM-DATA"], 0x3E, CommandDataKind.Input, 10),
        new(["FSF", "FORWARD-SPACE-FILE"], 0x3F, CommandDataKind.Control, 1),
        new(["SYNC", "SYNCHRONIZE"], 0x43, CommandDataKind.Control, 1),
        new(["SET-DIAGNOSE"], 0x4B, CommandDataKind.Output, null),
        new(["RMID", "READ-MESSAGE-ID"], 0x4E, CommandDataKind.Input, 10),
        new(["LOCATE", "LOCATE-BLOCK"], 0x4F, CommandDataKind.Output, null),
        new(["SUSPEND-MULTIPATH"], 0x5B, CommandDataKind.Control, 1),
        new(["RDC", "READ-DEVICE-CHARACTERISTICS"], 0x64, CommandDataKind.Input, 64),
        new(["SET-INTERFACE-ID"], 0x73, CommandDataKind.Control, 1),
        new(["PSF", "PERFORM-SUBSYSTEM-FUNCTION"], 0x77, CommandDataKind.Output, null),
        new(["DSE", "DATA-SECURITY-ERASE"], 0x97, CommandDataKind.Control, 1),
        new(["LOAD-DISPLAY", "LD"], 0x9F, CommandDataKind.Output, null),
        new(["SET-PGID", "SET-PATH-GROUP-ID"], 0xAF, CommandDataKind.Output, null),
        new(["ASSIGN"], 0xB7, CommandDataKind.Output, null),
        new(["SET-TWI", "SET-TAPE-WRITE-IMMEDIATE"], 0xC3, CommandDataKind.Control, 1),
        new(["UNASSIGN"], 0xC7, CommandDataKind.Output, null),
        new(["MODE-SET"], 0xDB, CommandDataKind.Output, null),
        new(["CONTROL-ACCESS"], 0xE3, CommandDataKind.Output, null),
        new(["SENSE-ID"], 0xE4, CommandDataKind.Input, 7),
        new(["RCD", "READ-CONFIGURATION-DATA"], 0xFA, CommandDataKind.Input, 160),
    ];

    private static readonly Dictionary<string, CommandName> s_byName = All
        .SelectMany(c => c.Names.Select(n => (n, c)))
        .ToDictionary(p => p.n, p => p.c, StringComparer.OrdinalIgnoreCase);

    public static bool TryGet(string name, out CommandName command) => s_byName.TryGetValue(name, out command!);

    /// <summary>
    /// The command for a raw code (<c>CCW X'hh'</c>): a named one if the code has a name, else by the
    /// architecture's low bits (<see cref="CommandType"/>).
    /// </summary>
    public static CommandName ForCode(byte code)
    {
        foreach (var command in All)
        {
            if (command.Code == code)
            {
                return command;
            }
        }

        var name = $"CCW X'{code:X2}'";
        if (CommandType.IsInput(code))
        {
            return new CommandName([name], code, CommandDataKind.Input, null);
        }

        return CommandType.IsWrite(code)
            ? new CommandName([name], code, CommandDataKind.Output, null)
            : new CommandName([name], code, CommandDataKind.Control, 1);
    }
}
