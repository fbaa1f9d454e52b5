using System.Net;
using ChannelTape.Library.Configuration;
using ChannelTape.Hosting;
using ChannelTape.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape serve [--config FILE] [--listen ADDR:PORT] [--data DIR] [--no-write-behind] [--no-read-ahead] [--no-read-by-reference]</c>:
/// runs the server (docs/protocol.md) on the drives of the configuration — the embedded default (drives
/// 0580-0587, 3490, data under ./ctape-data, 127.0.0.1:7490) without <c>--config</c>. <c>--listen</c> and
/// <c>--data</c> override the configuration's <c>listen</c> and storage root; the <c>--no-</c> flags keep
/// the server from granting write-behind, read-ahead or read-ahead by reference (protocol §5; the last
/// only ever to a host on a loopback address) to hosts that ask. Runs on the generic host: SIGINT or
/// SIGTERM shuts down in order (the CCW in progress finishes, hosts get Close, every volume is closed), and
/// under systemd (<c>Type=notify</c>) the service reports when it is ready.
/// </summary>
public static class ServeCommand
{
    public const string Help = "[--config FILE] [--listen ADDR:PORT] [--data DIR] [--catalog CONNECTION] [--store s3://BUCKET[/PREFIX]] [--s3-endpoint URL] [--lease SECONDS] [--no-write-behind] [--no-read-ahead] [--no-read-by-reference] [--http ADDR:PORT | --no-http] [--secret-file FILE] [--log-level LEVEL] [--log-format text|json]: serve the drives to Hercules";

    public static int Run(string[] args)
    {
        var arguments = new Arguments(args, valueOptions: ["--config", "--listen", "--data", "--catalog", "--store", "--s3-endpoint", "--lease", "--http", "--secret-file", "--log-level", "--log-format"],
            flagOptions: ["--no-write-behind", "--no-read-ahead", "--no-read-by-reference", "--no-http"]);
        if (arguments.Positional.Count != 0)
        {
            throw new UsageException($"unexpected '{arguments.Positional[0]}'");
        }

        if (!TryLoadConfiguration(arguments.Get("--config"), out var configuration))
        {
            return 1;
        }

        if (arguments.Get("--listen") is { } listen)
        {
            if (!IPEndPoint.TryParse(listen, out var endPoint) || endPoint.Port == 0 && !listen.EndsWith(":0", StringComparison.Ordinal))
            {
                throw new UsageException($"--listen wants ADDR:PORT, got '{listen}'");
            }

            configuration = configuration with { Listen = endPoint };
        }

        if (arguments.Get("--data") is { } data)
        {
            configuration = configuration with { Storage = configuration.Storage with { Root = Path.GetFullPath(data) } };
        }

        configuration = SharedLibrary(arguments, configuration);

        // The operations plane (docs/operations.md): management API address, secret, log level and format.
        if (!ServeOverrides.TryApply(configuration, arguments.Get("--http"), arguments.Has("--no-http"), arguments.Get("--secret-file"),
                arguments.Get("--log-level"), arguments.Get("--log-format"), out configuration, out var overrideError))
        {
            throw new UsageException(overrideError);
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = Environment.CurrentDirectory });
        builder.Logging.AddChannelTapeConsole(configuration.Log);
        builder.Services.AddChannelTapeServer(configuration, new LibraryHostOptions { Features = Features(arguments) });
        using var host = builder.Build();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        lifetime.ApplicationStarted.Register(() =>
        {
            var library = host.Services.GetRequiredService<TapeServerService>().Library!;
            Console.Out.WriteLine($"ctape serve: listening on {library.Server.LocalEndPoint}, data in {configuration.Storage.Root}");
            Console.Out.Flush();
        });
        try
        {
            host.Run();
        }
        catch (LibraryStartException e)
        {
            // The catalog could not be opened or the address is in use: said once, without a stack trace.
            Console.Error.WriteLine($"ctape serve: {e.Message}");
            return 1;
        }

        return 0;
    }

    /// <summary>
    /// <c>--catalog</c> (an Npgsql connection string), <c>--store s3://BUCKET[/PREFIX]</c>, <c>--s3-endpoint URL</c>
    /// and <c>--lease SECONDS</c> over the configuration's storage block: a library shared by several servers
    /// (docs/scale-out.md).
    /// </summary>
    public static LibraryConfiguration SharedLibrary(Arguments arguments, LibraryConfiguration configuration)
    {
        var shared = configuration.Storage.SharedOrDefault;
        if (arguments.Get("--catalog") is { } catalog)
        {
            shared = shared with { Catalog = catalog };
        }

        if (arguments.Get("--store") is { } store)
        {
            if (!ChannelTape.Library.Store.S3Location.TryParse(store, out _, out var error))
            {
                throw new UsageException($"--store: {error}");
            }

            shared = shared with { Store = store };
        }

        if (arguments.Get("--s3-endpoint") is { } endpoint)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new UsageException($"--s3-endpoint wants http://HOST:PORT or https://HOST, got '{endpoint}'");
            }

            shared = shared with { S3Endpoint = endpoint };
        }

        if (arguments.Get("--lease") is { } lease)
        {
            if (!int.TryParse(lease, out var seconds) || seconds is < 3 or > 3600)
            {
                throw new UsageException($"--lease wants 3 to 3600 seconds, got '{lease}'");
            }

            shared = shared with { Lease = TimeSpan.FromSeconds(seconds) };
        }

        return shared == configuration.Storage.SharedOrDefault
            ? configuration
            : configuration with { Storage = configuration.Storage with { Shared = shared } };
    }

    /// <summary>The protocol §5 features granted: all three, less those turned off on the command line.</summary>
    public static ProtocolFeatures Features(Arguments arguments)
    {
        var features = ProtocolFeatureRules.All;
        if (arguments.Has("--no-write-behind"))
        {
            features &= ~ProtocolFeatures.WriteBehind;
        }

        if (arguments.Has("--no-read-ahead"))
        {
            features &= ~ProtocolFeatures.ReadAhead;
        }

        if (arguments.Has("--no-read-by-reference"))
        {
            features &= ~ProtocolFeatures.ReadAheadByReference;
        }

        return features;
    }

    private static bool TryLoadConfiguration(string? path, out LibraryConfiguration configuration)
    {
        if (path is null)
        {
            configuration = ConfigurationParser.LoadDefault();
            return true;
        }

        var result = ConfigurationParser.ParseFile(path);
        if (!result.Success)
        {
            foreach (var e in result.Errors)
            {
                Console.Error.WriteLine(e);
            }

            configuration = null!;
            return false;
        }

        configuration = result.Configuration!;
        return true;
    }
}
