using ChannelTape.Admin.Lms;
using ChannelTape.Admin.Reports;
using ChannelTape.Admin.Volumes;
using ChannelTape.Client;
using ChannelTape.Protocol;

namespace ChannelTape.Cli;

/// <summary>
/// A running server's library as <c>lms</c>, <c>status --server</c> and <c>volume ... --server</c> reach it:
/// the first free drive of <see cref="ServerTarget.Drives"/> (attachable and empty) and the library
/// management client on it, which mounts administrative and command volumes and reads and writes them
/// with CCWs (docs/admin-volumes.md). Nothing but the wire protocol is needed.
/// </summary>
public sealed class ServerLibrary : IDisposable
{
    private ServerLibrary(ServerTarget target, RemoteDevice drive)
    {
        Target = target;
        Drive = drive;
        Client = new LibraryManagementClient(drive, target.Prefix, target.Timeout, new RemoteDriveOperator(drive));
    }

    public ServerTarget Target { get; }

    /// <summary>The drive taken.</summary>
    public RemoteDevice Drive { get; }

    public LibraryManagementClient Client { get; }

    /// <summary>Takes the first free drive; a failure (no server, no free drive) with the reasons.</summary>
    public static ServerLibrary Open(ServerTarget target, string hostName)
    {
        ArgumentNullException.ThrowIfNull(target);
        var reasons = new List<string>();
        for (int device = target.Drives.First; device <= target.Drives.Last; device++)
        {
            RemoteDevice? remote = null;
            try
            {
                // Reports, requests and volume copies are bulk Reads and Writes: write-behind and read-ahead
                // (docs/protocol.md §5) save a round trip for most of them.
                remote = RemoteDevice.Connect(target.Address.Host, target.Address.Port, (ushort)device, target.DeviceOptions(new RemoteDeviceOptions
                {
                    HostName = hostName,
                    Reconnect = false,
                    Features = ProtocolFeatureRules.All,
                }));
                if (!remote.Identity.VolumeLoaded)
                {
                    return new ServerLibrary(target, remote);
                }

                reasons.Add($"{device:X4} has a volume");
            }
            catch (RemoteDeviceException e)
            {
                reasons.Add($"{device:X4}: {e.Message}");
                if (e.Result is null)
                {
                    break; // the server is not reachable: no other drive will answer either
                }
            }

            remote?.Dispose();
        }

        throw new CommandFailedException($"no free drive at {target.Address} ({string.Join("; ", reasons)})");
    }

    /// <summary>Reads a report (<c>#DRIVE</c>, <c>#VOLS</c> ...) with an optional selector.</summary>
    public AdminReport<TRow> Fetch<TRow>(AdminVolumeKind kind, string selector = "") where TRow : IStatusRow<TRow> =>
        Client.Fetch<TRow>(kind, selector);

    /// <summary>The VOLUMES rows of the volumes whose serial starts with <paramref name="serialPrefix"/> (the report's selector takes four characters; the rest is matched here).</summary>
    public IEnumerable<VolumeStatusRow> Volumes(string serialPrefix = "")
    {
        // A serial has six characters: the prefix and the report's letter leave the rest for the selector.
        int room = Math.Max(0, 6 - Target.Prefix.Length - 1);
        string selector = serialPrefix.Length > room ? serialPrefix[..room] : serialPrefix;
        return Fetch<VolumeStatusRow>(AdminVolumeKind.Volumes, selector).Rows.Where(r => r.VolumeSerial.StartsWith(serialPrefix, StringComparison.Ordinal));
    }

    /// <summary>The drive each loaded volume is on, from the DRIVES report.</summary>
    public Dictionary<string, ushort?> MountedOn() =>
        Fetch<DriveStatusRow>(AdminVolumeKind.Drives).Rows
            .Where(d => d.VolumeSerial.Length > 0)
            .GroupBy(d => d.VolumeSerial)
            .ToDictionary(g => g.Key, g => (ushort?)g.First().DeviceNumber, StringComparer.Ordinal);

    /// <summary>Runs requests through a command volume (all or nothing); a failure when one was not done, naming each.</summary>
    public AdminReport<CommandResponseRow> Commands(IReadOnlyList<string> requests, CancellationToken cancel = default) =>
        Client.RunCommands(requests, cancel: cancel);

    public void Dispose() => Drive.Dispose();
}
