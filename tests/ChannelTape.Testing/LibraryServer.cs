using System.Net;
using ChannelTape.Hosting;
using ChannelTape.Library.Configuration;

namespace ChannelTape.Testing;

/// <summary>
/// A library served as <c>ctape serve</c> serves it (the one composition root, <see cref="LibraryHost"/>),
/// listening on 127.0.0.1 port 0, with every event recorded from the first on.
/// </summary>
public sealed class LibraryServer : IAsyncDisposable
{
    private LibraryServer(LibraryHost host, EventRecorder recorder)
    {
        Host = host;
        Recorder = recorder;
    }

    public LibraryHost Host { get; }

    public EventRecorder Recorder { get; }

    public IPEndPoint EndPoint => Host.Server.LocalEndPoint;

    /// <summary>The management API's address (<paramref name="management"/> given to <see cref="Start"/>).</summary>
    public Uri ManagementAddress => Host.Management?.Address ?? throw new InvalidOperationException("started without the management API");

    /// <summary>
    /// Builds and starts the library of <paramref name="configuration"/>; throws when it cannot be served. With
    /// <paramref name="management"/> the management API listens on 127.0.0.1 port 0 too; without, it is off.
    /// </summary>
    public static LibraryServer Start(LibraryConfiguration configuration, LibraryHostOptions? options = null, bool management = false)
    {
        var events = new Runtime.Events.TapeEventHub();
        var recorder = new EventRecorder(events);
        configuration = configuration with
        {
            Listen = new IPEndPoint(IPAddress.Loopback, 0),
            Management = configuration.Management with { Http = management ? new IPEndPoint(IPAddress.Loopback, 0) : null },
        };
        if (!LibraryHost.TryBuild(configuration, options ?? new LibraryHostOptions(),
                out var host, out var error, events))
        {
            recorder.Dispose();
            throw new InvalidOperationException(error);
        }

        host.Start();
        return new LibraryServer(host, recorder);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Recorder.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
