using ChannelTape.Channel;

namespace ChannelTape.Admin.Volumes;

/// <summary>
/// A channel device that records every CCW's outcome in <see cref="ServerStatistics"/>: the drive
/// runtime wraps its drive in it once (the server's composition root asks for it) instead of every
/// caller recording. The sense recorded is the device's sense right after the CCW. CCWs run while an
/// administrative or command volume is mounted (<paramref name="administrative"/>) are not recorded: reading
/// a report ends its data set with tape marks and its Rewind Unload with a unit check, and a report that
/// counted its own reading would never show a quiet server as quiet.
/// </summary>
public sealed class StatisticsRecordingDevice(IChannelDevice device, ServerStatistics statistics, Func<bool>? administrative = null)
    : ChannelDeviceDecorator(device)
{
    public override CcwResult Execute(in CcwRequest request, Span<byte> buffer)
    {
        bool record = administrative?.Invoke() != true;
        var result = Inner.Execute(request, buffer);
        if (record)
        {
            statistics.Record(Inner.DeviceNumber, request.Command, result, Inner.Sense);
        }

        return result;
    }
}
