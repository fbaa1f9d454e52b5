using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using ChannelTape.Hosting;
using ChannelTape.Library.Configuration;
using ChannelTape.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape serve</c>: runs the server (docs/protocol.md) on the drives of the configuration — the embedded
/// default (drives 0580-0587, 3490, data under ./ctape-data, 127.0.0.1:7490, the management API on
/// 127.0.0.1:7491) without <c>--config</c>. <c>--listen</c> and <c>--data</c> override the configuration's
/// <c>listen</c> and storage root; <c>--catalog</c>, <c>--store</c>, <c>--s3-endpoint</c> and <c>--lease</c> its
/// shared library (docs/scale-out.md); <c>--http</c>, <c>--no-http</c>, <c>--secret-file</c>, <c>--log-level</c>
/// and <c>--log-format</c> its operations plane (docs/operations.md); the <c>--no-</c> flags keep the server
/// from granting write-behind, read-ahead or read-ahead by reference (protocol §5; the last only ever to a
/// host on a loopback address) to hosts that ask. Runs on the generic host: SIGINT or
/// SIGTERM shuts down in order (the CCW in progress finishes, hosts get Close, every volume is closed), and
/// under systemd (<c>Type=notify</c>) the service reports when it is ready.
/// </summary>
public static class ServeCommand
{
    public static Command Create(CliContext context) => new ServeOptions().Create(context);

    /// <summary>The protocol §5 features granted: all three, less those turned off on the command line.</summary>
    public static ProtocolFeatures Features(bool noWriteBehind, bool noReadAhead, bool noReadByReference)
    {
        var features = ProtocolFeatureRules.All;
        if (noWriteBehind)
        {
            features &= ~ProtocolFeatures.WriteBehind;
        }

        if (noReadAhead)
        {
            features &= ~ProtocolFeatures.ReadAhead;
        }

        if (noReadByReference)
        {
            features &= ~ProtocolFeatures.ReadAheadByReference;
        }

        return features;
    }

    /// <summary>The configuration of <paramref name="path"/>, or the embedded default for null; false after writing its errors.</summary>
    public static bool TryLoad(string? path, TextWriter error, [NotNullWhen(true)] out LibraryConfiguration? configuration)
    {
        if (path is null)
        {
            configuration = ConfigurationParser.LoadDefault();
            return true;
        }

        var result = ConfigurationParser.ParseFile(path);
        foreach (var e in result.Errors)
        {
            error.WriteLine(e);
        }

        configuration = result.Success ? result.Configuration : null;
        return configuration is not null;
    }

    /// <summary>The options of one <c>serve</c> command.</summary>
    private sealed class ServeOptions
    {
        private readonly Option<string?> _config = new("--config")
        {
            Description = "The configuration file (docs/config.md); without it the embedded default ('ctape config show' prints it)",
            HelpName = "FILE",
        };

        private readonly Option<IPEndPoint?> _listen = new("--listen")
        {
            Description = "Address and port to listen on, instead of the configuration's listen (e.g. 127.0.0.1:7490, [::1]:7490)",
            HelpName = "ADDR:PORT",
            CustomParser = result => IPEndPoint.TryParse(CliOptions.Single(result), out var endPoint)
                && (endPoint.Port != 0 || CliOptions.Single(result).EndsWith(":0", StringComparison.Ordinal))
                    ? endPoint
                    : CliOptions.Fail<IPEndPoint?>(result, $"--listen wants ADDR:PORT, got '{CliOptions.Single(result)}'"),
        };

        private readonly Option<string?> _data = new("--data")
        {
            Description = "Data directory (catalog and volumes), instead of the configuration's storage root",
            HelpName = "DIR",
        };

        private readonly Option<string?> _catalog = new("--catalog")
        {
            Description = "A PostgreSQL catalog shared by several servers (an Npgsql connection string; docs/scale-out.md), instead of the data folder's SQLite one",
            HelpName = "CONNECTION",
        };

        private readonly Option<string?> _store = new("--store")
        {
            Description = "An S3 store for the volume images of a shared library; the data folder is then its cache",
            HelpName = "s3://BUCKET[/PREFIX]",
            CustomParser = result => ChannelTape.Library.Store.S3Location.TryParse(CliOptions.Single(result), out _, out var error)
                ? CliOptions.Single(result)
                : CliOptions.Fail<string?>(result, $"--store: {error}"),
        };

        private readonly Option<Uri?> _s3Endpoint = new("--s3-endpoint")
        {
            Description = "The S3 endpoint (Ceph RGW, MinIO, AWS) of --store",
            HelpName = "URL",
            CustomParser = result => Uri.TryCreate(CliOptions.Single(result), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri
                : CliOptions.Fail<Uri?>(result, $"--s3-endpoint wants http://HOST:PORT or https://HOST, got '{CliOptions.Single(result)}'"),
        };

        private readonly Option<int?> _lease = new("--lease")
        {
            Description = "How long this server's mounts outlive it on a shared catalog, in seconds (3-3600)",
            HelpName = "SECONDS",
            CustomParser = result => int.TryParse(CliOptions.Single(result), out var seconds) && seconds is >= 3 and <= 3600
                ? seconds
                : CliOptions.Fail<int?>(result, $"--lease wants 3 to 3600 seconds, got '{CliOptions.Single(result)}'"),
        };

        private readonly Option<string?> _http = new("--http")
        {
            Description = "Address and port of the management API, metrics and status page, instead of the configuration's http (docs/operations.md)",
            HelpName = "ADDR:PORT",
        };

        private readonly Option<bool> _noHttp = new("--no-http") { Description = "No management API, metrics or status page" };

        private readonly Option<string?> _secretFile = new("--secret-file")
        {
            Description = "The server's shared secret: every host proves it (docs/security.md) and the management API's writes need it as a bearer token",
            HelpName = "FILE",
        };

        private readonly Option<bool> _insecure = new("--insecure")
        {
            Description = "Listen on an address beyond this machine without a secret (a warning is logged; docs/security.md)",
        };

        private readonly Option<string?> _logLevel = new("--log-level")
        {
            Description = "The least level logged: trace, debug, information, warning, error, critical",
            HelpName = "LEVEL",
        };

        private readonly Option<string?> _logFormat = new("--log-format")
        {
            Description = "text (one line per event) or json (one document per event, with its fields)",
            HelpName = "text|json",
        };

        private readonly Option<bool> _noWriteBehind = new("--no-write-behind") { Description = "Do not grant write-behind to hosts that ask (docs/protocol.md §5.1)" };
        private readonly Option<bool> _noReadAhead = new("--no-read-ahead") { Description = "Do not grant read-ahead (§5.2)" };
        private readonly Option<bool> _noReadByReference = new("--no-read-by-reference") { Description = "Do not grant read-ahead by reference (§5.3; only ever granted to a host on a loopback address)" };

        public Command Create(CliContext context)
        {
            var command = new Command("serve", "Serve the configured drives and library to Hercules (hercules/hdtctape.so) and any host of docs/protocol.md; SIGINT/SIGTERM stop it in order")
            {
                _config, _listen, _data, _catalog, _store, _s3Endpoint, _lease, _http, _noHttp, _secretFile, _insecure, _logLevel, _logFormat,
                _noWriteBehind, _noReadAhead, _noReadByReference,
            };
            command.SetAction(parse => Run(context, parse));
            return command;
        }

        private int Run(CliContext context, ParseResult parse)
        {
            if (!TryLoad(parse.GetValue(_config), context.Error, out var configuration))
            {
                return ExitCodes.Failure;
            }

            if (parse.GetValue(_listen) is { } endPoint)
            {
                configuration = configuration with { Listen = endPoint };
            }

            if (parse.GetValue(_data) is { } data)
            {
                configuration = configuration with { Storage = configuration.Storage with { Root = Path.GetFullPath(data) } };
            }

            configuration = SharedLibrary(parse, configuration);

            // The operations plane (docs/operations.md): management API address, secret, log level and format.
            if (!ServeOverrides.TryApply(configuration, parse.GetValue(_http), parse.GetValue(_noHttp), parse.GetValue(_secretFile),
                    parse.GetValue(_logLevel), parse.GetValue(_logFormat), out configuration, out var overrideError))
            {
                throw new UsageException(overrideError);
            }

            if (parse.GetValue(_insecure))
            {
                configuration = configuration with { Security = configuration.Security with { Insecure = true } };
            }

            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = Environment.CurrentDirectory });
            builder.Logging.AddChannelTapeConsole(configuration.Log);
            builder.Services.AddChannelTapeServer(configuration, new LibraryHostOptions { Features = Features(parse.GetValue(_noWriteBehind), parse.GetValue(_noReadAhead), parse.GetValue(_noReadByReference)) });
            using var host = builder.Build();
            var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
            lifetime.ApplicationStarted.Register(() =>
            {
                var library = host.Services.GetRequiredService<TapeServerService>().Library!;
                context.Output.WriteLine($"ctape serve: listening on {library.Server.LocalEndPoint}, data in {configuration.Storage.Root}");
                context.Output.Flush();
            });
            try
            {
                host.Run();
            }
            catch (LibraryStartException e)
            {
                // The catalog could not be opened or the address is in use: said once, without a stack trace.
                throw new CommandFailedException(e.Message);
            }

            return ExitCodes.Success;
        }

        /// <summary>The configuration's storage block with what --catalog, --store, --s3-endpoint and --lease say (a library shared by several servers).</summary>
        private LibraryConfiguration SharedLibrary(ParseResult parse, LibraryConfiguration configuration)
        {
            var shared = configuration.Storage.SharedOrDefault;
            if (parse.GetValue(_catalog) is { } catalog)
            {
                shared = shared with { Catalog = catalog };
            }

            if (parse.GetValue(_store) is { } store)
            {
                shared = shared with { Store = store };
            }

            if (parse.GetValue(_s3Endpoint) is { } endpoint)
            {
                shared = shared with { S3Endpoint = endpoint.OriginalString };
            }

            if (parse.GetValue(_lease) is { } seconds)
            {
                shared = shared with { Lease = TimeSpan.FromSeconds(seconds) };
            }

            return shared == configuration.Storage.SharedOrDefault
                ? configuration
                : configuration with { Storage = configuration.Storage with { Shared = shared } };
        }
    }
}
