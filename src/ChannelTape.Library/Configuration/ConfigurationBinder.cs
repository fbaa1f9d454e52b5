using System.Globalization;
using System.Net;
using ChannelTape.Device;
using ChannelTape.Labels;

namespace ChannelTape.Library.Configuration;

/// <summary>
/// Semantic pass: turns the statements of a configuration (all files, includes already expanded)
/// into a <see cref="LibraryConfiguration"/>, checking values and cross-references and collecting
/// every error with its position. References between statements (a drive's pool, the admin
/// drives, pool media against drive media) are only checked when there were no syntax errors,
/// because a statement skipped by error recovery would make them fail for no real reason.
/// </summary>
internal sealed partial class ConfigurationBinder
{
    public const int MaxPoolNameLength = 16;
    public const int MaxPrefixLength = 5;
    public const int MaxConnections = 65_535;
    public const int MaxMountHistory = 100_000_000;

    private readonly List<ConfigurationError> _errors;
    private readonly bool _checkReferences;

    private (SourceFile File, int Offset)? _listenAt;
    private IPEndPoint? _listen;
    private (SourceFile File, int Offset)? _storageAt;
    private StorageConfiguration? _storage;
    private (SourceFile File, int Offset)? _adminAt;
    private AdminDraft? _admin;
    private (SourceFile File, int Offset)? _limitsAt;
    private LimitsConfiguration? _limits;
    private readonly SortedDictionary<ushort, DriveDraft> _drives = [];
    private bool _sawDriveStatement;
    private readonly List<PoolDraft> _pools = [];
    private readonly Dictionary<string, PoolDraft> _poolsByName = new(StringComparer.Ordinal);
    private readonly List<(VolumeRange Range, PoolDraft Pool, SourceFile File, int Offset)> _ranges = [];

    private ConfigurationBinder(List<ConfigurationError> errors, bool checkReferences)
    {
        _errors = errors;
        _checkReferences = checkReferences;
    }

    /// <summary>Binds the statements, adding errors to <paramref name="errors"/>; returns null when there are any.</summary>
    /// <param name="statements">Statements of every file in order, without include statements.</param>
    /// <param name="mainFile">The file given by the user (errors about the whole configuration point at its start).</param>
    /// <param name="errors">Errors found so far (syntax and include errors); semantic errors are appended.</param>
    public static LibraryConfiguration? Bind(
        IReadOnlyList<(SourceFile File, StatementSyntax Statement)> statements,
        SourceFile mainFile,
        List<ConfigurationError> errors)
    {
        var binder = new ConfigurationBinder(errors, checkReferences: errors.Count == 0);
        return binder.Run(statements, mainFile);
    }

    private LibraryConfiguration? Run(IReadOnlyList<(SourceFile File, StatementSyntax Statement)> statements, SourceFile mainFile)
    {
        foreach (var (file, statement) in statements)
        {
            switch (statement)
            {
                case ListenStatement listen:
                    if (Single(ref _listenAt, file, listen.Offset, "listen"))
                    {
                        _listen = BindEndPoint(file, listen.Address, "listen", "127.0.0.1:7490");
                    }

                    break;
                case StorageStatement storage:
                    if (Single(ref _storageAt, file, storage.Offset, "storage"))
                    {
                        _storage = BindStorage(file, storage);
                    }

                    break;
                case DriveStatement drive:
                    _sawDriveStatement = true;
                    BindDrive(file, drive);
                    break;
                case PoolStatement pool:
                    BindPool(file, pool);
                    break;
                case AdminStatement admin:
                    if (Single(ref _adminAt, file, admin.Offset, "admin"))
                    {
                        _admin = BindAdmin(file, admin);
                    }

                    break;
                case LimitsStatement limits:
                    if (Single(ref _limitsAt, file, limits.Offset, "limits"))
                    {
                        _limits = BindLimits(file, limits);
                    }

                    break;
                case HttpStatement http:
                    BindHttp(file, http);
                    break;
                case PathStatement path:
                    BindPathStatement(file, path);
                    break;
                case LogStatement log:
                    BindLog(file, log);
                    break;
                case ImageFolderStatement folder:
                    BindImageFolder(file, folder);
                    break;
                case SecurityStatement security:
                    if (Single(ref _securityAt, file, security.Offset, "security"))
                    {
                        _security = BindSecurity(file, security);
                    }

                    break;
                case HostStatement host:
                    BindHost(file, host);
                    break;
                case BrokenHeaderStatement { Keyword: "drive" } broken:
                    // The header's error is the parser's; the block's values are checked here as any drive's, with no
                    // device to define (a drive statement was written, so no "no drive statement" on top).
                    _sawDriveStatement = true;
                    BindDrive(file, new DriveStatement(broken.Offset, [], broken.Properties));
                    break;
                case BrokenHeaderStatement { Keyword: "pool" } broken:
                    CheckPoolBlock(file, "pool", broken.Properties, new List<(VolumeRange, int)>());
                    break;
                case StatementError or IncludeStatement or BrokenHeaderStatement:
                    // Reported (or expanded) by ConfigurationParser.
                    break;
                default:
                    throw new InvalidOperationException($"unhandled statement {statement.GetType().Name}");
            }
        }

        CheckOverlappingRanges();
        var adminConfiguration = FinishAdmin();
        if (_checkReferences)
        {
            CheckReferences();
            CheckHostReferences();
            if (!_sawDriveStatement)
            {
                _errors.Add(mainFile.Error(0, "no drive statement: a library needs at least one drive"));
            }
        }

        if (_errors.Count > 0)
        {
            return null;
        }

        return new LibraryConfiguration(
            _listen ?? LibraryConfiguration.DefaultListen,
            _storage ?? new StorageConfiguration(Path.GetFullPath(Path.Combine(mainFile.Directory, "ctape-data")), ImageFormat.Aws),
            new ValueList<DriveConfiguration>(_drives.Values.Select(d => d.Configuration)),
            new ValueList<PoolConfiguration>(_pools.Select(p => p.Configuration)),
            adminConfiguration,
            _limits ?? LimitsConfiguration.Default)
        {
            Management = FinishManagement(),
            Log = _log ?? LogConfiguration.Default,
            ImageFolders = new ValueList<string>(_imageFolders.Distinct(StringComparer.Ordinal)),
            Security = _security ?? SecurityConfiguration.Default,
            Hosts = new ValueList<HostConfiguration>(_hosts.Select(h => h.Host)),
        };
    }

    // ---- listen

    private IPEndPoint? BindEndPoint(SourceFile file, Located<string> address, string keyword, string example)
    {
        var text = address.Value;
        var hasPort = text.StartsWith('[')
            ? text.Contains("]:", StringComparison.Ordinal)
            : text.Count(c => c == ':') == 1;
        var host = hasPort ? text[..text.LastIndexOf(':')].Trim('[', ']') : "";
        if (hasPort && IsStrictAddress(host) && IPEndPoint.TryParse(text, out var endPoint))
        {
            return endPoint;
        }

        Error(file, address.Offset, $"invalid {keyword} address '{text}': expected IP:PORT such as {example} or [::1]:{example[(example.LastIndexOf(':') + 1)..]}");
        return null;
    }

    // ---- storage

    private StorageConfiguration? BindStorage(SourceFile file, StorageStatement statement)
    {
        string? root = null;
        ImageFormat? format = null;
        var shared = SharedStorage.Default;
        var seen = new Dictionary<string, int>();
        foreach (var property in statement.Properties)
        {
            if (!FirstProperty(seen, file, property, "storage"))
            {
                continue;
            }

            switch (property)
            {
                case RootProperty rootProperty:
                    root = ResolveDirectory(file, rootProperty.Path);
                    break;
                case FormatProperty formatProperty:
                    format = BindFormat(file, formatProperty);
                    break;
                case TextProperty { Name: "catalog" } text:
                    shared = shared with { Catalog = text.Text.Value };
                    break;
                case TextProperty { Name: "store" } text:
                    if (!Store.S3Location.TryParse(text.Text.Value, out _, out var storeError))
                    {
                        Error(file, text.Text.Offset, storeError);
                    }

                    shared = shared with { Store = text.Text.Value };
                    break;
                case TextProperty { Name: "s3-endpoint" } text:
                    if (!Uri.TryCreate(text.Text.Value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                    {
                        Error(file, text.Text.Offset, $"'{text.Text.Value}' is not an S3 endpoint: expected http://HOST:PORT or https://HOST");
                    }

                    shared = shared with { S3Endpoint = text.Text.Value };
                    break;
                case TextProperty { Name: "server" } text:
                    shared = shared with { ServerName = text.Text.Value };
                    break;
                case CapacityProperty { Keyword: "cache" } cache:
                    if (ByteSize.TryParse(cache.Size.Value, out var cacheBytes, out var cacheError) && cacheBytes > 0)
                    {
                        shared = shared with { CacheLimit = cacheBytes };
                    }
                    else
                    {
                        Error(file, cache.Size.Offset, cacheError ?? "cache must be more than 0");
                    }

                    break;
                case NumberProperty { Name: "lease" } lease:
                    if (int.TryParse(lease.Digits.Value, out var seconds) && seconds is >= 3 and <= 3600)
                    {
                        shared = shared with { Lease = TimeSpan.FromSeconds(seconds) };
                    }
                    else
                    {
                        Error(file, lease.Digits.Offset, "lease is 3 to 3600 seconds");
                    }

                    break;
            }
        }

        root ??= Path.GetFullPath(Path.Combine(file.Directory, "ctape-data"));
        return new StorageConfiguration(root, format ?? ImageFormat.Aws, shared == SharedStorage.Default ? null : shared);
    }

    private string? ResolveDirectory(SourceFile file, Located<string> path)
    {
        if (path.Value.Length == 0)
        {
            Error(file, path.Offset, "storage root is empty");
            return null;
        }

        if (path.Value.Contains('\0', StringComparison.Ordinal))
        {
            Error(file, path.Offset, "storage root contains a NUL character");
            return null;
        }

        return Path.GetFullPath(Path.Combine(file.Directory, path.Value));
    }

    private ImageFormat? BindFormat(SourceFile file, FormatProperty property)
    {
        if (property.Compression == HetCompression.None)
        {
            return property.Kind == ImageFileKind.Aws ? ImageFormat.Aws : new ImageFormat(ImageFileKind.Het, HetCompression.None, 0);
        }

        var level = ImageFormat.DefaultLevel;
        if (property.Level is { } levelText)
        {
            if (!int.TryParse(levelText.Value, NumberStyles.None, CultureInfo.InvariantCulture, out level) || level is < 1 or > 9)
            {
                Error(file, levelText.Offset, $"compression level {levelText.Value} is out of range, expected 1 to 9");
                return null;
            }
        }

        return new ImageFormat(ImageFileKind.Het, property.Compression, level);
    }

    // ---- drives

    private sealed class DriveDraft(DriveConfiguration configuration, SourceFile file, int offset, int poolOffset)
    {
        public DriveConfiguration Configuration { get; } = configuration;
        public SourceFile File { get; } = file;
        public int Offset { get; } = offset;
        public int PoolOffset { get; } = poolOffset;
    }

    private void BindDrive(SourceFile file, DriveStatement statement)
    {
        TapeModel? model = null;
        MediaProperty? media = null;
        PoolReferenceProperty? pool = null;
        var seen = new Dictionary<string, int>();
        foreach (var property in statement.Properties)
        {
            if (!FirstProperty(seen, file, property, "drive"))
            {
                continue;
            }

            switch (property)
            {
                case ModelProperty m:
                    model = m.Model;
                    break;
                case MediaProperty m:
                    media = m;
                    break;
                case PoolReferenceProperty p:
                    pool = p;
                    break;
            }
        }

        var effectiveModel = model ?? TapeModel.Ibm3490;
        var effectiveMedia = media?.Media ?? MediaTypes.DefaultFor(effectiveModel);
        if (media is not null && !media.Media.IsSupportedBy(effectiveModel))
        {
            Error(file, media.Offset, $"media {MediaTypes.Name(media.Media)} is not supported by model {(ushort)effectiveModel:X} drives");
        }

        var poolName = pool?.Pool.Value;
        foreach (var range in statement.Devices)
        {
            if (!TryBindDeviceRange(file, range, out var first, out var last))
            {
                continue;
            }

            for (var device = first; device <= last; device++)
            {
                var number = (ushort)device;
                if (_drives.TryGetValue(number, out var existing))
                {
                    Error(file, range.First.Offset, $"device {number:X4} is already defined at {existing.File.Describe(existing.Offset)}");
                    break;
                }

                _drives.Add(number, new DriveDraft(
                    new DriveConfiguration(number, effectiveModel, effectiveMedia, poolName),
                    file,
                    range.First.Offset,
                    pool?.Pool.Offset ?? statement.Offset));
            }
        }
    }

    private bool TryBindDeviceRange(SourceFile file, DeviceRangeSyntax range, out int first, out int last)
    {
        last = 0;
        if (!TryBindDevice(file, range.First, out first))
        {
            return false;
        }

        if (range.Last is not { } lastText)
        {
            last = first;
            return true;
        }

        if (!TryBindDevice(file, lastText, out last))
        {
            return false;
        }

        if (last < first)
        {
            Error(file, range.First.Offset, $"device range {range.First.Value}-{lastText.Value} ends before it starts");
            return false;
        }

        return true;
    }

    private bool TryBindDevice(SourceFile file, Located<string> text, out int device)
    {
        device = 0;
        if (text.Value.Length > 4)
        {
            Error(file, text.Offset, $"device number '{text.Value}' has more than 4 hex digits");
            return false;
        }

        device = int.Parse(text.Value, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        return true;
    }

    // ---- limits

    private LimitsConfiguration BindLimits(SourceFile file, LimitsStatement statement)
    {
        var connections = LimitsConfiguration.Default.MaxConnections;
        var history = LimitsConfiguration.Default.MountHistory;
        var perAddress = LimitsConfiguration.DefaultConnectionsPerAddress;
        var handshake = LimitsConfiguration.DefaultHandshakeSeconds;
        var seen = new Dictionary<string, int>();
        foreach (var property in statement.Properties)
        {
            if (!FirstProperty(seen, file, property, "limits") || property is not NumberProperty number)
            {
                continue;
            }

            var (minimum, maximum) = number.Name switch
            {
                "connections" or "connections-per-address" => (1, MaxConnections),
                "handshake-timeout" => (1, 3600),
                _ => (0, MaxMountHistory),
            };
            if (!int.TryParse(number.Digits.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
                || value < minimum || value > maximum)
            {
                Error(file, number.Digits.Offset, $"{number.Name} {number.Digits.Value} is out of range, expected {minimum} to {maximum}");
                continue;
            }

            switch (number.Name)
            {
                case "connections":
                    connections = value;
                    break;
                case "connections-per-address":
                    perAddress = value;
                    break;
                case "handshake-timeout":
                    handshake = value;
                    break;
                default:
                    history = value;
                    break;
            }
        }

        return new LimitsConfiguration(connections, history) { MaxConnectionsPerAddress = perAddress, HandshakeSeconds = handshake };
    }

    // ---- references between statements

    private void CheckReferences()
    {
        // One error per drive statement, not one per device number of its range.
        var reported = new HashSet<(SourceFile, int)>();
        foreach (var drive in _drives.Values)
        {
            var poolName = drive.Configuration.Pool;
            if (poolName is null)
            {
                continue;
            }

            var pool = _poolsByName.GetValueOrDefault(poolName);
            if (pool is null)
            {
                if (reported.Add((drive.File, drive.PoolOffset)))
                {
                    Error(drive.File, drive.PoolOffset, $"unknown pool '{poolName}'");
                }

                continue;
            }

            if (pool.Configuration.Media != drive.Configuration.Media && reported.Add((drive.File, drive.PoolOffset)))
            {
                Error(
                    drive.File,
                    drive.PoolOffset,
                    $"pool {poolName} holds {MediaTypes.Name(pool.Configuration.Media)} volumes but drive {drive.Configuration.DeviceNumber:X4} takes {MediaTypes.Name(drive.Configuration.Media)}");
            }
        }

        if (_admin?.Drives is { } adminDrives)
        {
            foreach (var (device, file, offset) in adminDrives)
            {
                if (!_drives.ContainsKey(device))
                {
                    Error(file, offset, $"admin drive {device:X4} is not defined by a drive statement");
                }
            }
        }
    }

    // ---- helpers

    private bool Single(ref (SourceFile File, int Offset)? first, SourceFile file, int offset, string keyword)
    {
        if (first is { } at)
        {
            Error(file, offset, $"duplicate {keyword} statement, first at {at.File.Describe(at.Offset)}");
            return false;
        }

        first = (file, offset);
        return true;
    }

    /// <summary>False (and an error) when the property's keyword already appeared in this block; parse errors are skipped.</summary>
    private bool FirstProperty(Dictionary<string, int> seen, SourceFile file, PropertySyntax property, string block)
    {
        if (property is PropertyError)
        {
            return false;
        }

        if (seen.TryGetValue(property.Keyword, out var firstOffset))
        {
            Error(file, property.Offset, $"duplicate {property.Keyword} in {block}, first at {file.Describe(firstOffset)}");
            return false;
        }

        seen.Add(property.Keyword, property.Offset);
        return true;
    }

    private void Error(SourceFile file, int offset, string message) => _errors.Add(file.Error(offset, message));
}
