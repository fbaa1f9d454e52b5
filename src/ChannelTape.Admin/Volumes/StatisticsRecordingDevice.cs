using ChannelTape.Channel;

namespace ChannelTape.Admin.Volumes;

/// <summary>
/// A channel device that records every CCW's outcome in <see cref="ServerStatistics"/>: a host
/// that serves a drive through <see cref="IChannelDevice"/> (the server's <c>IServedDrive.Device</c>)
/// wraps it once instead of calling <see cref="ServerStatistics.Record"/> itself. Everything else
/// passes through; the sense recorded is the device's sense right after the CCW.
/// </summary>
public sealed class StatisticsRecordingDevice(IChannelDevice device, ServerStatistics statistics) : IChannelDevice
{
    public IChannelDevice Inner => device;

    public ushort DeviceNumber => device.DeviceNumber;

    public int MaxTransfer => device.MaxTransfer;

    public ReadOnlySpan<byte> Sense => device.Sense;

    public event Action<IChannelDevice, UnitStatus>? UnsolicitedStatus
    {
        add => device.UnsolicitedStatus += value;
        remove => device.UnsolicitedStatus -= value;
    }

    public bool IsImmediate(byte command) => device.IsImmediate(command);

    public CcwResult Execute(in CcwRequest request, Span<byte> buffer)
    {
        var result = device.Execute(request, buffer);
        statistics.Record(device.DeviceNumber, request.Command, result, device.Sense);
        return result;
    }

    public int TakeConcurrentSense(Span<byte> destination) => device.TakeConcurrentSense(destination);

    public void StartChannelProgram() => device.StartChannelProgram();

    public void EndChannelProgram() => device.EndChannelProgram();

    public void Halt() => device.Halt();
}
