namespace ChannelTape.Channel;

/// <summary>
/// One run of a channel program on a <see cref="LocalChannel"/>: the state Hercules 3.13 keeps in
/// locals of <c>execute_ccw_chain</c> (channel.c), and one method per rule that function applies to
/// each CCW, in its order (the rules are listed on <see cref="LocalChannel"/>).
/// </summary>
internal sealed class ChannelProgramRun
{
    private const int CommandRetryLimit = 255;

    private readonly IChannelDevice _device;
    private readonly GuestStorage _storage;
    private readonly ChannelProgramOptions _options;
    private readonly byte[] _buffer;
    private readonly List<CcwExecution> _executions = [];

    private long _ccwAddress;
    private ChannelCompletion _completion = ChannelCompletion.Ok;
    private byte _code;
    private byte _previousCode;
    private CcwFlags _chained = CcwFlags.None;          // CD/CC of the previous CCW
    private CcwFlags _chainedBeforeDataChain = CcwFlags.None;
    private int _sequence;
    private int _bufferPosition;                         // output data merged so far in a data chain
    private long _ticAddress = -1;                       // address after the TIC just taken, else -1
    private int _residual;
    private UnitStatus _unit = UnitStatus.None;
    private ChannelStatus _channel = ChannelStatus.None;
    private int _retries = CommandRetryLimit;
    private int _programControlledInterruptions;
    private int _steps;
    private bool _chain = true;

    public ChannelProgramRun(IChannelDevice device, GuestStorage storage, ChannelProgramOptions options, byte[] buffer, long ccwAddress)
    {
        _device = device;
        _storage = storage;
        _options = options;
        _buffer = buffer;
        _ccwAddress = ccwAddress;
    }

    private CcwFormat Format => _options.Format;

    private bool IsDataChained => (_chained & CcwFlags.ChainData) != 0;

    /// <summary>Runs the program to its end and gives the status the subchannel shows.</summary>
    public ChannelProgramResult Execute()
    {
        _device.StartChannelProgram();
        while (_chain && Step())
        {
        }

        _device.EndChannelProgram();

        byte[]? concurrentSense = null;
        if (_options.ConcurrentSense && (_unit & UnitStatus.UnitCheck) != 0)
        {
            var sense = new byte[32];
            var n = _device.TakeConcurrentSense(sense);
            concurrentSense = sense[..Math.Clamp(n, 0, sense.Length)];
        }

        return new ChannelProgramResult(_completion, _unit, _channel, _residual, _ccwAddress, _executions,
            _programControlledInterruptions, concurrentSense);
    }

    /// <summary>One CCW: false when the program ends with it.</summary>
    private bool Step()
    {
        if (++_steps > _options.MaxCcws)
        {
            _completion = ChannelCompletion.Timeout;
            return false;
        }

        _channel = ChannelStatus.None;
        _unit = UnitStatus.None;
        if (!TryFetch(out var ccw, out long thisCcwAddress))
        {
            return false;
        }

        if (CommandType.IsTransferInChannel(ccw.Command))
        {
            return TransferInChannel(ccw);
        }

        _ticAddress = -1;

        // The command code is kept while data chaining.
        if (!IsDataChained)
        {
            _previousCode = _code;
            _code = ccw.Command;
        }

        var flags = ccw.Flags;
        int count = ccw.Count;
        if (!CheckFlagsAndCount(flags, count))
        {
            return ProgramCheck();
        }

        // An immediate command ignores CD (03 is immediate on every device).
        bool immediate = _device.IsImmediate(_code) || CommandType.IsNoOperation(_code);
        if (immediate && (flags & CcwFlags.ChainData) != 0)
        {
            flags &= ~CcwFlags.ChainData;
            _chained &= ~CcwFlags.ChainData;
        }

        if (CommandType.IsWrite(_code) || (CommandType.IsControl(_code) && !immediate))
        {
            if (!TryMergeOutputData(flags, ccw.DataAddress, count))
            {
                return ProgramCheck();
            }

            if ((flags & CcwFlags.ChainData) != 0)
            {
                return true; // the data chain goes on: the device is called once, on its last CCW
            }

            count = EndOutputDataChain();
        }

        _chain = (flags & (CcwFlags.ChainData | CcwFlags.ChainCommand)) != 0;
        _residual = count;
        if (!(CommandType.IsOutput(_code) || CommandType.IsInput(_code)))
        {
            return ProgramCheck();
        }

        var result = _device.Execute(new CcwRequest(_code, flags, _chained, count, _previousCode, _sequence), _buffer.AsSpan(0, count));
        _unit = result.Status;
        _residual = Math.Clamp(result.Residual, 0, count);

        // CE+DE+UC+SM: command retry, the same CCW again.
        if (--_retries > 0 && _unit == (UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck | UnitStatus.StatusModifier))
        {
            _chain = true;
            _ccwAddress -= Ccw.Size;
            return true;
        }

        ApplyCommandRejectShortcut(count);
        int transferred = StoreInputData(flags, ccw.DataAddress, count);
        CheckLength(flags, immediate, result.More);
        _executions.Add(new CcwExecution(thisCcwAddress, _code, flags, count, _residual, transferred, _unit, _channel));
        return Chain(flags);
    }

    /// <summary>
    /// Fetches the CCW (Hercules fetch_ccw): one not doubleword aligned or outside storage is a program
    /// check, reported at the TIC that led to it if there was one.
    /// </summary>
    private bool TryFetch(out Ccw ccw, out long address)
    {
        ccw = default;
        if ((_ccwAddress & 7) != 0 || !_storage.Contains(_ccwAddress, Ccw.Size))
        {
            _channel = ChannelStatus.ProgramCheck;
            if (_ticAddress >= 0)
            {
                _ccwAddress = _ticAddress - Ccw.Size;
            }

            address = _ccwAddress;
            _ccwAddress += Ccw.Size;
            return false;
        }

        ccw = Ccw.Read(_storage.Slice(_ccwAddress, Ccw.Size), Format);
        address = _ccwAddress;
        _ccwAddress += Ccw.Size;
        return true;
    }

    /// <summary>
    /// Transfer in channel: a TIC to a TIC, or a format-1 TIC with flags or a count, is a program check;
    /// chaining flags and command code stay as they are (data chaining passes through a TIC).
    /// </summary>
    private bool TransferInChannel(in Ccw ccw)
    {
        if (_ticAddress >= 0
            || (Format == CcwFormat.Format1 && (ccw.Command != 0x08 || ccw.Flags != CcwFlags.None || ccw.Count != 0)))
        {
            return ProgramCheck();
        }

        _ticAddress = _ccwAddress;
        _ccwAddress = ccw.DataAddress;
        return true;
    }

    /// <summary>
    /// Flags and count: MIDAW, suspend and IDA are program checks (the ORB never enables them and
    /// nothing here builds IDAWs); PCI counts an intermediate interrupt; a count of 0 in format 0, or
    /// with CD on this or the previous CCW, is a program check. False for a program check.
    /// </summary>
    private bool CheckFlagsAndCount(CcwFlags flags, int count)
    {
        if ((flags & (CcwFlags.ModifiedIndirectData | CcwFlags.Suspend | CcwFlags.IndirectData)) != 0)
        {
            return false;
        }

        if ((flags & CcwFlags.ProgramControlledInterruption) != 0)
        {
            _programControlledInterruptions++;
        }

        return !(count == 0 && (Format == CcwFormat.Format0 || (flags & CcwFlags.ChainData) != 0 || IsDataChained));
    }

    /// <summary>
    /// Write and non-immediate control data: appended to the channel buffer (a data chain is merged into
    /// at most 64 KiB); data outside storage or beyond the buffer is a program check (false).
    /// </summary>
    private bool TryMergeOutputData(CcwFlags flags, long address, int count)
    {
        if (_bufferPosition + count > _buffer.Length || !_storage.Contains(address, count))
        {
            return false;
        }

        if (count > 0)
        {
            _storage.Slice(address, count).CopyTo(_buffer.AsSpan(_bufferPosition));
        }

        _bufferPosition += count;
        if ((flags & CcwFlags.ChainData) != 0)
        {
            if (!IsDataChained)
            {
                _chainedBeforeDataChain = _chained;
            }

            _chained = CcwFlags.ChainData;
        }

        return true;
    }

    /// <summary>The last CCW of an output data chain: the device sees the chaining flags from before the chain and the merged count.</summary>
    private int EndOutputDataChain()
    {
        if (IsDataChained)
        {
            _chained = _chainedBeforeDataChain;
        }

        int count = _bufferPosition;
        _bufferPosition = 0;
        return count;
    }

    /// <summary>
    /// SDL Hyperion 4.x's command-reject shortcut (off for Hercules 3.13): unit check with residual =
    /// count and sense byte 0 bit 80 forces residual 0 and ends the chain.
    /// </summary>
    private void ApplyCommandRejectShortcut(int count)
    {
        if (_options.CommandRejectResidualZero && (_unit & UnitStatus.UnitCheck) != 0 && _residual == count
            && _device.Sense.Length > 0 && (_device.Sense[0] & 0x80) != 0)
        {
            _residual = 0;
            _chain = false;
        }
    }

    /// <summary>
    /// Input data (count - residual bytes) is stored unless SKIP, read backward ending at the CCW's
    /// address; storage it does not fit is a program check. Returns the bytes transferred: those stored
    /// for an input command, count - residual for an output command.
    /// </summary>
    private int StoreInputData(CcwFlags flags, long address, int count)
    {
        if (!CommandType.IsInput(_code))
        {
            return count - _residual;
        }

        if ((flags & CcwFlags.Skip) != 0)
        {
            return 0;
        }

        int stored = count - _residual;
        bool backward = CommandType.IsReadBackward(_code);
        long start = backward ? address - stored + 1 : address;
        if (!_storage.Contains(start, stored))
        {
            _channel |= ChannelStatus.ProgramCheck;
            return 0;
        }

        if (stored == 0)
        {
            return 0;
        }

        var source = backward ? _buffer.AsSpan(count - stored, stored) : _buffer.AsSpan(0, stored);
        source.CopyTo(_storage.Slice(start, stored));
        return stored;
    }

    /// <summary>
    /// Incorrect length when the residual is not 0, or the device has more data and CD is off, unless SLI
    /// without CD, an immediate command, or IL suppression (format 1 with the ORB bit).
    /// </summary>
    private void CheckLength(CcwFlags flags, bool immediate, bool more)
    {
        bool chainData = (flags & CcwFlags.ChainData) != 0;
        if (_residual != 0 || (more && !chainData))
        {
            if ((chainData || (flags & CcwFlags.SuppressLength) == 0)
                && !immediate
                && !(Format == CcwFormat.Format1 && _options.SuppressIncorrectLength))
            {
                _channel |= ChannelStatus.IncorrectLength;
            }
        }
    }

    /// <summary>
    /// Status modifier skips one CCW; chaining goes on only with channel status 0 and unit status (less
    /// SM) exactly CE+DE. False when the program ends here.
    /// </summary>
    private bool Chain(CcwFlags flags)
    {
        if ((_unit & UnitStatus.StatusModifier) != 0)
        {
            _ccwAddress += Ccw.Size;
        }

        if (_channel != ChannelStatus.None || (_unit & ~UnitStatus.StatusModifier) != UnitStatus.ChannelEndDeviceEnd)
        {
            _chain = false;
        }

        _chained = flags & (CcwFlags.ChainData | CcwFlags.ChainCommand);
        if ((flags & CcwFlags.ChainData) == 0)
        {
            _sequence++;
        }

        return _chain;
    }

    private bool ProgramCheck()
    {
        _channel = ChannelStatus.ProgramCheck;
        return false;
    }
}
