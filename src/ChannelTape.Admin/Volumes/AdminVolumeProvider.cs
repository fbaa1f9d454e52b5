using System.Net;
using ChannelTape.Admin.Reports;
using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Library;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using ChannelTape.Media;

namespace ChannelTape.Admin.Volumes;

/// <summary>
/// Plugs the administrative volumes into the library's mounts: <see cref="LibraryManager"/> asks
/// this provider first for every serial a Load Display (or an operator) mounts. Command volumes
/// are authorised by <see cref="AdminConfiguration"/>: the connection's peer address must be in
/// <c>admin hosts</c> and the drive in <c>admin drives</c>.
/// </summary>
public sealed class AdminVolumeProvider : ISpecialVolumeProvider
{
    private readonly AdminVolumeService _service;
    private readonly ServerStatistics? _statistics;

    public AdminVolumeProvider(AdminVolumeService service, ServerStatistics? statistics = null)
    {
        _service = service;
        _statistics = statistics;
    }

    public AdminVolumeService Service => _service;

    /// <summary>
    /// The whole wiring for a server: the service over the catalog, the library's drives and the
    /// journal, storing images under the configured storage root, authorised by the configuration.
    /// The provider must exist before the <see cref="LibraryManager"/> (which takes it), and the
    /// data source needs the manager: hence <paramref name="library"/> is a function called when a
    /// report is built.
    /// </summary>
    public static AdminVolumeProvider Create(
        LibraryConfiguration configuration,
        LibraryCatalog catalog,
        Func<LibraryManager> library,
        Func<IEnumerable<TapeDrive>> drives,
        ServerStatistics statistics,
        TimeProvider? time = null)
    {
        var source = new DeferredDataSource(() => new LibraryAdminDataSource(configuration, catalog, library(), drives, statistics, time));
        var target = new AdminCommandTarget(catalog, configuration);
        var service = new AdminVolumeService(source, target, configuration.Storage.Root, configuration.Admin.Prefix,
            requester => MayIssueCommands(configuration.Admin, requester), time);
        return new AdminVolumeProvider(service, statistics);
    }

    /// <summary>
    /// True when commands from <paramref name="requester"/> are accepted: its host is an IP address
    /// (<c>address</c> or <c>address:port</c>, IPv6 in brackets) inside <c>admin hosts</c> and its
    /// drive is in <c>admin drives</c>. A host that is not an address (an in-process drive) is refused.
    /// </summary>
    public static bool MayIssueCommands(AdminConfiguration admin, AdminRequester requester) =>
        TryParseHostAddress(requester.Host, out var address)
        && admin.AllowsHost(address!)
        && requester.DeviceNumber is >= 0 and <= ushort.MaxValue
        && admin.AllowsDrive((ushort)requester.DeviceNumber);

    /// <summary>The address of a host string: <c>10.1.2.3</c>, <c>10.1.2.3:4711</c>, <c>::1</c>, <c>[::1]:4711</c>.</summary>
    public static bool TryParseHostAddress(string host, out IPAddress? address)
    {
        if (IPEndPoint.TryParse(host, out var endPoint))
        {
            address = endPoint.Address;
            return true;
        }

        address = null;
        return false;
    }

    public bool TryOpen(string volumeSerial, ushort deviceNumber, string host, out ITapeMedia? media, out string? error)
    {
        media = null;
        error = null;
        if (!IsAdministrativeSerial(volumeSerial, out var name))
        {
            return false;
        }

        try
        {
            media = _service.Open(name!, new AdminRequester(deviceNumber, host));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LabelWriteException or InvalidDataException or System.Data.Common.DbException)
        {
            // The library keeps the mount pending with this reason; the journal shows it too.
            error = $"administrative volume {name!.VolumeSerial} could not be built: {e.Message}";
            _statistics?.RecordEvent(deviceNumber, "MOUNTFAIL", error);
            return true;
        }
    }

    public void OnUnloaded(string volumeSerial, ushort deviceNumber, string host)
    {
        if (!IsAdministrativeSerial(volumeSerial, out var name))
        {
            return;
        }

        try
        {
            _service.OnUnloaded(name!, new AdminRequester(deviceNumber, host));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LabelWriteException or InvalidDataException or System.Data.Common.DbException)
        {
            _statistics?.RecordEvent(deviceNumber, "COMMANDFAIL", $"command volume {name!.VolumeSerial} not processed: {e.Message}");
        }
    }

    /// <summary>
    /// Only serials of volume serial characters are administrative: a Load Display can carry any
    /// byte, and the serial becomes a file name. Anything else is left to the library (which
    /// refuses it as not a volume serial).
    /// </summary>
    private bool IsAdministrativeSerial(string volumeSerial, out AdminVolumeName? name)
    {
        name = null;
        return volumeSerial.TrimEnd().All(VolumeSerial.IsValidCharacter) && _service.TryParse(volumeSerial, out name);
    }

    /// <summary>Builds the real data source on first use (the library manager exists by then).</summary>
    private sealed class DeferredDataSource(Func<IAdminDataSource> create) : IAdminDataSource
    {
        private readonly Lazy<IAdminDataSource> _source = new(create);

        public IEnumerable<DriveStatusRow> Drives(int? deviceNumber) => _source.Value.Drives(deviceNumber);
        public IEnumerable<VolumeStatusRow> Volumes(string serialPrefix) => _source.Value.Volumes(serialPrefix);
        public IEnumerable<ScratchVolumeRow> Scratch(string poolPrefix) => _source.Value.Scratch(poolPrefix);
        public IEnumerable<PoolStatusRow> Pools(string poolPrefix) => _source.Value.Pools(poolPrefix);
        public IEnumerable<MountStatusRow> Mounts(int? deviceNumber) => _source.Value.Mounts(deviceNumber);
        public IEnumerable<StatisticRow> Statistics() => _source.Value.Statistics();
        public IEnumerable<ConfigurationLineRow> Configuration() => _source.Value.Configuration();
        public IEnumerable<EventRow> Events(int? deviceNumber) => _source.Value.Events(deviceNumber);
    }
}
