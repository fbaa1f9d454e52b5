using System.Globalization;
using System.Text;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Text;
using Pidgin;
using Pidgin.Comment;
using static Pidgin.Parser;
using static Pidgin.Parser<char>;

namespace ChannelTape.Scripts.CcwScript;

/// <summary>An error in a script: where, and what was expected there.</summary>
public sealed record ScriptError(ScriptLocation Location, string Message)
{
    public override string ToString() => $"{Location}: {Message}";
}

/// <summary>
/// Parses the CCW script language (docs/ccw-scripts.md) with Pidgin. Keywords are case-insensitive;
/// white space and line ends separate words; <c>*</c>, <c>#</c> and <c>//</c> start a comment that
/// runs to the end of the line.
/// </summary>
public static class ScriptParser
{
    /// <summary>Parses and checks a script; on failure <paramref name="error"/> names line, column and what was expected.</summary>
    public static bool TryParse(string source, out Script script, out ScriptError? error)
    {
        ArgumentNullException.ThrowIfNull(source);
        script = null!;
        var result = s_script.Parse(source, s_configuration);
        if (!result.Success)
        {
            error = Describe(result.Error!);
            return false;
        }

        return ScriptBuilder.TryBuild(result.Value, source, out script, out error);
    }

    // ---- lexical level -------------------------------------------------------------------------

    /// <summary>Every character is one column (Pidgin's default puts tabs on 4-column stops).</summary>
    private static readonly Pidgin.Configuration.IConfiguration<char> s_configuration =
        Pidgin.Configuration.Configuration.WithPosCalculator(Pidgin.Configuration.Configuration.Default<char>(), c => c == '\n' ? new SourcePosDelta(1, 0) : new SourcePosDelta(0, 1));

    private static readonly Parser<char, Unit> s_skip = OneOf(
            Whitespace.SkipAtLeastOnce(),
            CommentParser.SkipLineComment(Char('#')),
            CommentParser.SkipLineComment(Char('*')),
            CommentParser.SkipLineComment(Try(String("//"))))
        .SkipMany();

    private static Parser<char, T> Tok<T>(Parser<char, T> parser) => parser.Before(s_skip);

    private static readonly Parser<char, ScriptLocation> s_pos =
        CurrentPos.Select(p => new ScriptLocation(p.Line, p.Col));

    /// <summary>A word: a letter, then letters, digits, '-' or '_' (no white space after it consumed).</summary>
    private static readonly Parser<char, string> s_rawWord =
        Map((first, rest) => first + rest,
            Token(char.IsAsciiLetter).Select(c => c.ToString()),
            Token(c => char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_').ManyString());

    private static readonly Parser<char, string> s_word = Tok(s_rawWord).Labelled("a word");

    /// <summary>
    /// The word at the current position and the character right after it, without consuming anything
    /// (Nothing if no word starts here). Keywords are matched through it, so that a failed keyword never
    /// leaves a parse error further to the right than where the word starts.
    /// </summary>
    private static readonly Parser<char, Maybe<(string Word, char Next)>> s_peek =
        Lookahead(Map((w, n) => (w, n.HasValue ? n.Value : '\0'), s_rawWord, Any.Optional())).Optional();

    /// <summary>Marks a message that carries its own position (see <see cref="FailAt{T}"/>).</summary>
    private const char PositionMark = '\u0001';

    /// <summary>
    /// Fails with <paramref name="message"/> reported at <paramref name="at"/>. Used after the offending
    /// text has been consumed: a failure that consumed input is never merged away by alternatives that
    /// were tried at the same place, so its message always reaches the user.
    /// </summary>
    private static Parser<char, T> FailAt<T>(ScriptLocation at, string message) =>
        Fail<T>($"{PositionMark}{at.Line}:{at.Column}{PositionMark}{message}");

    /// <summary><paramref name="parser"/> with the position where it starts.</summary>
    private static Parser<char, (ScriptLocation Pos, T Value)> At<T>(Parser<char, T> parser) =>
        Map((pos, value) => (pos, value), s_pos, parser);

    /// <summary>Fails without consuming input, reporting <paramref name="label"/> as what was expected.</summary>
    private static Parser<char, T> Expected<T>(string label) =>
        Token(static _ => false).Labelled(label).Then(Fail<T>(label));

    /// <summary>A keyword, case-insensitive, as a whole word; fails without consuming anything otherwise.</summary>
    private static Parser<char, Unit> Keyword(string keyword) =>
        s_peek.Bind(p => p.HasValue && p.Value.Word.Equals(keyword, StringComparison.OrdinalIgnoreCase)
            ? s_word.IgnoreResult()
            : Expected<Unit>($"'{keyword}'"));

    /// <summary>One of the words in <paramref name="table"/> (case-insensitive) and its value.</summary>
    private static Parser<char, T> OneOfWords<T>(IReadOnlyDictionary<string, T> table, string label) =>
        s_peek.Bind(p => p.HasValue && table.TryGetValue(p.Value.Word, out var value)
            ? s_word.ThenReturn(value)
            : Expected<T>(label));

    private static Parser<char, char> Symbol(char c) => Tok(Char(c)).Labelled($"'{c}'");

    private static readonly Parser<char, int> s_number =
        Tok(Digit.AtLeastOnceString())
            .Assert(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out _), "number too large")
            .Select(s => int.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture))
            .Labelled("a number");

    /// <summary>A number from <paramref name="min"/> to <paramref name="max"/>; otherwise <paramref name="message"/> at the number.</summary>
    private static Parser<char, int> NumberIn(int min, int max, string message) =>
        At(s_number).Bind(n => n.Value >= min && n.Value <= max ? Return(n.Value) : FailAt<int>(n.Pos, message));

    private static readonly Parser<char, string> s_hexDigits =
        Tok(Token(char.IsAsciiHexDigit).AtLeastOnceString()).Labelled("hex digits");

    /// <summary>The body of a quoted literal: <c>'...'</c>, a doubled quote stands for one quote.</summary>
    private static readonly Parser<char, string> s_quoted =
        Char('\'')
            .Then(OneOf(Try(String("''")).ThenReturn('\''), AnyCharExcept('\'', '\r', '\n')).ManyString())
            .Before(Char('\'').Labelled("closing quote"));

    private static readonly Parser<char, string> s_doubleQuoted =
        Tok(Char('"')
            .Then(AnyCharExcept('"', '\r', '\n').ManyString())
            .Before(Char('"').Labelled("closing '\"'")))
        .Labelled("a quoted string");

    /// <summary><c>X'C1C2'</c> (blanks and '_' inside allowed), <c>E'TEXT'</c> (EBCDIC cp037), <c>A'text'</c> (ASCII/Latin-1).</summary>
    private static readonly Parser<char, byte[]> s_literal =
        s_peek.Bind(p => !p.HasValue || p.Value.Next != '\''
            ? Expected<byte[]>("X'hex', E'text' or A'text'")
            : p.Value.Word.ToUpperInvariant() switch
            {
                "X" => At(Tok(s_rawWord.Then(s_quoted))).Bind(b => HexError(b.Value) is { } message
                    ? FailAt<byte[]>(b.Pos, message)
                    : Return(ParseHex(b.Value))),
                "E" => At(Tok(s_rawWord.Then(s_quoted))).Bind(b => b.Value.Any(c => c > 0xFF)
                    ? FailAt<byte[]>(b.Pos, "E'...' text must be characters of code page 037 (Latin-1)")
                    : Return(Ebcdic.GetBytes(b.Value))),
                "A" => At(Tok(s_rawWord.Then(s_quoted))).Bind(b => b.Value.Any(c => c > 0xFF)
                    ? FailAt<byte[]>(b.Pos, "A'...' text must be ASCII/Latin-1")
                    : Return(Encoding.Latin1.GetBytes(b.Value))),
                _ => At(Tok(s_rawWord.Then(s_quoted))).Bind(b => FailAt<byte[]>(b.Pos,
                    $"unknown literal prefix {p.Value.Word}'; expected X'hex', E'EBCDIC text' or A'ASCII text'")),
            });

    private static string? HexError(string body)
    {
        var digits = 0;
        foreach (var c in body)
        {
            if (char.IsAsciiHexDigit(c))
            {
                digits++;
            }
            else if (c is not (' ' or '_'))
            {
                return $"'{c}' in a hex literal; expected hex digits 0-9 A-F";
            }
        }

        return digits % 2 == 0 ? null : "odd number of hex digits in X'...'";
    }

    private static byte[] ParseHex(string body) =>
        Convert.FromHexString(body.Replace(" ", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal));

    /// <summary>Data items: literals (appended) and <c>pattern LIT len N</c>.</summary>
    private static readonly Parser<char, byte[]> s_patternWithLength =
        Keyword("pattern").Then(Map((pattern, length) => Repeat(pattern, length), s_literal, Keyword("len").Then(s_number)));

    private static byte[] Repeat(byte[] pattern, int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length && pattern.Length > 0; i++)
        {
            bytes[i] = pattern[i % pattern.Length];
        }

        return bytes;
    }

    /// <summary>One or more data items concatenated (for expectations and volume blocks).</summary>
    private static readonly Parser<char, byte[]> s_data =
        OneOf(s_literal, Try(s_patternWithLength))
            .AtLeastOnce()
            .Select(parts => parts.SelectMany(p => p).ToArray())
            .Labelled("data (X'hex', E'text', A'text' or pattern X'..' len N)");

    // ---- CCWs ----------------------------------------------------------------------------------

    private static readonly Dictionary<string, CcwFlags> s_flags = new(StringComparer.OrdinalIgnoreCase)
    {
        ["CD"] = CcwFlags.ChainData,
        ["CC"] = CcwFlags.ChainCommand,
        ["SLI"] = CcwFlags.SuppressLength,
        ["SKIP"] = CcwFlags.Skip,
        ["PCI"] = CcwFlags.ProgramControlledInterruption,
        ["IDA"] = CcwFlags.IndirectData,
    };

    private static readonly Parser<char, CcwArgument> s_ccwArgument = OneOf(
        Map((pos, n) => (CcwArgument)new CountArgument(n, pos), s_pos, s_number),
        Map((pos, bytes) => (CcwArgument)new DataArgument(bytes, pos), s_pos, s_literal),
        Map((pos, pattern, length) => length.HasValue
                ? (CcwArgument)new DataArgument(Repeat(pattern, length.Value), pos)
                : new PatternFillArgument(pattern, pos),
            s_pos, Keyword("pattern").Then(s_literal), Keyword("len").Then(s_number).Optional()),
        Map((pos, fill) => (CcwArgument)new FillArgument(fill, pos),
            s_pos, Keyword("fill").Then(OneByte("fill takes one byte, e.g. fill X'40'"))),
        Map((pos, n) => (CcwArgument)new CountArgument(n, pos), s_pos, Keyword("count").Then(s_number)),
        Map((pos, _) => (CcwArgument)new NoChainArgument(pos), s_pos, Keyword("nochain")),
        Map((pos, flag) => (CcwArgument)new FlagArgument(flag, pos), s_pos, OneOfWords(s_flags, "a flag (CD CC SLI SKIP PCI IDA)")));

    private static readonly Parser<char, byte> s_rawCode =
        OneByte("a command code is one byte, e.g. CCW X'FF'");

    /// <summary>A literal of exactly one byte.</summary>
    private static Parser<char, byte> OneByte(string message) =>
        At(s_literal).Bind(b => b.Value.Length == 1 ? Return(b.Value[0]) : FailAt<byte>(b.Pos, message));

    /// <summary>A CCW: a command name with arguments, <c>CCW X'hh'</c> with arguments, or <c>TIC label</c>.</summary>
    private static Parser<char, Node> CcwAfterName(string word, ScriptLocation pos)
    {
        if (word.Equals("TIC", StringComparison.OrdinalIgnoreCase))
        {
            return s_word.Then(Map((label, args) =>
                    (Node)new CcwNode(CommandNames.ForCode(CommandNames.TransferInChannel), args.ToList(), label, "TIC " + label, pos),
                s_word.Labelled("a label"), s_ccwArgument.Many()));
        }

        if (word.Equals("CCW", StringComparison.OrdinalIgnoreCase))
        {
            return s_word.Then(Map((code, args) =>
                    (Node)new CcwNode(CommandNames.ForCode(code), args.ToList(), null, $"CCW X'{code:X2}'", pos),
                s_rawCode.Labelled("a command code X'hh'"), s_ccwArgument.Many()));
        }

        CommandNames.TryGet(word, out var command);
        return s_word.Then(s_ccwArgument.Many(), (_, args) =>
            (Node)new CcwNode(command, args.ToList(), null, command.Names[0], pos));
    }

    // ---- expectations ----------------------------------------------------------------------------

    private static readonly Dictionary<string, UnitStatus> s_unitStatusNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ATTN"] = UnitStatus.Attention,
        ["SM"] = UnitStatus.StatusModifier,
        ["CUE"] = UnitStatus.ControlUnitEnd,
        ["BUSY"] = UnitStatus.Busy,
        ["CE"] = UnitStatus.ChannelEnd,
        ["DE"] = UnitStatus.DeviceEnd,
        ["UC"] = UnitStatus.UnitCheck,
        ["UX"] = UnitStatus.UnitException,
    };

    private static readonly Dictionary<string, ChannelStatus> s_channelStatusNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["PCI"] = ChannelStatus.ProgramControlledInterruption,
        ["IL"] = ChannelStatus.IncorrectLength,
        ["PGM"] = ChannelStatus.ProgramCheck,
        ["PROT"] = ChannelStatus.ProtectionCheck,
        ["CDC"] = ChannelStatus.ChannelDataCheck,
        ["CCC"] = ChannelStatus.ChannelControlCheck,
        ["IFCC"] = ChannelStatus.InterfaceControlCheck,
        ["CHC"] = ChannelStatus.ChainingCheck,
    };

    private static readonly Parser<char, byte> s_hexByte =
        s_hexDigits.Assert(h => h.Length <= 2, "one byte, two hex digits").Select(h => Convert.ToByte(h, 16));

    /// <summary><c>= 0C</c>, <c>= X'0C'</c>, <c>none</c>, or status names.</summary>
    private static Parser<char, byte> StatusValue<TFlags>(Dictionary<string, TFlags> names, string what)
        where TFlags : struct, Enum
    {
        var byName = OneOfWords(names, $"{what} names ({string.Join(' ', names.Keys)})")
            .Select(v => Convert.ToByte(v, CultureInfo.InvariantCulture))
            .AtLeastOnce()
            .Select(all => all.Aggregate((byte)0, (a, b) => (byte)(a | b)));
        // Labels on the alternatives, not on the whole: an error after '=' must say what follows '='.
        return OneOf(
            Symbol('=').Then(OneOf(
                OneByte("a status is one byte, e.g. X'0C'"),
                s_hexByte).Labelled("a status byte (hex, e.g. 0C)")),
            Keyword("none").ThenReturn((byte)0),
            byName);
    }

    private static Parser<char, Expectation> BytesExpectationParser(BytesSubject subject, ScriptLocation pos)
    {
        var exactOrPrefix = Map((prefix, data) =>
                (Expectation)new BytesExpectation(subject, prefix.HasValue ? BytesMatch.Prefix : BytesMatch.Exact, data, 0, pos) ,
            Keyword("prefix").Optional(), s_data);
        var none = Keyword("none").ThenReturn((Expectation)new BytesExpectation(subject, BytesMatch.None, [], 0, pos) );
        var length = Keyword("length").Then(s_number).Select(n =>
            (Expectation)new BytesExpectation(subject, BytesMatch.Length, [], n, pos) );
        var byteAt = Symbol('[').Then(s_number).Before(Symbol(']')).Before(Symbol('=')).Then(
            OneByte("one byte, e.g. X'31'").Select(b => new[] { b }),
            (index, value) => (Expectation)new BytesExpectation(subject, BytesMatch.ByteAt, value, index, pos) );
        return OneOf(byteAt, none, length, exactOrPrefix);
    }

    private static Parser<char, Node> ExpectParser(ScriptLocation pos) =>
        Keyword("expect").Then(At(s_word.Labelled("status, channel, residual, data, sense or ended-at"))).Bind(ps =>
        {
            var subject = ps.Value;
            Parser<char, Expectation>? body = subject.ToLowerInvariant() switch
            {
                "status" => StatusValue(s_unitStatusNames, "unit status").Select(b =>
                    (Expectation)new UnitStatusExpectation((UnitStatus)b, pos) ),
                "channel" => StatusValue(s_channelStatusNames, "channel status").Select(b =>
                    (Expectation)new ChannelStatusExpectation((ChannelStatus)b, pos) ),
                "residual" => s_number.Select(n => (Expectation)new ResidualExpectation(n, pos) ),
                "ended-at" => OneOf(
                    s_number.Select(n => (Expectation)new EndedAtExpectation(n, pos) ),
                    s_word.Select(l => (Expectation)new EndedAtLabelExpectation(l, pos) )).Labelled("a CCW index (from 0) or a label"),
                "data" => BytesExpectationParser(BytesSubject.Data, pos),
                "sense" => BytesExpectationParser(BytesSubject.Sense, pos),
                _ => null,
            };
            if (body is null)
            {
                return FailAt<Node>(ps.Pos, $"'{subject}' cannot be expected; expected status, channel, residual, data, sense or ended-at");
            }

            return body.Select(e => (Node)new ExpectNode(e));
        });

    // ---- volumes, host actions ------------------------------------------------------------------

    private static readonly Dictionary<string, string> s_optionWords = new[]
    {
        "ro", "noring", "rw", "ring", "awstape", "readonly", "compress", "idrc", "strictsize", "method", "level",
        "chunksize", "maxsize", "maxsizeK", "maxsizeM", "eotmargin",
    }.ToDictionary(w => w, w => w, StringComparer.OrdinalIgnoreCase);

    /// <summary>Hercules device-statement option words: <c>ro</c>, <c>maxsizeK=200</c>, ...</summary>
    private static readonly Parser<char, string> s_option =
        Tok(Map((key, value) => value.HasValue ? key + "=" + value.Value : key,
                s_peek.Bind(p => p.HasValue && s_optionWords.TryGetValue(p.Value.Word, out var key)
                    ? s_rawWord.ThenReturn(key)
                    : Expected<string>("an option (ro, maxsizeK=n, eotmargin=n, ...)")),
                Char('=').Then(Token(char.IsAsciiLetterOrDigit).AtLeastOnceString().Labelled("an option value")).Optional()))
            .Labelled("an option (ro, maxsizeK=n, eotmargin=n, ...)");

    private static readonly Parser<char, VolumeBlock> s_volumeBlock = OneOf(
        Map((pos, _) => new VolumeBlock(null, pos), s_pos, Keyword("TM")),
        Map((pos, data) => new VolumeBlock(data, pos), s_pos, Keyword("block").Then(s_data)));


    private static readonly Parser<char, VolumeSpec> s_volume =
        s_pos.Then(OneOf(
                Keyword("none").Select(_ => (VolumeKind.None, (string?)null, (IReadOnlyList<VolumeBlock>)[])),
                Keyword("empty").Select(_ => (VolumeKind.Empty, (string?)null, (IReadOnlyList<VolumeBlock>)[])),
                s_doubleQuoted.Select(p => (VolumeKind.File, (string?)p, (IReadOnlyList<VolumeBlock>)[])),
                Keyword("blocks").Then(s_volumeBlock.Many().Between(Symbol('{'), Symbol('}').Labelled("'TM', 'block DATA' or '}'")))
                    .Select(b => (VolumeKind.Blocks, (string?)null, (IReadOnlyList<VolumeBlock>)b.ToList()))),
            (pos, v) => (pos, v))
        .Then(s_option.Many(), (pv, options) =>
            new VolumeSpec(pv.v.Item1, pv.v.Item2, pv.v.Item3, options.ToList(), pv.pos));

    private static readonly Parser<char, TimeSpan> s_duration =
        Tok(Map((n, unit) => unit.ToLowerInvariant() == "ms" ? TimeSpan.FromMilliseconds(n) : TimeSpan.FromSeconds(n),
                Digit.AtLeastOnceString().Select(s => double.Parse(s, CultureInfo.InvariantCulture)),
                OneOf(Try(CIString("ms")), CIString("s")).Labelled("'s' or 'ms'")))
            .Labelled("a duration (2s, 500ms)");

    private static Parser<char, Node> WaitParser(ScriptLocation pos) =>
        Keyword("wait").Then(OneOf(
                Keyword("device-end").ThenReturn(UnitStatus.DeviceEnd),
                Keyword("attention").ThenReturn(UnitStatus.Attention)).Labelled("device-end or attention"))
            .Then(Keyword("timeout").Then(s_duration).Optional(), (status, timeout) =>
                (Node)new WaitNode(status, timeout.HasValue ? timeout.Value : WaitStatusStep.DefaultTimeout, pos));

    private static readonly Parser<char, TapeModel> s_model =
        At(Tok(Digit.AtLeastOnceString()).Labelled("a model (3420, 3480 or 3490)")).Bind(m => m.Value switch
        {
            "3420" => Return(TapeModel.Ibm3420),
            "3480" => Return(TapeModel.Ibm3480),
            "3490" => Return(TapeModel.Ibm3490),
            _ => FailAt<TapeModel>(m.Pos, $"model {m.Value} is not emulated; expected 3420, 3480 or 3490"),
        });

    private static readonly Parser<char, ushort> s_deviceNumber =
        At(s_hexDigits.Labelled("a device number (hex, e.g. 0580)")).Bind(h => h.Value.Length <= 4
            ? Return(Convert.ToUInt16(h.Value, 16))
            : FailAt<ushort>(h.Pos, "a device number has at most 4 hex digits"));

    private static Parser<char, Node> DeviceParser(ScriptLocation pos) =>
        Keyword("device").Then(Map((model, devnum) => (Node)new DeviceNode(model, devnum.HasValue ? devnum.Value : (ushort)0x0580, pos),
            s_model, Keyword("at").Then(s_deviceNumber).Optional()));

    // ---- programs, statements ---------------------------------------------------------------

    private static readonly Parser<char, ProgramOption> s_programOption = OneOf(
        Map((pos, f) => (ProgramOption)new FormatOption(f, pos), s_pos,
            Keyword("format").Then(NumberIn(0, 1, "CCW format 0 or 1"))
                .Select(n => n == 0 ? CcwFormat.Format0 : CcwFormat.Format1)),
        Map((pos, _) => (ProgramOption)new NoSenseOption(pos), s_pos, Keyword("nosense")),
        Map((pos, n) => (ProgramOption)new SenseCountOption(n, pos), s_pos,
            Keyword("sense-count").Then(NumberIn(1, 64, "a sense count of 1 to 64"))),
        Map((pos, n) => (ProgramOption)new RepeatOption(n, pos), s_pos,
            Keyword("repeat").Then(NumberIn(1, int.MaxValue, "repeat at least 1 time"))),
        Map((pos, _) => (ProgramOption)new SuppressIncorrectLengthOption(pos), s_pos, Keyword("suppress-il")));

    private static readonly Parser<char, Node> s_blockItem =
        s_pos.Then(s_peek, (pos, peek) => (pos, peek)).Bind(pw =>
        {
            var (pos, peek) = pw;
            if (!peek.HasValue)
            {
                return Expected<Node>("a command, a label, expect or '}'");
            }

            var (word, next) = peek.Value;
            if (word.Equals("expect", StringComparison.OrdinalIgnoreCase))
            {
                return ExpectParser(pos);
            }

            if (word.Equals("TIC", StringComparison.OrdinalIgnoreCase) || word.Equals("CCW", StringComparison.OrdinalIgnoreCase)
                || CommandNames.TryGet(word, out _))
            {
                return CcwAfterName(word, pos);
            }

            return next == ':'
                ? s_rawWord.Before(Char(':')).Before(s_skip).Select(label => (Node)new LabelNode(label, pos))
                : s_word.Then(FailAt<Node>(pos, $"'{word}' is not a command; expected a command name, CCW X'hh', TIC, LABEL:, expect or '}}'"));
        });

    private static Parser<char, Node> ProgramParser(ScriptLocation pos) =>
        Keyword("program").Then(Map((name, options, items) => (Node)new ProgramNode(name.HasValue ? name.Value : null, options.ToList(), items.ToList(), pos),
            s_doubleQuoted.Optional(),
            s_programOption.Many(),
            Symbol('{').Labelled("'{' or a program option (format, nosense, sense-count, repeat, suppress-il)")
                .Then(s_blockItem.Many())
                .Before(Symbol('}').Labelled("a command, expect or '}'"))));

    private static readonly Parser<char, Node> s_statement =
        s_pos.Then(s_peek, (pos, peek) => (pos, peek)).Bind(pw =>
        {
            var (pos, peek) = pw;
            if (!peek.HasValue)
            {
                return Expected<Node>("a statement or a command");
            }

            var (word, next) = peek.Value;
            switch (word.ToLowerInvariant())
            {
                case "device":
                    return DeviceParser(pos);
                case "tape":
                    return Keyword("tape").Then(s_volume).Select(v => (Node)new TapeNode(v, pos));
                case "mount":
                    return Keyword("mount").Then(s_volume).Select(v => (Node)new MountNode(v, pos));
                case "unload":
                    return Keyword("unload").ThenReturn((Node)new UnloadNode(pos));
                case "wait":
                    return WaitParser(pos);
                case "program":
                    return ProgramParser(pos);
                case "expect":
                    return ExpectParser(pos);
            }

            if (word.Equals("TIC", StringComparison.OrdinalIgnoreCase) || word.Equals("CCW", StringComparison.OrdinalIgnoreCase)
                || CommandNames.TryGet(word, out _))
            {
                return CcwAfterName(word, pos);
            }

            return next == '\''
                ? s_literal.Then(FailAt<Node>(pos, "data must follow a command (e.g. WRITE X'C1C2')"))
                : s_word.Then(FailAt<Node>(pos, $"'{word}' is not a statement or command; expected device, tape, program, a command name, CCW X'hh', expect, wait, mount or unload"));
        });

    private static readonly Parser<char, IReadOnlyList<Node>> s_script =
        s_skip.Then(s_statement.Until(End))
            .Select(nodes => (IReadOnlyList<Node>)nodes.ToList());

    // ---- error messages ---------------------------------------------------------------------

    private static ScriptError Describe(ParseError<char> error)
    {
        var location = new ScriptLocation(error.ErrorPos.Line, error.ErrorPos.Col);
        var customMessage = error.Message;
        if (customMessage is [PositionMark, ..] && customMessage.IndexOf(PositionMark, 1) is var end and > 0)
        {
            var position = customMessage[1..end].Split(':');
            location = new ScriptLocation(int.Parse(position[0], CultureInfo.InvariantCulture), int.Parse(position[1], CultureInfo.InvariantCulture));
            customMessage = customMessage[(end + 1)..];
        }

        var found = error.EOF ? "end of script" : error.Unexpected.HasValue ? Show(error.Unexpected.Value) : null;
        var expected = error.Expected
            .Select(e => e.IsEof ? "end of script" : e.Label ?? $"'{new string(e.Tokens.ToArray())}'")
            .Distinct()
            .ToList();
        var text = new StringBuilder();
        if (customMessage is { } message)
        {
            text.Append(message);
        }
        else
        {
            if (found is not null)
            {
                text.Append("unexpected ").Append(found);
            }

            if (expected.Count > 0)
            {
                text.Append(text.Length > 0 ? "; " : "").Append("expected ").Append(JoinOr(expected));
            }
        }

        return new ScriptError(location, text.Length > 0 ? text.ToString() : "syntax error");
    }

    private static string Show(char c) => c switch
    {
        '\n' or '\r' => "end of line",
        '\t' => "a tab",
        _ => $"'{c}'",
    };

    private static string JoinOr(List<string> items) =>
        items.Count == 1 ? items[0] : string.Join(", ", items.Take(items.Count - 1)) + " or " + items[^1];
}
