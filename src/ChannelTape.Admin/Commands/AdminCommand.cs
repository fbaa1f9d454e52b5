using ChannelTape.Labels;

namespace ChannelTape.Admin.Commands;

/// <summary>What a command volume can ask the library to do (docs/admin-volumes.md "Command volumes").</summary>
public enum AdminCommandVerb
{
    /// <summary><c>SCRATCH volser</c>: return a private volume to scratch.</summary>
    Scratch,
    /// <summary><c>UNSCRATCH volser</c>: make a scratch volume private.</summary>
    Unscratch,
    /// <summary><c>MOVE volser pool</c>: move a volume to another pool.</summary>
    Move,
    /// <summary><c>READONLY volser</c>: protect a volume against writing.</summary>
    ReadOnly,
    /// <summary><c>READWRITE volser</c>: remove the protection.</summary>
    ReadWrite,
    /// <summary><c>QUERY volser</c>: report one volume; changes nothing.</summary>
    Query,
    /// <summary><c>ADD volser[-volser] pool</c>: add new volumes to a configured pool.</summary>
    Add,
}

/// <summary>One request record of a command volume, parsed.</summary>
/// <param name="Sequence">Record number of the request in the data set (1 = first).</param>
/// <param name="Text">The record as written, blank-trimmed (echoed in the response).</param>
/// <param name="Verb">What to do.</param>
/// <param name="VolumeSerial">The volume it applies to.</param>
/// <param name="Pool">Target pool of MOVE, else null.</param>
public sealed record AdminCommand(int Sequence, string Text, AdminCommandVerb Verb, string VolumeSerial, string? Pool)
{
    /// <summary>True for commands that change the catalog.</summary>
    public bool Changes => Verb != AdminCommandVerb.Query;
}

/// <summary>A request record that could not be parsed.</summary>
public sealed record AdminCommandError(int Sequence, string Text, string Message);

/// <summary>
/// Parses the request records a host wrote to a command volume. Records are text (EBCDIC decoded,
/// any LRECL): blank records and records starting with <c>*</c> are comments; every other record
/// is <c>VERB operands</c>, separated by blanks, upper case as MVS writes it.
/// </summary>
public static class AdminCommandParser
{
    private static readonly Dictionary<string, (AdminCommandVerb Verb, int Operands)> s_verbs = new(StringComparer.Ordinal)
    {
        ["SCRATCH"] = (AdminCommandVerb.Scratch, 1),
        ["UNSCRATCH"] = (AdminCommandVerb.Unscratch, 1),
        ["MOVE"] = (AdminCommandVerb.Move, 2),
        ["READONLY"] = (AdminCommandVerb.ReadOnly, 1),
        ["READWRITE"] = (AdminCommandVerb.ReadWrite, 1),
        ["QUERY"] = (AdminCommandVerb.Query, 1),
        ["ADD"] = (AdminCommandVerb.Add, 2),
    };

    public static (IReadOnlyList<AdminCommand> Commands, IReadOnlyList<AdminCommandError> Errors) Parse(IEnumerable<string> records)
    {
        var commands = new List<AdminCommand>();
        var errors = new List<AdminCommandError>();
        int sequence = 0;
        foreach (string raw in records)
        {
            sequence++;
            string text = raw.Trim();
            if (text.Length == 0 || text[0] == '*')
            {
                continue;
            }

            string[] words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (!s_verbs.TryGetValue(words[0], out var verb))
            {
                errors.Add(new AdminCommandError(sequence, text, $"unknown command {words[0]}; expected one of {string.Join(", ", s_verbs.Keys)}"));
                continue;
            }

            if (words.Length - 1 != verb.Operands)
            {
                errors.Add(new AdminCommandError(sequence, text, verb.Operands == 1
                    ? $"{words[0]} takes one volume serial"
                    : verb.Verb == AdminCommandVerb.Add
                        ? $"{words[0]} takes a volume serial or range (FIRST-LAST) and a pool name"
                        : $"{words[0]} takes a volume serial and a pool name"));
                continue;
            }

            if (verb.Verb == AdminCommandVerb.Add ? !words[1].Split('-').All(IsVolumeSerial) || words[1].Split('-').Length > 2 : !IsVolumeSerial(words[1]))
            {
                errors.Add(new AdminCommandError(sequence, text, $"'{words[1]}' is not a volume serial (1-6 characters A-Z 0-9 # @ $)"));
                continue;
            }

            commands.Add(new AdminCommand(sequence, text, verb.Verb, words[1], verb.Operands == 2 ? words[2] : null));
        }

        return (commands, errors);
    }

    /// <summary>Volume serial characters (docs/reference/labels-and-libraries.md §1, VOL1 offset 4), as the library validates them.</summary>
    public static bool IsVolumeSerial(string text) =>
        text.Length is >= 1 and <= VolumeSerial.Length && text.All(VolumeSerial.IsValidCharacter);
}
