using ChannelTape.Channel;

namespace ChannelTape.Server;

/// <summary>
/// Server-owned state of one drive: the gate that serialises everything done to it, the connection it
/// is attached to, and the open channel program. It outlives connections (docs/protocol.md §2 Disconnects).
/// </summary>
internal sealed class DriveSlot
{
    private readonly Lock _lock = new();
    private Connection? _owner;

    public DriveSlot(IServedDrive drive)
    {
        Drive = drive;
        Drive.Device.UnsolicitedStatus += OnUnsolicitedStatus;
    }

    public IServedDrive Drive { get; }

    /// <summary>Held while the drive is used: a CCW, a mount, a query, closing the volume.</summary>
    public SemaphoreSlim Gate => Drive.Gate;

    /// <summary>The connection whose channel program is open (StartChannelProgram called, EndChannelProgram not); guarded by <see cref="Gate"/>.</summary>
    public Connection? ProgramOwner { get; set; }

    /// <summary>The drive's read-ahead (docs/protocol.md §5.2): the last batch and the window; guarded by <see cref="Gate"/>.</summary>
    public Streaming.ReadAheadBatcher ReadAhead { get; } = new();

    /// <summary>
    /// Sense of a buffered Write that failed (deferred unit check, §5.1), reported at the next Ccw; null
    /// when none. The drive's, so a host that reconnects still learns of it; guarded by <see cref="Gate"/>.
    /// </summary>
    public byte[]? DeferredSense { get; set; }

    /// <summary>A BufferedCcw dropped because of <see cref="DeferredSense"/> has been logged.</summary>
    public bool DeferredDropLogged { get; set; }

    public Connection? Owner
    {
        get
        {
            lock (_lock)
            {
                return _owner;
            }
        }
    }

    public string Name => $"{Drive.Device.DeviceNumber:X4}";

    /// <summary>
    /// Attaches <paramref name="connection"/>. Fails when another connection has the drive and
    /// <paramref name="takeOver"/> is not set; with it, returns that connection in <paramref name="previous"/>.
    /// </summary>
    public bool TryAttach(Connection connection, bool takeOver, out Connection? previous)
    {
        lock (_lock)
        {
            previous = _owner;
            if (_owner is not null && _owner != connection && !takeOver)
            {
                return false;
            }

            _owner = connection;
            return true;
        }
    }

    /// <summary>True when <paramref name="connection"/> may attach (the drive is free, or take-over is asked).</summary>
    public bool IsAvailableTo(Connection connection, bool takeOver)
    {
        lock (_lock)
        {
            return _owner is null || _owner == connection || takeOver;
        }
    }

    /// <summary>Detaches <paramref name="connection"/> if it is still the owner.</summary>
    public void Detach(Connection connection)
    {
        lock (_lock)
        {
            if (_owner == connection)
            {
                _owner = null;
            }
        }
    }

    private void OnUnsolicitedStatus(IChannelDevice device, UnitStatus status) => Owner?.SendUnsolicited(status);
}
