using System.Reflection;
using Pidgin;

namespace ChannelTape.Library.Configuration;

/// <summary>
/// Reads a configuration in the ChannelTape configuration language (docs/config.md): parses each
/// file with <see cref="ConfigurationGrammar"/>, expands <c>include "file";</c> (relative to the
/// including file, cycles reported), then binds the statements into a
/// <see cref="LibraryConfiguration"/>. Every syntax and semantic error is collected.
/// </summary>
public static class ConfigurationParser
{
    /// <summary>Name errors in the embedded default configuration are reported under.</summary>
    public const string DefaultFileName = "<default>";

    /// <summary>Include nesting deeper than this is refused (cycles are caught before it).</summary>
    public const int MaxIncludeDepth = 16;

    /// <summary>
    /// Braces nested deeper than this are refused before the file is parsed: the language nests one level
    /// (a block in a statement), and error recovery skips a broken block by recursion, so 7,000 '{' would
    /// otherwise exhaust the stack.
    /// </summary>
    public const int MaxNestingDepth = 16;

    /// <summary>Most bytes of one configuration file (the main file or an include).</summary>
    public const int MaxFileBytes = 4 * 1024 * 1024;

    /// <summary>Most bytes of a configuration with all its includes.</summary>
    public const int MaxTotalBytes = 8 * 1024 * 1024;

    private const string DefaultResourceName = "ChannelTape.Library.Configuration.DefaultConfiguration.conf";

    /// <summary>Text of the embedded default configuration (used by <c>ctape serve</c> without <c>--config</c>).</summary>
    public static string DefaultText { get; } = ReadDefaultText();

    /// <summary>Reads and checks the configuration file at <paramref name="path"/>.</summary>
    public static ConfigurationResult ParseFile(string path)
    {
        var errors = new List<ConfigurationError>();
        if (!TryRead(path, out var text, out var problem))
        {
            errors.Add(new ConfigurationError(path, 0, 0, $"cannot read: {problem}"));
            return new ConfigurationResult(null, errors);
        }

        var fullPath = Path.GetFullPath(path);
        return Parse(new SourceFile(path, fullPath, Path.GetDirectoryName(fullPath)!, text), errors);
    }

    /// <summary>
    /// A configuration file's text: only a regular file (a FIFO would hang the reader, <c>/dev/zero</c> would
    /// never end) of at most <see cref="MaxFileBytes"/> bytes, in UTF-8.
    /// </summary>
    private static bool TryRead(string path, out string text, out string problem)
    {
        text = "";
        try
        {
            if (!Media.FileIdentity.TryReadSmallFile(path, MaxFileBytes, out var bytes, out problem))
            {
                return false;
            }

            text = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(bytes);
            if (text.Length > 0 && text[0] == '\uFEFF')
            {
                text = text[1..];
            }

            return true;
        }
        catch (Exception e) when (e is ArgumentException or IOException)
        {
            problem = e is ArgumentException ? "not UTF-8 text" : e.Message;
            return false;
        }
    }

    /// <summary>Where braces first nest deeper than <see cref="MaxNestingDepth"/> (strings and comments skipped); -1 when they do not.</summary>
    internal static int TooDeepAt(string text)
    {
        var depth = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '"':
                    while (++i < text.Length && text[i] is not ('"' or '\n'))
                    {
                        if (text[i] == '\\')
                        {
                            i++;
                        }
                    }

                    break;
                case '#':
                    while (i + 1 < text.Length && text[i + 1] != '\n')
                    {
                        i++;
                    }

                    break;
                case '{':
                    if (++depth > MaxNestingDepth)
                    {
                        return i;
                    }

                    break;
                case '}':
                    depth = Math.Max(0, depth - 1);
                    break;
            }
        }

        return -1;
    }

    /// <summary>Parses configuration text that did not come from a file.</summary>
    /// <param name="text">The configuration.</param>
    /// <param name="fileName">Name to report errors under.</param>
    /// <param name="directory">Directory relative includes and storage roots are resolved against.</param>
    public static ConfigurationResult ParseText(string text, string fileName, string directory) =>
        Parse(new SourceFile(fileName, null, Path.GetFullPath(directory), text), []);

    /// <summary>The embedded default configuration, its storage root relative to the current directory.</summary>
    public static LibraryConfiguration LoadDefault()
    {
        var result = ParseText(DefaultText, DefaultFileName, Directory.GetCurrentDirectory());
        return result.Configuration
            ?? throw new InvalidOperationException("embedded default configuration is invalid: " + string.Join("; ", result.Errors));
    }

    private static ConfigurationResult Parse(SourceFile main, List<ConfigurationError> errors)
    {
        var statements = new List<(SourceFile, StatementSyntax)>();
        var chain = new List<string>();
        var total = main.Text.Length;
        Load(main, statements, errors, chain, ref total);
        var configuration = ConfigurationBinder.Bind(statements, main, errors);
        // Reported by file (in the order the files were read) and line, whichever pass found them.
        var fileOrder = errors.Select(e => e.File).Distinct().Select((file, index) => (file, index)).ToDictionary(p => p.file, p => p.index);
        var sorted = errors.OrderBy(e => fileOrder[e.File]).ThenBy(e => e.Line).ThenBy(e => e.Column).ToList();
        return new ConfigurationResult(configuration, sorted);
    }

    private static void Load(SourceFile file, List<(SourceFile, StatementSyntax)> statements, List<ConfigurationError> errors, List<string> chain, ref int total)
    {
        if (TooDeepAt(file.Text) is var deep and >= 0)
        {
            errors.Add(file.Error(deep, $"blocks nested deeper than {MaxNestingDepth}: the file is not read further"));
            return;
        }

        chain.Add(file.FullPath ?? file.Name);
        foreach (var statement in ConfigurationGrammar.Parse(file.Text))
        {
            switch (statement)
            {
                case StatementError error:
                    errors.Add(SyntaxError(file, error.Error));
                    break;
                case BrokenHeaderStatement broken:
                    // The header's error and the block's syntax errors; the binder checks the block's values (it defines nothing).
                    errors.Add(SyntaxError(file, broken.Error));
                    ReportPropertyErrors(file, broken, errors);
                    statements.Add((file, broken));
                    break;
                case IncludeStatement include:
                    Include(file, include, statements, errors, chain, ref total);
                    break;
                default:
                    ReportPropertyErrors(file, statement, errors);
                    statements.Add((file, statement));
                    break;
            }
        }

        chain.RemoveAt(chain.Count - 1);
    }

    private static void ReportPropertyErrors(SourceFile file, StatementSyntax statement, List<ConfigurationError> errors)
    {
        IReadOnlyList<PropertySyntax> properties = statement switch
        {
            StorageStatement s => s.Properties,
            DriveStatement d => d.Properties,
            PoolStatement p => p.Properties,
            AdminStatement a => a.Properties,
            LimitsStatement l => l.Properties,
            LogStatement l => l.Properties,
            BrokenHeaderStatement b => b.Properties,
            SecurityStatement s => s.Properties,
            HostStatement h => h.Properties,
            _ => [],
        };
        foreach (var property in properties)
        {
            if (property is PropertyError error)
            {
                errors.Add(SyntaxError(file, error.Error));
            }
        }
    }

    private static void Include(
        SourceFile file,
        IncludeStatement include,
        List<(SourceFile, StatementSyntax)> statements,
        List<ConfigurationError> errors,
        List<string> chain,
        ref int total)
    {
        var relative = include.Path.Value;
        if (relative.Length == 0 || relative.Contains('\0', StringComparison.Ordinal))
        {
            errors.Add(file.Error(include.Path.Offset, "include needs a file name"));
            return;
        }

        var fullPath = Path.GetFullPath(Path.Combine(file.Directory, relative));
        // Show included files the way the user would reach them from the including file.
        var displayDirectory = file.FullPath is null ? file.Directory : Path.GetDirectoryName(file.Name) ?? "";
        var displayName = Path.IsPathRooted(relative) ? relative : Path.Combine(displayDirectory, relative);

        var cycleStart = chain.IndexOf(fullPath);
        if (cycleStart >= 0)
        {
            var cycle = string.Join(" -> ", chain.Skip(cycleStart).Select(Path.GetFileName).Append(Path.GetFileName(fullPath)));
            errors.Add(file.Error(include.Offset, $"include cycle: {cycle}"));
            return;
        }

        if (chain.Count > MaxIncludeDepth)
        {
            errors.Add(file.Error(include.Offset, $"includes nested deeper than {MaxIncludeDepth} files"));
            return;
        }

        if (!TryRead(fullPath, out var text, out var problem))
        {
            errors.Add(file.Error(include.Path.Offset, $"cannot include '{relative}': {problem}"));
            return;
        }

        total += text.Length;
        if (total > MaxTotalBytes)
        {
            errors.Add(file.Error(include.Path.Offset, $"cannot include '{relative}': the configuration with its includes is larger than {MaxTotalBytes} bytes"));
            return;
        }

        Load(new SourceFile(displayName, fullPath, Path.GetDirectoryName(fullPath)!, text), statements, errors, chain, ref total);
    }

    private static ConfigurationError SyntaxError(SourceFile file, ParseError<char> error)
    {
        var (offset, message) = Describe(error, file.Text);
        return file.Error(offset, message);
    }

    /// <summary>Where a Pidgin parse error is, and <c>expected A, B or C, found X</c>.</summary>
    internal static (int Offset, string Message) Describe(ParseError<char> error, string text)
    {
        var offset = error.ErrorOffset;
        var expected = new List<string>();
        foreach (var item in error.Expected)
        {
            var name = item.Label
                ?? (item.IsEof ? "end of file" : "'" + string.Concat(item.Tokens) + "'");
            if (!expected.Contains(name))
            {
                expected.Add(name);
            }
        }

        var found = Found(text, offset);
        // Labels say what was expected; a parser's own message (Assert) only matters without them.
        return (offset, expected.Count == 0
            ? $"{error.Message ?? "unexpected input"}: found {found}"
            : $"expected {JoinAlternatives(expected)}, found {found}");
    }

    private static string JoinAlternatives(List<string> items) =>
        items.Count == 1 ? items[0] : string.Join(", ", items.Take(items.Count - 1)) + " or " + items[^1];

    private static string Found(string text, int offset)
    {
        if (offset >= text.Length)
        {
            return "end of file";
        }

        var c = text[offset];
        if (c is '\n' or '\r')
        {
            return "end of line";
        }

        static bool IsWord(char ch) => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-' or '#' or '@' or '$' or '.' or ':' or '/';
        if (!IsWord(c))
        {
            return $"'{c}'";
        }

        var end = offset;
        while (end < text.Length && end - offset < 40 && IsWord(text[end]))
        {
            end++;
        }

        return $"'{text[offset..end]}'";
    }

    private static string ReadDefaultText()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(DefaultResourceName)
            ?? throw new InvalidOperationException($"embedded resource {DefaultResourceName} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
