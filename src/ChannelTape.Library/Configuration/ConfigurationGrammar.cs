using ChannelTape.Device;
using ChannelTape.Labels;
using Pidgin.Comment;
using Pidgin;
using static Pidgin.Parser;
using static Pidgin.Parser<char>;

namespace ChannelTape.Library.Configuration;

/// <summary>
/// The configuration language (docs/config.md) as Pidgin parsers, from lexemes up to the file.
/// Every statement and every block property recovers from a syntax error by skipping to the next
/// <c>;</c> (or past the broken block), so one pass reports every syntax error of the file.
/// Values that need semantic checks are kept as text with their offset (see ConfigurationSyntax.cs).
/// </summary>
internal static class ConfigurationGrammar
{
    // ---- trivia: blanks and '#' comments. '#' starts a comment only where a token could start;
    // inside a volume serial (T#0001) it is an ordinary character. Serials that begin with '#'
    // are written quoted ("#00001").
    private static readonly Parser<char, Unit> Comment = CommentParser.SkipLineComment(Char('#'));

    private static readonly Parser<char, Unit> Trivia = OneOf(Whitespace.SkipAtLeastOnce(), Comment).SkipMany();

    private static bool IsKeywordChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-';

    private static bool IsVolserChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '#' or '@' or '$';

    private static Parser<char, T> Token<T>(Parser<char, T> parser) => parser.Before(Trivia);

    private static Parser<char, char> Sym(char c) => Token(Char(c));

    private static Parser<char, Located<T>> Loc<T>(Parser<char, T> parser) =>
        Map((offset, value) => new Located<T>(value, offset), CurrentOffset, parser);

    /// <summary>
    /// A whole word: <c>pool</c> does not match the start of <c>pools</c>. The word is looked at
    /// before anything is consumed, so a mismatch is reported at the start of the word ("found
    /// 'modle'"), not where the longest alternative stopped matching.
    /// </summary>
    private static Parser<char, string> Keyword(string word) => WholeWord(word, StringComparison.Ordinal);

    /// <summary>Like <see cref="Keyword"/>, in any case (media and label names).</summary>
    private static Parser<char, string> CaseInsensitiveKeyword(string word) => WholeWord(word, StringComparison.OrdinalIgnoreCase);

    private static Parser<char, string> WholeWord(string word, StringComparison comparison) =>
        Token(Lookahead(Parser<char>.Token(IsKeywordChar).AtLeastOnceString())
            .Assert(w => string.Equals(w, word, comparison))
            .Labelled(word)
            .Then(Parser<char>.Token(IsKeywordChar).AtLeastOnceString()));

    private static Parser<char, string> Run(Func<char, bool> predicate, string label) =>
        Parser<char>.Token(predicate).AtLeastOnceString().Labelled(label);

    // ---- lexemes
    private static readonly Parser<char, char> StringCharacter = OneOf(
        Char('\\').Then(OneOf(Char('"'), Char('\\')).Labelled("escape \\\" or \\\\")),
        AnyCharExcept('"', '\\', '\n', '\r'));

    /// <summary><c>"text"</c>; the offset is that of the first character inside the quotes.</summary>
    private static readonly Parser<char, Located<string>> QuotedString = Token(
        Char('"').Labelled("quoted string")
            .Then(Loc(StringCharacter.ManyString()))
            .Before(Char('"').Labelled("closing '\"'")));

    private static readonly Parser<char, Located<string>> Number = Token(Loc(Run(char.IsAsciiDigit, "number")));

    private static readonly Parser<char, Located<string>> Size = Token(Loc(Map(
        (digits, suffix) => suffix.HasValue ? digits + suffix.Value : digits,
        Run(char.IsAsciiDigit, "size (number with optional K, M or G)"),
        Parser<char>.Token(char.IsAsciiLetter).Optional())));

    private static readonly Parser<char, Located<string>> PoolName =
        Token(Loc(Run(IsKeywordChar, "pool name")));

    private static readonly Parser<char, Located<string>> HostName =
        Token(Loc(Run(c => IsKeywordChar(c) || c == '.', "host name")));

    // A whole word of hex digits: "all" is not device 000A followed by "ll".
    private static readonly Parser<char, Located<string>> DeviceNumber =
        Token(Loc(Lookahead(Parser<char>.Token(char.IsAsciiLetterOrDigit).AtLeastOnceString())
            .Assert(w => w.All(char.IsAsciiHexDigit))
            .Labelled("device number")
            .Then(Parser<char>.Token(char.IsAsciiHexDigit).AtLeastOnceString())));

    private static readonly Parser<char, DeviceRangeSyntax> DeviceRange = Map(
        (first, last) => new DeviceRangeSyntax(first, last.HasValue ? last.Value : null),
        DeviceNumber,
        Sym('-').Then(DeviceNumber).Optional());

    private static readonly Parser<char, IEnumerable<DeviceRangeSyntax>> DeviceList = DeviceRange.SeparatedAtLeastOnce(Sym(','));

    private static readonly Parser<char, Located<string>> VolumeSerialText = OneOf(
        Token(Loc(Run(IsVolserChar, "volume serial"))),
        QuotedString);

    private static readonly Parser<char, VolumeRangeSyntax> VolumeRangeItem = Map(
        (first, last) => new VolumeRangeSyntax(first, last.HasValue ? last.Value : null),
        VolumeSerialText,
        Sym('-').Then(VolumeSerialText).Optional());

    private static readonly Parser<char, Located<string>> ListenAddress =
        Token(Loc(Run(c => char.IsAsciiHexDigit(c) || c is '.' or ':' or '[' or ']', "listen address (IP:PORT)")));

    private static readonly Parser<char, Located<string>> HostNetwork =
        Token(Loc(Run(c => char.IsAsciiHexDigit(c) || c is '.' or ':' or '/', "IP address or network")));

    private static readonly Parser<char, MediaType> Media = OneOf(
        CaseInsensitiveKeyword("REEL").ThenReturn(MediaType.Reel),
        CaseInsensitiveKeyword("3480").ThenReturn(MediaType.Cst),
        CaseInsensitiveKeyword("CST").ThenReturn(MediaType.Cst),
        CaseInsensitiveKeyword("3490E").ThenReturn(MediaType.Eccst),
        CaseInsensitiveKeyword("ECCST").ThenReturn(MediaType.Eccst));

    private static readonly Parser<char, TapeModel> Model = OneOf(
        Keyword("3420").ThenReturn(TapeModel.Ibm3420),
        Keyword("3480").ThenReturn(TapeModel.Ibm3480),
        Keyword("3490").ThenReturn(TapeModel.Ibm3490));

    private static readonly Parser<char, LabelType> Labels = OneOf(
        CaseInsensitiveKeyword("SL").ThenReturn(LabelType.Standard),
        CaseInsensitiveKeyword("AL").ThenReturn(LabelType.Ansi),
        CaseInsensitiveKeyword("NL").ThenReturn(LabelType.None));

    private static readonly Parser<char, Unit> End = Sym(';').IgnoreResult();

    // ---- error recovery: skip strings and comments whole, so a ';' or '}' inside them does not count
    private static readonly Parser<char, Unit> SkipString =
        Char('"').Then(AnyCharExcept('"', '\n').SkipMany()).Then(Char('"').Optional()).IgnoreResult();

    private static readonly Parser<char, Unit> SkipBalancedBlock =
        Char('{')
            .Then(OneOf(SkipString, Comment, AnyCharExcept('{', '}', '"', '#').IgnoreResult(), Rec(() => SkipBalancedBlock!)).SkipMany())
            .Then(Char('}').Optional())
            .IgnoreResult();

    /// <summary>Rest of a broken property: up to and including the next ';', or up to the block's '}'.</summary>
    private static readonly Parser<char, Unit> SkipRestOfProperty =
        OneOf(SkipString, Comment, AnyCharExcept(';', '}', '"', '#').IgnoreResult()).SkipMany()
            .Then(Char(';').Optional())
            .Then(Trivia);

    /// <summary>Rest of a broken statement: through the next ';' or '}', or past a balanced block.</summary>
    private static readonly Parser<char, Unit> SkipRestOfStatement =
        OneOf(SkipString, Comment, AnyCharExcept(';', '{', '}', '"', '#').IgnoreResult()).SkipMany()
            .Then(OneOf(Char(';').IgnoreResult(), Char('}').IgnoreResult(), SkipBalancedBlock).Optional())
            .Then(Trivia);

    /// <summary>A broken statement header: up to its block's '{' (or a ';' or '}'), which is left for the statement's parser.</summary>
    private static readonly Parser<char, Unit> SkipToBlock =
        OneOf(SkipString, Comment, AnyCharExcept(';', '{', '}', '"', '#').IgnoreResult()).SkipMany();

    /// <summary><paramref name="header"/>, or on its failure the error, the header skipped up to the block (which still parses).</summary>
    private static Parser<char, (T Value, ParseError<char>? Error)> Header<T>(Parser<char, T> header, T broken) =>
        header.Select(value => (value, (ParseError<char>?)null))
            .RecoverWith(error => SkipToBlock.ThenReturn((broken, (ParseError<char>?)error)));

    private static readonly Parser<char, Unit> BlockEndOrEof = OneOf(Char('}').IgnoreResult(), Parser<char>.End);

    private static Parser<char, IReadOnlyList<PropertySyntax>> Block(Parser<char, PropertySyntax> property) =>
        Sym('{')
            .Then(Not(Lookahead(BlockEndOrEof))
                .Then(property.RecoverWith(error => SkipRestOfProperty.ThenReturn<PropertySyntax>(new PropertyError(error))))
                .Many())
            .Then(
                // The loop above stops only at '}' or the end of the file, so this fails only at
                // the end; the error is kept as a property so the block's other errors survive.
                Sym('}').ThenReturn<PropertySyntax?>(null).RecoverWith(error => Return<PropertySyntax?>(new PropertyError(error))),
                (properties, missingEnd) => (IReadOnlyList<PropertySyntax>)(missingEnd is null ? properties.ToList() : properties.Append(missingEnd).ToList()));

    private static Parser<char, PropertySyntax> Property<T>(string keyword, Parser<char, T> value, Func<int, T, PropertySyntax> build) =>
        Map((offset, _, v) => build(offset, v), CurrentOffset, Keyword(keyword), value).Before(End);

    private static Parser<char, PropertySyntax> Flag(string keyword, Func<int, PropertySyntax> build) =>
        Map((offset, _) => build(offset), CurrentOffset, Keyword(keyword)).Before(End);

    // ---- storage { root "DIR"; format aws | het [zlib|bzip2 [LEVEL]]; }
    private static readonly Parser<char, (HetCompression Compression, Located<string>? Level)> HetOptions = OneOf(
            Keyword("zlib").ThenReturn(HetCompression.Zlib),
            Keyword("bzip2").ThenReturn(HetCompression.Bzip2))
        .Then(Number.Optional(), (compression, level) => (compression, level.HasValue ? level.Value : (Located<string>?)null));

    private static readonly Parser<char, (ImageFileKind Kind, HetCompression Compression, Located<string>? Level)> Format = OneOf(
        Keyword("aws").ThenReturn((ImageFileKind.Aws, HetCompression.None, (Located<string>?)null)),
        Keyword("het").Then(HetOptions.Optional(), (_, options) => options.HasValue
            ? (ImageFileKind.Het, options.Value.Compression, options.Value.Level)
            : (ImageFileKind.Het, HetCompression.None, (Located<string>?)null)));

    // A shared library (docs/scale-out.md): catalog "NPGSQL CONNECTION"; store "s3://BUCKET/PREFIX";
    // s3-endpoint "URL"; cache SIZE; lease SECONDS; server "NAME";
    private static readonly Parser<char, PropertySyntax> StorageProperty = OneOf(
        Property("root", QuotedString, (offset, path) => new RootProperty(offset, path)),
        Property("format", Format, (offset, f) => new FormatProperty(offset, f.Kind, f.Compression, f.Level)),
        Property("catalog", QuotedString, (offset, text) => new TextProperty(offset, "catalog", text)),
        Property("store", QuotedString, (offset, text) => new TextProperty(offset, "store", text)),
        Property("s3-endpoint", QuotedString, (offset, text) => new TextProperty(offset, "s3-endpoint", text)),
        Property("server", QuotedString, (offset, text) => new TextProperty(offset, "server", text)),
        Property("cache", Size, (offset, size) => new CapacityProperty(offset, size) with { Keyword = "cache" }),
        Property("lease", Number, (offset, n) => new NumberProperty(offset, "lease", n)));

    // ---- drive DEVICES { model M; media M; pool NAME; }   or   drive DEVICES;
    private static readonly Parser<char, PropertySyntax> DriveProperty = OneOf(
        Property("model", Model, (offset, model) => new ModelProperty(offset, model)),
        Property("media", Media, (offset, media) => new MediaProperty(offset, media)),
        Property("pool", PoolName, (offset, name) => new PoolReferenceProperty(offset, name)));

    // ---- pool NAME { volumes R, R; media M; capacity SIZE; labels SL|AL|NL; scratch; | private; }
    private static readonly Parser<char, PropertySyntax> PoolProperty = OneOf(
        Property("volumes", VolumeRangeItem.SeparatedAtLeastOnce(Sym(',')), (offset, ranges) => new VolumesProperty(offset, ranges.ToList())),
        Property("media", Media, (offset, media) => new MediaProperty(offset, media)),
        Property("capacity", Size, (offset, size) => new CapacityProperty(offset, size)),
        Property("labels", Labels, (offset, labels) => new LabelsProperty(offset, labels)),
        Flag("scratch", offset => new StatusProperty(offset, Scratch: true)),
        Flag("private", offset => new StatusProperty(offset, Scratch: false)),
        Property("sync", OneOf(
            Keyword("tape-mark").ThenReturn(SyncPoint.TapeMark),
            Keyword("unload").ThenReturn(SyncPoint.Unload),
            Keyword("none").ThenReturn(SyncPoint.None)), (offset, sync) => new SyncProperty(offset, sync)));

    // ---- security { secret-file "F"; certificate "F"; key "F"; require-tls; insecure; audit-log "F"; }
    private static readonly Parser<char, PropertySyntax> SecurityProperty = OneOf(
        Property("secret-file", QuotedString, (offset, path) => new PathProperty(offset, "secret-file", path)),
        Property("certificate", QuotedString, (offset, path) => new PathProperty(offset, "certificate", path)),
        Property("key", QuotedString, (offset, path) => new PathProperty(offset, "key", path)),
        Property("audit-log", QuotedString, (offset, path) => new PathProperty(offset, "audit-log", path)),
        Flag("require-tls", offset => new FlagProperty(offset, "require-tls")),
        Flag("insecure", offset => new FlagProperty(offset, "insecure")));

    private static Parser<char, IEnumerable<Located<string>>> WordList(Parser<char, Located<string>> word) =>
        OneOf(Keyword("none").ThenReturn(Enumerable.Empty<Located<string>>()), word.SeparatedAtLeastOnce(Sym(',')));

    // ---- host NAME { secret-file "F"; addresses NET, NET; drives DEVICES; pools P, P; permit WORD, WORD; }
    private static readonly Parser<char, PropertySyntax> HostProperty = OneOf(
        Property("secret-file", QuotedString, (offset, path) => new PathProperty(offset, "secret-file", path)),
        Property("addresses", WordList(HostNetwork), (offset, hosts) => new WordsProperty(offset, "addresses", hosts.ToList())),
        Property(
            "drives",
            OneOf(Keyword("none").ThenReturn(Enumerable.Empty<DeviceRangeSyntax>()), DeviceList),
            (offset, devices) => new DrivesProperty(offset, devices.ToList())),
        Property("pools", WordList(PoolName), (offset, pools) => new WordsProperty(offset, "pools", pools.ToList())),
        Property("permit", WordList(PoolName), (offset, words) => new WordsProperty(offset, "permit", words.ToList())));

    // ---- admin { prefix "#"; hosts NET, NET; drives DEVICES; }
    // "none" gives an empty list: no host / no drive may issue commands.
    private static readonly Parser<char, PropertySyntax> AdminProperty = OneOf(
        Property("prefix", QuotedString, (offset, prefix) => new PrefixProperty(offset, prefix)),
        Property(
            "hosts",
            OneOf(Keyword("none").ThenReturn(Enumerable.Empty<Located<string>>()), HostNetwork.SeparatedAtLeastOnce(Sym(','))),
            (offset, hosts) => new HostsProperty(offset, hosts.ToList())),
        Property(
            "drives",
            OneOf(Keyword("none").ThenReturn(Enumerable.Empty<DeviceRangeSyntax>()), DeviceList),
            (offset, devices) => new DrivesProperty(offset, devices.ToList())));

    // ---- limits { connections N; mount-history N; }
    private static readonly Parser<char, PropertySyntax> LimitsProperty = OneOf(
        Property("connections-per-address", Number, (offset, n) => new NumberProperty(offset, "connections-per-address", n)),
        Property("handshake-timeout", Number, (offset, n) => new NumberProperty(offset, "handshake-timeout", n)),
        Property("connections", Number, (offset, n) => new NumberProperty(offset, "connections", n)),
        Property("mount-history", Number, (offset, n) => new NumberProperty(offset, "mount-history", n)));

    // ---- log { level LEVEL; format text|json; }
    private static readonly Parser<char, PropertySyntax> LogProperty = OneOf(
        Property("level", Token(Loc(Run(char.IsAsciiLetter, "log level"))), (offset, level) => new LogLevelProperty(offset, level)),
        Property(
            "format",
            OneOf(Keyword("text").ThenReturn(LogFormat.Text), Keyword("json").ThenReturn(LogFormat.Json)),
            (offset, format) => new LogFormatProperty(offset, format)));

    // ---- http ADDRESS:PORT; | http none;
    private static readonly Parser<char, Located<string>?> HttpAddress = OneOf(
        Keyword("none").ThenReturn((Located<string>?)null),
        ListenAddress.Select(address => (Located<string>?)address));

    // ---- statements
    private static readonly Parser<char, StatementSyntax> Statement = OneOf(
        Map((offset, _, path) => (StatementSyntax)new IncludeStatement(offset, path), CurrentOffset, Keyword("include"), QuotedString).Before(End),
        Map((offset, _, address) => (StatementSyntax)new ListenStatement(offset, address), CurrentOffset, Keyword("listen"), ListenAddress).Before(End),
        Map((offset, _, properties) => (StatementSyntax)new StorageStatement(offset, properties), CurrentOffset, Keyword("storage"), Block(StorageProperty)),
        Map(
            (offset, _, devices, properties) => devices.Error is { } error
                ? new BrokenHeaderStatement(offset, "drive", error, properties)
                : (StatementSyntax)new DriveStatement(offset, devices.Value.ToList(), properties),
            CurrentOffset,
            Keyword("drive"),
            Header(DeviceList.Before(Lookahead(OneOf(Sym('{'), Sym(';')))), []),
            OneOf(Block(DriveProperty), End.ThenReturn<IReadOnlyList<PropertySyntax>>([]))),
        Map(
            (offset, _, name, properties) => name.Error is { } error
                ? new BrokenHeaderStatement(offset, "pool", error, properties)
                : (StatementSyntax)new PoolStatement(offset, name.Value, properties),
            CurrentOffset,
            Keyword("pool"),
            Header(PoolName.Before(Lookahead(Sym('{'))), default(Located<string>)),
            Block(PoolProperty)),
        Map((offset, _, properties) => (StatementSyntax)new AdminStatement(offset, properties), CurrentOffset, Keyword("admin"), Block(AdminProperty)),
        Map((offset, _, properties) => (StatementSyntax)new LimitsStatement(offset, properties), CurrentOffset, Keyword("limits"), Block(LimitsProperty)),
        Map((offset, _, address) => (StatementSyntax)new HttpStatement(offset, address), CurrentOffset, Keyword("http"), HttpAddress).Before(End),
        Map((offset, _, path) => (StatementSyntax)new PathStatement(offset, "secret-file", path), CurrentOffset, Keyword("secret-file"), QuotedString).Before(End),
        Map((offset, _, path) => (StatementSyntax)new PathStatement(offset, "transfer-folder", path), CurrentOffset, Keyword("transfer-folder"), QuotedString).Before(End),
        Map((offset, _, properties) => (StatementSyntax)new LogStatement(offset, properties), CurrentOffset, Keyword("log"), Block(LogProperty)),
        Map((offset, _, path) => (StatementSyntax)new ImageFolderStatement(offset, path), CurrentOffset, Keyword("image-folder"), QuotedString).Before(End),
        Map((offset, _, properties) => (StatementSyntax)new SecurityStatement(offset, properties), CurrentOffset, Keyword("security"), Block(SecurityProperty)),
        Map((offset, _, name, properties) => (StatementSyntax)new HostStatement(offset, name, properties), CurrentOffset, Keyword("host"), HostName, Block(HostProperty)));

    private static readonly Parser<char, IReadOnlyList<StatementSyntax>> File =
        Trivia
            .Then(Not(Parser<char>.End)
                .Then(Statement.RecoverWith(error => SkipRestOfStatement.ThenReturn<StatementSyntax>(new StatementError(error))))
                .Many())
            .Before(Parser<char>.End)
            .Select(statements => (IReadOnlyList<StatementSyntax>)statements.ToList());

    /// <summary>Parses one file's text into statements; syntax errors come back as <see cref="StatementError"/> / <see cref="PropertyError"/> nodes.</summary>
    public static IReadOnlyList<StatementSyntax> Parse(string text)
    {
        var result = File.Parse(text);
        // The file parser recovers from every statement error and cannot fail; a failure is a grammar bug.
        return result.Success ? result.Value : throw new InvalidOperationException("configuration grammar failed: " + result.Error);
    }
}
