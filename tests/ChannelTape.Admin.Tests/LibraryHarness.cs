using ChannelTape.Admin.Volumes;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Hosting;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using ChannelTape.Runtime;

namespace ChannelTape.Admin.Tests;

/// <summary>
/// A whole library in process, built by the server's own composition root (<see cref="LibraryHost"/>) with
/// drives that run on the caller's thread: the real catalog in a temporary directory, a configuration
/// parsed from text, the administrative volumes in front of the catalog, real 3490 drives whose CCWs are
/// recorded in the statistics, and library work a CCW posts run right after it.
/// </summary>
internal sealed class LibraryHarness : IAsyncDisposable
{
    public const string ConfigurationTemplate = """
        storage { root "{ROOT}"; format aws; }
        drive 0580-0582 { model 3490; media 3490E; pool SCRATCH; }
        pool SCRATCH { volumes T00000-T00019; media 3490E; capacity 10M; labels SL; scratch; }
        pool PRIV { volumes P00000-P00009; media 3490E; capacity 20M; labels SL; private; }
        pool OFFSITE { media 3490E; capacity 10M; labels SL; }
        admin { prefix "#"; hosts 127.0.0.0/8; drives 0580-0581; }
        """;

    private readonly string _root = Directory.CreateTempSubdirectory("ctape-admin-lib-").FullName;

    public LibraryHarness()
    {
        var result = ConfigurationParser.ParseText(ConfigurationTemplate.Replace("{ROOT}", _root, StringComparison.Ordinal), "test.conf", _root);
        Assert.Empty(result.Errors);
        Assert.True(LibraryHost.TryBuild(result.Configuration!, new LibraryHostOptions { Execution = DriveExecution.Inline }, out var host, out var error), error);
        Host = host;
        foreach (var drive in host.Drives)
        {
            AttachHost(drive.DeviceNumber, "127.0.0.1:40001");
        }
    }

    public LibraryHost Host { get; }

    public LibraryConfiguration Configuration => Host.Configuration;

    public LibraryCatalog Catalog => Host.Catalog;

    public LibraryView View => Host.View;

    public LibraryManager Library => Host.Manager;

    public ServerStatistics Statistics => Host.Statistics;

    public AdminVolumeResolver AdminVolumes => Host.AdminVolumes;

    /// <summary>The drive at <paramref name="deviceNumber"/> as a host's channel drives it: each CCW under the drive's executor.</summary>
    public IChannelDevice Device(ushort deviceNumber) => Host.Drive(deviceNumber).ChannelDevice;

    /// <summary>The tape drive at <paramref name="deviceNumber"/>.</summary>
    public TapeDrive Tape(ushort deviceNumber) => Host.Drive(deviceNumber).Drive;

    /// <summary>Every tape drive, by device number.</summary>
    public IEnumerable<TapeDrive> Tapes => Host.Drives.Select(d => d.Drive);

    /// <summary>Attaches the drive for <paramref name="host"/> (the peer address the server would record).</summary>
    public void AttachHost(ushort deviceNumber, string host) =>
        Assert.True(Host.Drive(deviceNumber).TryAttach(new LocalHolder(host), host, takeOver: true, out _));

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>The host of an in-process channel: it sees unsolicited status through the drive itself.</summary>
    private sealed class LocalHolder(string name) : IDriveHolder
    {
        public string Name => name;

        public void OnUnsolicitedStatus(UnitStatus status)
        {
        }
    }
}
