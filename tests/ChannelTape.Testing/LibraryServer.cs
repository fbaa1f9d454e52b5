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

    /// <summary>The management API's address (<c>management</c> given to <see cref="Start"/>).</summary>
    public Uri ManagementAddress => Host.Management?.Address ?? throw new InvalidOperationException("started without the management API");

    /// <summary>
    /// Builds and starts the library of <paramref name="configuration"/>; throws when it cannot be served. A
    /// configuration that names no image folder gets the system's temporary folder, where the tests keep the
    /// images they mount by path (docs/security.md: a server mounts images by path only inside image folders);
    /// <paramref name="tempImageFolder"/> false leaves it without. With <paramref name="management"/> the
    /// management API listens on 127.0.0.1 port 0 too; without, it is off.
    /// </summary>
    public static LibraryServer Start(LibraryConfiguration configuration, LibraryHostOptions? options = null, bool tempImageFolder = true, bool management = false)
    {
        var events = new Runtime.Events.TapeEventHub();
        var recorder = new EventRecorder(events);
        if (tempImageFolder && configuration.ImageFolders.Count == 0)
        {
            configuration = configuration with { ImageFolders = new ValueList<string>([Path.GetTempPath()]) };
        }

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
