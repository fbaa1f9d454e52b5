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
    public const string Help = "[--config FILE] [--listen ADDR:PORT] [--data DIR] [--no-write-behind] [--no-read-ahead] [--no-read-by-reference] [--http ADDR:PORT | --no-http] [--secret-file FILE] [--log-level LEVEL] [--log-format text|json]: serve the drives to Hercules";

    public static int Run(string[] args)
    {
        var arguments = new Arguments(args, valueOptions: ["--config", "--listen", "--data", "--http", "--secret-file", "--log-level", "--log-format"],
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
