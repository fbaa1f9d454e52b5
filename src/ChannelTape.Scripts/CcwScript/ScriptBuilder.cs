using ChannelTape.Channel;
using ChannelTape.Media;

namespace ChannelTape.Scripts.CcwScript;

/// <summary>
/// Second pass over the parsed statements: resolves counts, buffers, implied command chaining and
/// labels, and attaches each <c>expect</c> to the channel program (or CCW) it follows.
/// </summary>
internal sealed class ScriptBuilder
{
    /// <summary>Largest CCW byte count (16-bit count field).</summary>
    private const int MaxCount = ushort.MaxValue;

    /// <summary>Default byte count of the automatic Sense after a unit check (as the reference runner).</summary>
    private const int DefaultSenseCount = 32;

    private readonly string[] _lines;
    private ScriptError? _error;

    private ScriptBuilder(string source) => _lines = source.Split('\n');

    public static bool TryBuild(IReadOnlyList<Node> nodes, string source, out Script script, out ScriptError? error)
    {
        var builder = new ScriptBuilder(source);
        script = builder.Build(nodes)!;
        error = builder._error;
        return error is null;
    }

    private bool Fail(ScriptLocation location, string message)
    {
        _error ??= new ScriptError(location, message);
        return false;
    }

    private Script? Build(IReadOnlyList<Node> nodes)
    {
        DeviceDeclaration? device = null;
        VolumeSpec? tape = null;
        var steps = new List<ScriptStep>();
        ChannelProgramStep? lastProgram = null;
        var lastProgramExpectations = new List<Expectation>();

        void CloseProgram()
        {
            if (lastProgram is not null)
            {
                steps[^1] = lastProgram with { Expectations = lastProgramExpectations.ToList() };
                lastProgram = null;
                lastProgramExpectations.Clear();
            }
        }

        foreach (var node in nodes)
        {
            switch (node)
            {
                case DeviceNode d:
                    if (device is not null || tape is not null || steps.Count > 0)
                    {
                        Fail(d.Location, "'device' must be the first statement and appear once");
                        return null;
                    }

                    device = new DeviceDeclaration(d.Model, d.DeviceNumber, d.Location);
                    break;
                case TapeNode t:
                    if (tape is not null || steps.Count > 0)
                    {
                        Fail(t.Location, "'tape' (the volume loaded at the start) must come before the first program and appear once; use 'mount' later");
                        return null;
                    }

                    if (!CheckOptions(t.Volume))
                    {
                        return null;
                    }

                    tape = t.Volume;
                    break;
                case ExpectNode e:
                    if (lastProgram is null)
                    {
                        Fail(e.Location, "'expect' must follow a channel program (a CCW or a program block)");
                        return null;
                    }

                    var expectation = Resolve(e.Expectation, lastProgram.Ccws);
                    if (expectation is null)
                    {
                        return null;
                    }

                    lastProgramExpectations.Add(expectation);
                    break;
                case ProgramNode p:
                {
                    CloseProgram();
                    var program = BuildProgram(p, isBlock: true);
                    if (program is null)
                    {
                        return null;
                    }

                    steps.Add(program);
                    lastProgram = program;
                    break;
                }
                case CcwNode c:
                {
                    CloseProgram();
                    var program = BuildProgram(new ProgramNode(null, [], [c], c.Location), isBlock: false);
                    if (program is null)
                    {
                        return null;
                    }

                    steps.Add(program);
                    lastProgram = program;
                    break;
                }
                case LabelNode l:
                    Fail(l.Location, "labels belong inside a program block (program { ... })");
                    return null;
                case MountNode m:
                    if (!CheckOptions(m.Volume))
                    {
                        return null;
                    }

                    CloseProgram();
                    steps.Add(new MountStep(m.Volume, m.Location));
                    break;
                case UnloadNode u:
                    CloseProgram();
                    steps.Add(new UnloadStep(u.Location));
                    break;
                case WaitNode w:
                    CloseProgram();
                    steps.Add(new WaitStatusStep(w.Status, w.Timeout, w.Location));
                    break;
                default:
                    throw new InvalidOperationException($"unhandled script node {node.GetType().Name}");
            }
        }

        CloseProgram();
        return new Script(device ?? DeviceDeclaration.Default, tape ?? VolumeSpec.DefaultEmpty, steps);
    }

    /// <summary>Device-statement options are checked as the media layer will read them (tapedev.c option words).</summary>
    private bool CheckOptions(VolumeSpec volume)
    {
        if (volume.Kind == VolumeKind.None && volume.Options.Count > 0)
        {
            return Fail(volume.Location, "options belong to a volume; 'none' has no volume");
        }

        return TapeImageOptions.TryParse(volume.Options, out _, out var error) || Fail(volume.Location, error ?? "bad option");
    }

    private Expectation? Resolve(Expectation expectation, IReadOnlyList<ScriptCcw> ccws)
    {
        var text = TextAt(expectation.Location);
        if (expectation is EndedAtLabelExpectation byLabel)
        {
            for (var i = 0; i < ccws.Count; i++)
            {
                if (string.Equals(ccws[i].Label, byLabel.Label, StringComparison.OrdinalIgnoreCase))
                {
                    return new EndedAtExpectation(i, byLabel.Location) { Text = text };
                }
            }

            Fail(byLabel.Location, $"no label '{byLabel.Label}' in this program");
            return null;
        }

        if (expectation is EndedAtExpectation { CcwIndex: var index } && index >= ccws.Count)
        {
            Fail(expectation.Location, $"ended-at {index}: the program has {ccws.Count} CCW(s), numbered from 0");
            return null;
        }

        if (expectation is BytesExpectation { Match: BytesMatch.ByteAt, Subject: BytesSubject.Data })
        {
            Fail(expectation.Location, "data[n] is not supported; use expect data prefix ... or expect data ...");
            return null;
        }

        return expectation with { Text = text };
    }

    private ChannelProgramStep? BuildProgram(ProgramNode node, bool isBlock)
    {
        var format = CcwFormat.Format1;
        var autoSense = true;
        var senseCount = DefaultSenseCount;
        var repeat = 1;
        var suppressIncorrectLength = false;
        var seen = new HashSet<Type>();
        foreach (var option in node.Options)
        {
            if (!seen.Add(option.GetType()))
            {
                Fail(option.Location, "program option given twice");
                return null;
            }

            switch (option)
            {
                case FormatOption f: format = f.Format; break;
                case NoSenseOption: autoSense = false; break;
                case SenseCountOption s: senseCount = s.Count; break;
                case RepeatOption r: repeat = r.Times; break;
                case SuppressIncorrectLengthOption: suppressIncorrectLength = true; break;
            }
        }

        // Labels first, so that a TIC may transfer forward.
        var labels = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var ccwNodes = new List<(CcwNode Node, string? Label, List<Expectation> Expectations)>();
        string? pendingLabel = null;
        ScriptLocation pendingLabelLocation = default;
        foreach (var item in node.Items)
        {
            switch (item)
            {
                case LabelNode l:
                    if (pendingLabel is not null)
                    {
                        Fail(l.Location, $"two labels in a row ('{pendingLabel}' and '{l.Label}'); a CCW must follow a label");
                        return null;
                    }

                    if (!labels.TryAdd(l.Label, ccwNodes.Count))
                    {
                        Fail(l.Location, $"label '{l.Label}' defined twice");
                        return null;
                    }

                    pendingLabel = l.Label;
                    pendingLabelLocation = l.Location;
                    break;
                case CcwNode c:
                    ccwNodes.Add((c, pendingLabel, []));
                    pendingLabel = null;
                    break;
                case ExpectNode e:
                    if (ccwNodes.Count == 0 || pendingLabel is not null)
                    {
                        Fail(e.Location, "an 'expect' inside a program block must follow a CCW");
                        return null;
                    }

                    if (e.Expectation is not (ResidualExpectation or BytesExpectation { Subject: BytesSubject.Data, Match: not BytesMatch.ByteAt }))
                    {
                        Fail(e.Location, "inside a program block only 'expect data' and 'expect residual' (of the CCW before) are allowed; "
                            + "write status, channel, sense and ended-at expectations after the closing '}'");
                        return null;
                    }

                    ccwNodes[^1].Expectations.Add(e.Expectation with { Text = TextAt(e.Location) });
                    break;
                default:
                    Fail(item.Location, "not allowed inside a program block");
                    return null;
            }
        }

        if (pendingLabel is not null)
        {
            Fail(pendingLabelLocation, $"label '{pendingLabel}' is not followed by a CCW");
            return null;
        }

        if (ccwNodes.Count == 0)
        {
            Fail(node.Location, "a program needs at least one CCW");
            return null;
        }

        var ccws = new List<ScriptCcw>();
        for (var i = 0; i < ccwNodes.Count; i++)
        {
            var (ccwNode, label, expectations) = ccwNodes[i];
            var isLast = i == ccwNodes.Count - 1;
            var ccw = BuildCcw(ccwNode, label, expectations, labels, impliedChain: isBlock && !isLast, isLast);
            if (ccw is null)
            {
                return null;
            }

            ccws.Add(ccw);
        }

        var name = node.Name ?? string.Join("; ", ccws.Select(c => c.Text));
        return new ChannelProgramStep(name, ccws, format, autoSense, senseCount, repeat, [], node.Location)
        {
            SuppressIncorrectLength = suppressIncorrectLength,
        };
    }

    private ScriptCcw? BuildCcw(
        CcwNode node,
        string? label,
        List<Expectation> expectations,
        Dictionary<string, int> labels,
        bool impliedChain,
        bool isLast)
    {
        var text = TextAt(node.Location);
        if (node.TicLabel is { } target)
        {
            if (!labels.TryGetValue(target, out var index))
            {
                Fail(node.Location, $"TIC to unknown label '{target}'");
                return null;
            }

            // The channel ignores a TIC's flags and count (SA22-7201 "Transfer in Channel"); they are
            // kept so that a script can show that.
            var ticFlags = CcwFlags.None;
            foreach (var argument in node.Arguments)
            {
                if (argument is not FlagArgument flag)
                {
                    Fail(argument.Location, "TIC takes a label and optionally flags, nothing else");
                    return null;
                }

                ticFlags |= flag.Flag;
            }

            return new ScriptCcw(CommandNames.TransferInChannel, ticFlags, 0, [], index, label, text, expectations, node.Location);
        }

        var flags = CcwFlags.None;
        int? count = null;
        byte? fill = null;
        byte[]? patternFill = null;
        var data = new List<byte>();
        var hasData = false;
        foreach (var argument in node.Arguments)
        {
            switch (argument)
            {
                case CountArgument c:
                    if (count is not null)
                    {
                        Fail(c.Location, "byte count given twice");
                        return null;
                    }

                    if (c.Count > MaxCount)
                    {
                        Fail(c.Location, $"byte count {c.Count} is larger than {MaxCount}");
                        return null;
                    }

                    count = c.Count;
                    break;
                case FlagArgument f:
                    flags |= f.Flag;
                    break;
                case NoChainArgument:
                    impliedChain = false;
                    break;
                case DataArgument d:
                    if (patternFill is not null)
                    {
                        Fail(d.Location, "data after 'pattern' without 'len' (that pattern already fills the rest of the buffer)");
                        return null;
                    }

                    data.AddRange(d.Bytes);
                    hasData = true;
                    break;
                case PatternFillArgument p:
                    if (patternFill is not null || fill is not null)
                    {
                        Fail(p.Location, "only one 'pattern' (without len) or 'fill' per CCW");
                        return null;
                    }

                    if (p.Pattern.Length == 0)
                    {
                        Fail(p.Location, "empty pattern");
                        return null;
                    }

                    patternFill = p.Pattern;
                    break;
                case FillArgument f:
                    if (patternFill is not null || fill is not null)
                    {
                        Fail(f.Location, "only one 'pattern' (without len) or 'fill' per CCW");
                        return null;
                    }

                    fill = f.Fill;
                    break;
            }
        }

        if (count is null)
        {
            if (patternFill is not null)
            {
                Fail(node.Location, $"{node.Text} with 'pattern' but no 'len' needs a byte count");
                return null;
            }

            if (hasData)
            {
                count = data.Count;
            }
            else if (node.Command.DefaultCount is { } defaultCount)
            {
                count = defaultCount;
            }
            else
            {
                var what = node.Command.Kind == CommandDataKind.Output ? "data or a byte count, e.g. " + node.Text + " X'00'" : "a byte count, e.g. " + node.Text + " 80";
                Fail(node.Location, $"{node.Text} needs {what}");
                return null;
            }
        }

        if (data.Count > count)
        {
            Fail(node.Location, $"{data.Count} bytes of data do not fit the byte count {count}");
            return null;
        }

        if (data.Count > MaxCount)
        {
            Fail(node.Location, $"{data.Count} bytes of data: more than {MaxCount}");
            return null;
        }

        var buffer = new byte[count.Value];
        data.CopyTo(buffer);
        for (var i = data.Count; i < buffer.Length; i++)
        {
            buffer[i] = patternFill is not null ? patternFill[(i - data.Count) % patternFill.Length] : fill ?? 0;
        }

        if (isLast && (flags & (CcwFlags.ChainCommand | CcwFlags.ChainData)) != 0)
        {
            Fail(node.Location, "the last CCW of a program cannot chain (CC or CD): no CCW follows it");
            return null;
        }

        if (impliedChain && (flags & CcwFlags.ChainData) == 0)
        {
            flags |= CcwFlags.ChainCommand;
        }

        return new ScriptCcw(node.Command.Code, flags, count.Value, buffer, null, label, text, expectations, node.Location);
    }

    /// <summary>The source from <paramref name="location"/> to the end of its line, without a trailing comment.</summary>
    private string TextAt(ScriptLocation location)
    {
        if (location.Line < 1 || location.Line > _lines.Length)
        {
            return "";
        }

        var line = _lines[location.Line - 1].TrimEnd('\r');
        var start = Math.Min(Math.Max(location.Column - 1, 0), line.Length);
        var inQuote = '\0';
        var end = line.Length;
        for (var i = start; i < line.Length; i++)
        {
            var c = line[i];
            if (inQuote != '\0')
            {
                if (c == inQuote)
                {
                    inQuote = '\0';
                }
            }
            else if (c is '\'' or '"')
            {
                inQuote = c;
            }
            else if (c is '#' or '*' || (c == '/' && i + 1 < line.Length && line[i + 1] == '/'))
            {
                end = i;
                break;
            }
        }

        return line[start..end].Trim();
    }
}
