using ChannelTape.Channel;

namespace ChannelTape.Admin.Volumes;

/// <summary>
/// A channel device that records every CCW's outcome in <see cref="ServerStatistics"/>: the drive
/// runtime wraps its drive in it once (the server's composition root asks for it) instead of every
/// caller recording. The sense recorded is the device's sense right after the CCW.
/// </summary>
public sealed class StatisticsRecordingDevice(IChannelDevice device, ServerStatistics statistics) : ChannelDeviceDecorator(device)
{
    public override CcwResult Execute(in CcwRequest request, Span<byte> buffer)
    {
        var result = Inner.Execute(request, buffer);
        statistics.Record(Inner.DeviceNumber, request.Command, result, Inner.Sense);
        return result;
    }
}
