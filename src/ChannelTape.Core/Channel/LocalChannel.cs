namespace ChannelTape.Channel;

/// <summary>
/// An in-process channel: runs a channel program in <see cref="GuestStorage"/> against an
/// <see cref="IChannelDevice"/> the way Hercules 3.13 <c>channel.c</c> (<c>execute_ccw_chain</c>)
/// does (hercules-tape.md §5). It uses nothing of the device but <see cref="IChannelDevice"/>, so
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
/// </remarks>
public sealed class LocalChannel
{
    /// <summary>Size of the channel's I/O buffer (Hercules <c>iobuf[65536]</c>).</summary>
    public const int BufferSize = 65536;

    private const int CommandRetryLimit = 255;
    private readonly byte[] _buffer = new byte[BufferSize];

    /// <summary>Runs the channel program whose first CCW is at <paramref name="ccwAddress"/>.</summary>
    public ChannelProgramResult Run(IChannelDevice device, GuestStorage storage, long ccwAddress, ChannelProgramOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(storage);
        options ??= ChannelProgramOptions.Default;
        var format = options.Format;
        var executions = new List<CcwExecution>();
        var completion = ChannelCompletion.Ok;
        byte code = 0;
        byte previousCode = 0;
        var chained = CcwFlags.None;
        var chainedBeforeDataChain = CcwFlags.None;
        var sequence = 0;
        var bufferPosition = 0;
        long ticAddress = -1;
        var residual = 0;
        var unit = UnitStatus.None;
        var channel = ChannelStatus.None;
        var retries = CommandRetryLimit;
        var pci = 0;
        var steps = 0;
        var chain = true;

        device.StartChannelProgram();
        while (chain)
        {
            if (++steps > options.MaxCcws)
            {
                completion = ChannelCompletion.Timeout;
                break;
            }

            channel = ChannelStatus.None;
            unit = UnitStatus.None;

            // Fetch the CCW (Hercules fetch_ccw).
            Ccw ccw = default;
            if ((ccwAddress & 7) != 0 || !storage.Contains(ccwAddress, Ccw.Size))
            {
                channel = ChannelStatus.ProgramCheck;
                if (ticAddress >= 0)
                {
                    ccwAddress = ticAddress - Ccw.Size;
                }
            }
            else
            {
                ccw = Ccw.Read(storage.Slice(ccwAddress, Ccw.Size), format);
            }

            var thisCcwAddress = ccwAddress;
            ccwAddress += Ccw.Size;
            if (channel != ChannelStatus.None)
            {
                break;
            }

            var flags = ccw.Flags;
            var count = (int)ccw.Count;
            long address = ccw.DataAddress;

            if (CommandType.IsTransferInChannel(ccw.Command))
            {
                if (ticAddress >= 0
                    || (format == CcwFormat.Format1 && (ccw.Command != 0x08 || flags != CcwFlags.None || count != 0)))
                {
                    channel = ChannelStatus.ProgramCheck;
                    break;
                }

                // Chaining flags and command code stay as they are: data chaining passes through a TIC.
                ticAddress = ccwAddress;
                ccwAddress = address;
                continue;
            }

            ticAddress = -1;
            if ((chained & CcwFlags.ChainData) == 0)
            {
                previousCode = code;
                code = ccw.Command;
            }

            if ((flags & (CcwFlags.ModifiedIndirectData | CcwFlags.Suspend | CcwFlags.IndirectData)) != 0)
            {
                channel = ChannelStatus.ProgramCheck;
                break;
            }

            if ((flags & CcwFlags.ProgramControlledInterruption) != 0)
            {
                pci++;
            }

            var immediate = device.IsImmediate(code) || CommandType.IsNoOperation(code);
            if (count == 0
                && (format == CcwFormat.Format0 || (flags & CcwFlags.ChainData) != 0 || (chained & CcwFlags.ChainData) != 0))
            {
                channel = ChannelStatus.ProgramCheck;
                break;
            }

            if (immediate && (flags & CcwFlags.ChainData) != 0)
            {
                flags &= ~CcwFlags.ChainData;
                chained &= ~CcwFlags.ChainData;
            }

            if (CommandType.IsWrite(code) || (CommandType.IsControl(code) && !immediate))
            {
                if (bufferPosition + count > BufferSize || !storage.Contains(address, count))
                {
                    channel = ChannelStatus.ProgramCheck;
                    break;
                }

                if (count > 0)
                {
                    storage.Slice(address, count).CopyTo(_buffer.AsSpan(bufferPosition));
                }

                bufferPosition += count;
                if ((flags & CcwFlags.ChainData) != 0)
                {
                    if ((chained & CcwFlags.ChainData) == 0)
                    {
                        chainedBeforeDataChain = chained;
                    }

                    chained = CcwFlags.ChainData;
                    continue;
                }

                if ((chained & CcwFlags.ChainData) != 0)
                {
                    chained = chainedBeforeDataChain;
                }

                count = bufferPosition;
                bufferPosition = 0;
            }

            chain = (flags & (CcwFlags.ChainData | CcwFlags.ChainCommand)) != 0;
            residual = count;
            if (!(CommandType.IsOutput(code) || CommandType.IsInput(code)))
            {
                channel = ChannelStatus.ProgramCheck;
                break;
            }

            var request = new CcwRequest(code, flags, chained, count, previousCode, sequence);
            var result = device.Execute(request, _buffer.AsSpan(0, count));
            unit = result.Status;
            residual = Math.Clamp(result.Residual, 0, count);
            var more = result.More;

            if (--retries > 0 && unit == (UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck | UnitStatus.StatusModifier))
            {
                chain = true;
                ccwAddress -= Ccw.Size;
                continue;
            }

            if (options.CommandRejectResidualZero && (unit & UnitStatus.UnitCheck) != 0 && residual == count
                && device.Sense.Length > 0 && (device.Sense[0] & 0x80) != 0)
            {
                residual = 0;
                chain = false;
            }

            var transferred = CommandType.IsInput(code) ? 0 : count - residual;
            if ((flags & CcwFlags.Skip) == 0 && CommandType.IsInput(code))
            {
                var stored = count - residual;
                var start = CommandType.IsReadBackward(code) ? address - stored + 1 : address;
                if (!storage.Contains(start, stored))
                {
                    channel |= ChannelStatus.ProgramCheck;
                }
                else if (stored > 0)
                {
                    var source = CommandType.IsReadBackward(code) ? _buffer.AsSpan(count - stored, stored) : _buffer.AsSpan(0, stored);
                    source.CopyTo(storage.Slice(start, stored));
                    transferred = stored;
                }
            }

            if (residual != 0 || (more && (flags & CcwFlags.ChainData) == 0))
            {
                if (((flags & CcwFlags.ChainData) != 0 || (flags & CcwFlags.SuppressLength) == 0)
                    && !immediate
                    && !(format == CcwFormat.Format1 && options.SuppressIncorrectLength))
                {
                    channel |= ChannelStatus.IncorrectLength;
                }
            }

            executions.Add(new CcwExecution(thisCcwAddress, code, flags, count, residual, transferred, unit, channel));

            if ((unit & UnitStatus.StatusModifier) != 0)
            {
                ccwAddress += Ccw.Size;
            }

            if (channel != ChannelStatus.None || (unit & ~UnitStatus.StatusModifier) != UnitStatus.ChannelEndDeviceEnd)
            {
                chain = false;
            }

            chained = flags & (CcwFlags.ChainData | CcwFlags.ChainCommand);
            if ((flags & CcwFlags.ChainData) == 0)
            {
                sequence++;
            }
        }

        device.EndChannelProgram();

        byte[]? concurrentSense = null;
        if (options.ConcurrentSense && (unit & UnitStatus.UnitCheck) != 0)
        {
            var sense = new byte[32];
            var n = device.TakeConcurrentSense(sense);
            concurrentSense = sense[..Math.Clamp(n, 0, sense.Length)];
        }

        return new ChannelProgramResult(completion, unit, channel, residual, ccwAddress, executions, pci, concurrentSense);
    }
}
