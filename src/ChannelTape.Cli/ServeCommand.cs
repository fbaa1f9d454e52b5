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

        private readonly Option<bool> _noWriteBehind = new("--no-write-behind") { Description = "Do not grant write-behind to hosts that ask (docs/protocol.md §5.1)" };
        private readonly Option<bool> _noReadAhead = new("--no-read-ahead") { Description = "Do not grant read-ahead (§5.2)" };
        private readonly Option<bool> _noReadByReference = new("--no-read-by-reference") { Description = "Do not grant read-ahead by reference (§5.3; only ever granted to a host on a loopback address)" };

        public Command Create(CliContext context)
        {
            var command = new Command("serve", "Serve the configured drives and library to Hercules (hercules/hdtctape.so) and any host of docs/protocol.md; SIGINT/SIGTERM stop it in order")
            {
                _config, _listen, _data, _noWriteBehind, _noReadAhead, _noReadByReference,
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

            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ContentRootPath = Environment.CurrentDirectory });
            builder.Logging.AddChannelTapeConsole();
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
    }
}
