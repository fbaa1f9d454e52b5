using System.Diagnostics.CodeAnalysis;
using System.Net;
using ChannelTape.Admin.Reports;
using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Library;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using ChannelTape.Runtime;
using ChannelTape.Media;

namespace ChannelTape.Admin.Volumes;

/// <summary>
/// The administrative volumes as a resolver placed in front of the catalog's
/// (docs/admin-volumes.md): a serial that names an administrative volume (<c>#DRIVE</c>, a command
/// volume ...) is built here; any other goes to <paramref name="inner"/>. Command volumes are authorised by
/// <see cref="AdminConfiguration"/>: the connection's peer address must be in <c>admin hosts</c> and the
/// drive in <c>admin drives</c>.
/// </summary>
public sealed class AdminVolumeResolver(IVolumeResolver inner, AdminVolumeService service, ServerStatistics? statistics = null,
    Runtime.Events.TapeEventHub? events = null) : IVolumeResolver
{
    public AdminVolumeService Service => service;

    /// <summary>
    /// The whole wiring for a server: the service over the library's view (reports), the catalog
    /// (commands) and the journal, storing images under the configured storage root, authorised by the
    /// configuration, in front of <paramref name="inner"/>.
    /// </summary>
    public static AdminVolumeResolver Create(LibraryView view, IVolumeResolver inner, ServerStatistics statistics, TimeProvider? time = null,
        Runtime.Events.TapeEventHub? events = null)
    {
        var configuration = view.Configuration;
        var source = new LibraryAdminDataSource(view, statistics, time);
        var target = new AdminCommandTarget(view.Catalog, configuration);
        var service = new AdminVolumeService(source, target, configuration.Storage.Root, configuration.Admin.Prefix,
            requester => MayIssueCommands(configuration.Admin, requester), time);
        return new AdminVolumeResolver(inner, service, statistics, events);
    }

    /// <summary>
    /// True when commands from <paramref name="requester"/> are accepted: its host is an IP address
    /// (<c>address</c> or <c>address:port</c>, IPv6 in brackets) inside <c>admin hosts</c>, its
    /// drive is in <c>admin drives</c>, and its host entry has the <c>command-volumes</c> permission
    /// (docs/security.md). A host that is not an address (an in-process drive) is refused.
    /// </summary>
    public static bool MayIssueCommands(AdminConfiguration admin, AdminRequester requester) =>
        (requester.Authority?.May(HostPermissions.CommandVolumes) ?? true)
        && TryParseHostAddress(requester.Host, out var address)
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

    public VolumeResolution Resolve(in VolumeRequest request)
    {
        if (request.Scratch || !IsAdministrativeSerial(request.Serial, out var name))
        {
            return inner.Resolve(request);
        }

        try
        {
            var requester = new AdminRequester(request.DeviceNumber, request.Host, request.Requester);
            return VolumeResolution.Of(new AdminLease(this, name, requester, service.Open(name, requester)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or LabelWriteException or InvalidDataException or System.Data.Common.DbException)
        {
            // The library keeps the mount pending with this reason; its MountRefused event reaches the journal.
            return VolumeResolution.Refused(VolumeRefusalReason.AdministrativeVolumeFailed,
                $"administrative volume {name.VolumeSerial} could not be built: {e.Message}");
        }
    }

    /// <summary>
    /// Only serials of volume serial characters are administrative: a Load Display can carry any
    /// byte, and the serial becomes a file name. Anything else is left to the library (which
    /// refuses it as not a volume serial).
    /// </summary>
    private bool IsAdministrativeSerial(string volumeSerial, [NotNullWhen(true)] out AdminVolumeName? name)
    {
        name = null;
        return volumeSerial.TrimEnd().All(VolumeSerial.IsValidCharacter) && service.TryParse(volumeSerial, out name) && name is not null;
    }

    /// <summary>An administrative volume on a drive: giving it back processes what a host wrote to a command volume.</summary>
    private sealed class AdminLease(AdminVolumeResolver resolver, AdminVolumeName name, AdminRequester requester, ITapeMedia media)
        : VolumeLease(name.VolumeSerial, media)
    {
        public override bool IsAdministrative => true;

        public override void Release(in VolumeRelease release)
        {
            try
            {
                // The commands count as the host's that mounted the volume, and only if it still held the
                // drive when the volume came out: a volume written by one host is never applied with the
                // authority of another that took the drive over (issue 13).
                var holder = release.Holder ?? requester.Authority;
                var mountedBy = requester.Authority ?? holder;
                var authority = holder is null || mountedBy is null || mountedBy.IsSameHost(holder)
                    ? holder
                    : holder with { Permissions = holder.Permissions & ~HostPermissions.CommandVolumes };
                var outcome = resolver.Service.OnUnloaded(name, requester with { Host = release.Host, Authority = authority });
                if (outcome != CommandVolumeOutcome.NoRequest)
                {
                    resolver.Published(new CommandVolumeUnloaded(release.DeviceNumber, name.VolumeSerial,
                        authority?.ToString() ?? release.Host, outcome));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or LabelWriteException or InvalidDataException or System.Data.Common.DbException)
            {
                resolver.RecordFailure(release.DeviceNumber, $"command volume {name.VolumeSerial} not processed: {e.Message}");
            }
        }
    }

    private void RecordFailure(ushort deviceNumber, string text) => statistics?.RecordEvent(deviceNumber, "COMMANDFAIL", text);

    private void Published(Runtime.Events.TapeEvent tapeEvent) => events?.Publish(tapeEvent);
}

/// <summary>A command volume came out of a drive with a request on it (an audit event, docs/security.md): processed, or refused. <paramref name="Issuer"/>: the host whose authority it carried.</summary>
public sealed record CommandVolumeUnloaded(ushort DeviceNumber, string Volume, string Issuer, CommandVolumeOutcome Outcome)
    : Runtime.Events.DriveEvent(DeviceNumber), Runtime.Events.IAuditEvent
{
    public override Microsoft.Extensions.Logging.LogLevel Level =>
        Outcome == CommandVolumeOutcome.Processed ? Microsoft.Extensions.Logging.LogLevel.Information : Microsoft.Extensions.Logging.LogLevel.Warning;

    public override string Message => Outcome switch
    {
        CommandVolumeOutcome.Processed => $"drive {Drive}: command volume {Volume} from host {Issuer} processed",
        CommandVolumeOutcome.NotAuthorised => $"drive {Drive}: command volume {Volume} from host {Issuer} refused: the host may not issue commands",
        _ => $"drive {Drive}: command volume {Volume} from host {Issuer}: the request could not be read",
    };
}
