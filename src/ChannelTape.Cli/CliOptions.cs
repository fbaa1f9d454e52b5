using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using ChannelTape.Admin.Volumes;
using ChannelTape.Client;

namespace ChannelTape.Cli;

/// <summary>A server's address as <c>--server</c> takes it: <c>HOST:PORT</c>, an IPv6 host in brackets.</summary>
public sealed record ServerAddress(string Host, int Port)
{
    /// <summary><c>HOST:PORT</c> (an IPv6 host in brackets), or null.</summary>
    public static ServerAddress? TryParse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port)
            || port is < 1 or > 65535)
        {
            return null;
        }

        string host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return host.Length == 0 ? null : new ServerAddress(host, port);
    }

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>Device numbers FIRST-LAST (hex), the drives a command may take a free one of.</summary>
public readonly record struct DriveRange(ushort First, ushort Last)
{
    public static readonly DriveRange Default = new(0x0580, 0x0587);

    public static DriveRange? TryParse(string text)
    {
        string[] parts = text.Split('-');
        return parts.Length is 1 or 2 && TryParseDevice(parts[0], out ushort first) && TryParseDevice(parts[^1], out ushort last) && first <= last
            ? new DriveRange(first, last)
            : null;
    }

    /// <summary>A device number: 1 to 4 hex digits.</summary>
    public static bool TryParseDevice(string text, out ushort device) =>
        ushort.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out device) && text.Length <= 4;

    public override string ToString() => $"{First:X4}-{Last:X4}";
}

/// <summary>The options several commands share, each with its help text and a parser that says what it wants.</summary>
public static class CliOptions
{
    /// <summary>Default data directory of the offline commands.</summary>
    public const string DefaultDataDirectory = "ctape-data";

    public static Option<bool> Json(string what) => new("--json") { Description = $"Print {what} as one JSON document (docs/json.md)" };

    public static Option<string> Data() => new("--data")
    {
        Description = "The library's data directory (catalog and volumes), used directly without a server",
        HelpName = "DIR",
        DefaultValueFactory = _ => DefaultDataDirectory,
    };

    public static Option<ServerAddress?> Server(string what) => new("--server")
    {
        Description = $"{what} of the ChannelTape server at HOST:PORT (ctape serve), reached through the wire protocol",
        HelpName = "HOST:PORT",
        CustomParser = result => ServerAddress.TryParse(Single(result)) is { } address
            ? address
            : Fail<ServerAddress?>(result, $"--server wants HOST:PORT (e.g. 127.0.0.1:7490), got '{Single(result)}'"),
    };

    /// <summary><c>--secret-file FILE</c>: the server's shared secret, proved on the wire and sent to the management API as its token.</summary>
    public static Option<string?> SecretFile() => new("--secret-file")
    {
        Description = "The server's shared secret (docs/security.md): proved on the wire and sent to the management API as a bearer token; "
            + "default $" + RemoteDeviceOptions.SecretFileVariable,
        HelpName = "FILE",
    };

    /// <summary><c>--api URL</c>: the management API's address instead of the one the server announces.</summary>
    public static Option<Uri?> Api() => new("--api")
    {
        Description = "The server's management API (e.g. http://127.0.0.1:7491/) instead of the address the server announces in its Hello reply",
        HelpName = "URL",
        CustomParser = result => Uri.TryCreate(Single(result), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : Fail<Uri?>(result, $"--api wants an http:// or https:// address, got '{Single(result)}'"),
    };

    /// <summary>A required argument DEVNUM: a device number, hex.</summary>
    public static Argument<ushort> Device() => new("DEVNUM")
    {
        Description = "Device number of the server's drive, hex (e.g. 0580)",
        CustomParser = result => DriveRange.TryParseDevice(Single(result), out ushort device)
            ? device
            : Fail<ushort>(result, $"'{Single(result)}' is not a device number (1-4 hex digits, e.g. 0580)"),
    };

    internal static string Single(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[0].Value : "";

    internal static T Fail<T>(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default!;
    }
}

/// <summary>
/// How a command reaches a running server's library: <c>--server</c>, the drives it may take a free one of
/// (<c>--drives</c>), the administrative prefix (<c>--prefix</c>) and how long a mount may take
/// (<c>--timeout</c>). <c>lms</c>, <c>status</c> and <c>volume</c> take the same four.
/// </summary>
public sealed class ServerOptions
{
    private readonly bool _api;

    /// <param name="what">What the command reads or changes on the server, for the help text.</param>
    /// <param name="required">The command needs a server.</param>
    /// <param name="api">The command uses the server's management API when it has one (<c>--api</c>); false for the in-band LMS path.</param>
    public ServerOptions(string what, bool required = false, bool api = true)
    {
        Server = CliOptions.Server(what);
        Server.Required = required;
        _api = api;
        if (!required)
        {
            // Offline they mean nothing (and are refused): say so where they are listed beside --data.
            foreach (var option in new Option[] { Drives, Prefix, Timeout, SecretFile, Api })
            {
                string description = option.Description ?? "";
                option.Description = "With --server: " + (description.Length > 0 ? char.ToLowerInvariant(description[0]) + description[1..] : description);
            }
        }
    }

    /// <summary>How long a mount may take when <c>--timeout</c> is not given.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public Option<ServerAddress?> Server { get; }

    public Option<DriveRange> Drives { get; } = new("--drives")
    {
        Description = "Drives to take a free one of (attachable and empty), hex FIRST-LAST",
        HelpName = "FIRST-LAST",
        DefaultValueFactory = _ => DriveRange.Default,
        CustomParser = result => DriveRange.TryParse(CliOptions.Single(result)) is { } range
            ? range
            : CliOptions.Fail<DriveRange>(result, $"--drives wants FIRST-LAST in hex (e.g. 0580-0587), got '{CliOptions.Single(result)}'"),
    };

    public Option<string> Prefix { get; } = new("--prefix")
    {
        Description = "First character(s) of administrative volume serials, as the server's configuration sets them",
        HelpName = "PREFIX",
        DefaultValueFactory = _ => AdminVolumeName.DefaultPrefix,
    };

    public Option<TimeSpan> Timeout { get; } = new("--timeout")
    {
        Description = "Seconds to wait for the library to mount a volume (a report, a command volume, a copy's volume) before giving up and withdrawing the request (default 30)",
        HelpName = "SECONDS",
        CustomParser = result => double.TryParse(CliOptions.Single(result), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double seconds)
            && seconds is > 0 and <= 86400
                ? TimeSpan.FromSeconds(seconds)
                : CliOptions.Fail<TimeSpan>(result, $"--timeout wants seconds, a number above 0 (e.g. 30 or 2.5), got '{CliOptions.Single(result)}'"),
    };

    public Option<string?> SecretFile { get; } = CliOptions.SecretFile();

    public Option<Uri?> Api { get; } = CliOptions.Api();

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Server);
        command.Options.Add(Drives);
        command.Options.Add(Prefix);
        command.Options.Add(Timeout);
        command.Options.Add(SecretFile);
        if (_api)
        {
            command.Options.Add(Api);
        }
    }

    /// <summary>The server asked for, or null when the command runs without one.</summary>
    public ServerTarget? Read(ParseResult parse) => parse.GetValue(Server) is { } address
        ? new ServerTarget(address, parse.GetValue(Drives), parse.GetValue(Prefix)!,
            parse.GetResult(Timeout) is { Implicit: false } ? parse.GetValue(Timeout) : DefaultTimeout)
        {
            SecretFile = parse.GetValue(SecretFile),
            Api = _api ? parse.GetValue(Api) : null,
        }
        : null;

    /// <summary>True when one of the server-only options was given on the command line.</summary>
    public bool AnyServerOnlyGiven(ParseResult parse) =>
        parse.GetResult(Drives) is { Implicit: false } || parse.GetResult(Prefix) is { Implicit: false } || parse.GetResult(Timeout) is { Implicit: false }
        || parse.GetResult(SecretFile) is { Implicit: false } || (_api && parse.GetResult(Api) is { Implicit: false });
}

/// <summary>A server and how to use it (<see cref="ServerOptions"/>).</summary>
public sealed record ServerTarget(ServerAddress Address, DriveRange Drives, string Prefix, TimeSpan Timeout)
{
    /// <summary>The secret file to prove (<c>--secret-file</c>); null = <c>$CTAPE_SECRET_FILE</c>, if set.</summary>
    public string? SecretFile { get; init; }

    /// <summary>The management API's address (<c>--api</c>); null = the one the server announces in its HelloReply.</summary>
    public Uri? Api { get; init; }

    /// <summary>How to connect to the server's drives (and to greet it): the secret file when one was given.</summary>
    public RemoteDeviceOptions DeviceOptions(RemoteDeviceOptions options) =>
        SecretFile is { } file ? options with { SecretFile = Path.GetFullPath(file) } : options;
}
