using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using ChannelTape.Library.Configuration;
using ChannelTape.Admin.Volumes;
using ChannelTape.Protocol;
using ChannelTape.Server;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape serve [--config FILE] [--listen ADDR:PORT] [--data DIR] [--no-write-behind] [--no-read-ahead] [--no-read-by-reference]</c>:
/// runs the server (docs/protocol.md) on the drives of the configuration — the embedded default (drives
/// 0580-0587, 3490, data under ./ctape-data, 127.0.0.1:7490) without <c>--config</c>. <c>--listen</c> and
/// <c>--data</c> override the configuration's <c>listen</c> and storage root; the <c>--no-</c> flags keep
/// the server from granting write-behind, read-ahead or read-ahead by reference (protocol §5; the last
/// only ever to a host on a loopback address) to hosts that ask. SIGINT or SIGTERM
/// shuts down in order: the CCW in progress finishes, hosts get Close, every volume is closed.
/// </summary>
public static class ServeCommand
{
    public const string Help = "[--config FILE] [--listen ADDR:PORT] [--data DIR] [--no-write-behind] [--no-read-ahead] [--no-read-by-reference]: serve the drives to Hercules";

    public static int Run(string[] args)
    {
        var arguments = new Arguments(args, valueOptions: ["--config", "--listen", "--data"], flagOptions: ["--no-write-behind", "--no-read-ahead", "--no-read-by-reference"]);
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

        var log = new StandardErrorLog();
        if (!TryCreateDriveHost(configuration, log, out var drives, out var error))
        {
            Console.Error.WriteLine($"ctape serve: {error}");
            return 1;
        }

        using (drives)
        {
            var options = new TapeServerOptions
            {
                Listen = configuration.Listen,
                MaxConnections = configuration.Limits.MaxConnections,
                Features = Features(arguments),
            };
            var server = new TapeServer(drives, options, log);
            try
            {
                server.Start();
            }
            catch (SocketException e)
            {
                Console.Error.WriteLine($"ctape serve: cannot listen on {configuration.Listen}: {e.Message}");
                return 1;
            }

            using var stop = new ManualResetEventSlim(false);
            void OnSignal(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Set();
            }

            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            Console.Out.WriteLine($"ctape serve: listening on {server.LocalEndPoint}, data in {configuration.Storage.Root}");
            Console.Out.Flush();
            stop.Wait();
            server.StopAsync().GetAwaiter().GetResult();
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

    /// <summary>
    /// The drives of <paramref name="configuration"/> as the server serves them: the library with its
    /// administrative volumes (docs/admin-volumes.md), and every CCW of every drive recorded for the
    /// STATS and EVENTS reports.
    /// </summary>
    public static bool TryCreateDriveHost(LibraryConfiguration configuration, IServerLog log,
        [NotNullWhen(true)] out LibraryDriveHost? host, [NotNullWhen(false)] out string? error)
    {
        LibraryDriveHost? served = null;
        var statistics = new ServerStatistics(device => served?.Manager.State(device)?.VolumeSerial);
        var extensions = new LibraryHostExtensions(
            SpecialVolumes: (catalog, library, tapeDrives) => AdminVolumeProvider.Create(configuration, catalog, library, tapeDrives, statistics),
            WrapDevice: device => new StatisticsRecordingDevice(device, statistics));
        if (!LibraryDriveHost.TryCreate(configuration, log, special: null, out host, out error, extensions))
        {
            return false;
        }

        served = host;
        return true;
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
