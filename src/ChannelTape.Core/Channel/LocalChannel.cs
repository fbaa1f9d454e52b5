namespace ChannelTape.Channel;

/// <summary>
/// An in-process channel: runs a channel program in <see cref="GuestStorage"/> against an
/// <see cref="IChannelDevice"/> the way Hercules 3.13 <c>channel.c</c> (<c>execute_ccw_chain</c>)
/// does (docs/reference/hercules-tape.md §5). It uses nothing of the device but <see cref="IChannelDevice"/>, so
/// the same channel drives a device in this process or one across the network.
/// </summary>
/// <remarks>
/// Rules, in Hercules' order for each CCW:
/// fetch (not doubleword aligned or outside storage: program check); TIC (TIC to TIC, or a
/// format-1 TIC with flags or count: program check; data chaining passes through a TIC); the
/// command code is kept while data chaining; MIDAW and suspend flags: program check (the ORB
/// never enables them); PCI raises an intermediate interrupt; count 0 in format 0, or with CD on
/// this or the previous CCW: program check; an immediate command (<see cref="IChannelDevice.IsImmediate"/>
/// or 03) ignores CD; write and non-immediate control data of a data chain are merged into one
/// buffer (at most 64 KiB) before the device is called once; read, sense and read-backward data
/// chains call the device per CCW with <see cref="CcwRequest.PreviousFlags"/> CD; input data
/// (count - residual bytes) is stored unless SKIP, read backward ending at the CCW address;
/// incorrect length when residual is not 0, or the device has more data and CD is off, unless
/// (SLI and not CD) or an immediate command or IL suppression; CE+DE+UC+SM retries the CCW;
/// status modifier skips one CCW; chaining continues only with channel status 0 and unit status
/// (less SM) exactly CE+DE. IDA is not supported (program check): nothing here builds IDAWs.
/// Each rule is one method of <see cref="ChannelProgramRun"/>.
/// </remarks>
public sealed class LocalChannel
{
    /// <summary>Size of the channel's I/O buffer (Hercules <c>iobuf[65536]</c>).</summary>
    public const int BufferSize = 65536;

    private readonly byte[] _buffer = new byte[BufferSize];

    /// <summary>Runs the channel program whose first CCW is at <paramref name="ccwAddress"/>.</summary>
    public ChannelProgramResult Run(IChannelDevice device, GuestStorage storage, long ccwAddress, ChannelProgramOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(storage);
        return new ChannelProgramRun(device, storage, options ?? ChannelProgramOptions.Default, _buffer, ccwAddress).Execute();
    }
}
