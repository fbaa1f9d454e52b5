namespace ChannelTape.Library.Configuration;

/// <summary>One configuration file's text, with the name errors are reported under.</summary>
internal sealed class SourceFile
{
    private readonly int[] _lineStarts;

    /// <param name="name">Name shown in error messages (the path as given, or e.g. "&lt;default&gt;").</param>
    /// <param name="fullPath">Absolute path for include-cycle detection, or null for text not read from a file.</param>
    /// <param name="directory">Directory relative includes and storage roots are resolved against.</param>
    /// <param name="text">The file's content.</param>
    public SourceFile(string name, string? fullPath, string directory, string text)
    {
        Name = name;
        FullPath = fullPath;
        Directory = directory;
        Text = text;
        var starts = new List<int> { 0 };
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                starts.Add(i + 1);
            }
        }

        _lineStarts = starts.ToArray();
    }

    public string Name { get; }

    public string? FullPath { get; }

    public string Directory { get; }

    public string Text { get; }

    /// <summary>1-based line and column of <paramref name="offset"/>; a column counts characters (a tab is one).</summary>
    public (int Line, int Column) Position(int offset)
    {
        var index = Array.BinarySearch(_lineStarts, offset);
        var line = index >= 0 ? index : ~index - 1;
        return (line + 1, offset - _lineStarts[line] + 1);
    }

    public ConfigurationError Error(int offset, string message)
    {
        var (line, column) = Position(offset);
        return new ConfigurationError(Name, line, column, message);
    }

    /// <summary><c>NAME:LINE:COL</c> of <paramref name="offset"/>, for "first defined at" messages.</summary>
    public string Describe(int offset)
    {
        var (line, column) = Position(offset);
        return $"{Name}:{line}:{column}";
    }
}

/// <summary>A configuration error: where (file, 1-based line and column) and what.</summary>
/// <param name="File">File name as given (or the include path as resolved from the including file).</param>
/// <param name="Line">1-based line, 0 when the error concerns the whole file (e.g. it cannot be read).</param>
/// <param name="Column">1-based column in characters, 0 with <paramref name="Line"/> 0.</param>
/// <param name="Message">What is wrong, and for syntax errors what was expected.</param>
public sealed record ConfigurationError(string File, int Line, int Column, string Message)
{
    /// <summary><c>FILE:LINE:COL: message</c> (or <c>FILE: message</c> for whole-file errors).</summary>
    public override string ToString() => Line == 0 ? $"{File}: {Message}" : $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>Outcome of reading a configuration: the model, or every error found.</summary>
/// <param name="Configuration">The configuration when there were no errors, else null.</param>
/// <param name="Errors">Every syntax and semantic error, in the order found.</param>
public sealed record ConfigurationResult(LibraryConfiguration? Configuration, IReadOnlyList<ConfigurationError> Errors)
{
    public bool Success => Configuration is not null;
}
