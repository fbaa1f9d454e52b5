using System.Net;

namespace ChannelTape.Library.Configuration;

/// <summary>The operations statements: <c>http</c>, <c>secret-file</c>, <c>transfer-folder</c> and <c>log</c> (docs/operations.md).</summary>
internal sealed partial class ConfigurationBinder
{
    private (SourceFile File, int Offset)? _httpAt;
    private IPEndPoint? _http = ManagementConfiguration.DefaultHttp;
    private (SourceFile File, int Offset)? _secretFileAt;
    private string? _secretFile;
    private (SourceFile File, int Offset)? _transferFolderAt;
    private string? _transferFolder;
    private (SourceFile File, int Offset)? _logAt;
    private LogConfiguration? _log;

    private void BindHttp(SourceFile file, HttpStatement statement)
    {
        if (Single(ref _httpAt, file, statement.Offset, "http"))
        {
            _http = statement.Address is { } address ? BindEndPoint(file, address, "http", "127.0.0.1:7491") : null;
        }
    }

    private void BindPathStatement(SourceFile file, PathStatement statement)
    {
        if (statement.Keyword == "secret-file")
        {
            if (Single(ref _secretFileAt, file, statement.Offset, statement.Keyword))
            {
                _secretFile = ResolvePath(file, statement.Path, statement.Keyword);
            }
        }
        else if (Single(ref _transferFolderAt, file, statement.Offset, statement.Keyword))
        {
            _transferFolder = ResolvePath(file, statement.Path, statement.Keyword);
        }
    }

    private void BindLog(SourceFile file, LogStatement statement)
    {
        if (!Single(ref _logAt, file, statement.Offset, "log"))
        {
            return;
        }

        var log = LogConfiguration.Default;
        var seen = new Dictionary<string, int>();
        foreach (var property in statement.Properties)
        {
            if (!FirstProperty(seen, file, property, "log"))
            {
                continue;
            }

            switch (property)
            {
                case LogLevelProperty level when LogConfiguration.TryParseLevel(level.Level.Value, out var value):
                    log = log with { Level = value };
                    break;
                case LogLevelProperty level:
                    Error(file, level.Level.Offset,
                        $"unknown log level '{level.Level.Value}', expected {string.Join(", ", LogConfiguration.LevelNames.Select(n => n.Name))}");
                    break;
                case LogFormatProperty format:
                    log = log with { Format = format.Format };
                    break;
            }
        }

        _log = log;
    }

    private ManagementConfiguration FinishManagement() => new(_http, _secretFile, _transferFolder);

    /// <summary>A path relative to the file that names it; null (and an error) when empty or holding a NUL.</summary>
    private string? ResolvePath(SourceFile file, Located<string> path, string keyword)
    {
        if (path.Value.Length == 0)
        {
            Error(file, path.Offset, $"{keyword} is empty");
            return null;
        }

        if (path.Value.Contains('\0', StringComparison.Ordinal))
        {
            Error(file, path.Offset, $"{keyword} contains a NUL character");
            return null;
        }

        return Path.GetFullPath(Path.Combine(file.Directory, path.Value));
    }
}
