using ChannelTape.Admin.Volumes;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using ChannelTape.Runtime.Events;
using ChannelTape.Server;

namespace ChannelTape.Management;

/// <summary>
/// What the operations plane watches and steers, as the composition root (LibraryHost) built it: the
/// configuration, the library's view of drives and catalog, the server, its statistics and its events.
/// </summary>
/// <param name="Configuration">The effective configuration (with the command line's overrides).</param>
/// <param name="View">Drives, catalog and configuration as readers see them.</param>
/// <param name="Server">The tape server (connections, streaming totals).</param>
/// <param name="Statistics">CCW totals and the EVENTS journal.</param>
/// <param name="Events">Where everything the server and the library do is published.</param>
/// <param name="Time">The clock.</param>
public sealed record ManagedLibrary(
    LibraryConfiguration Configuration,
    LibraryView View,
    TapeServer Server,
    ServerStatistics Statistics,
    TapeEventHub Events,
    TimeProvider Time)
{
    public LibraryCatalog Catalog => View.Catalog;
}
