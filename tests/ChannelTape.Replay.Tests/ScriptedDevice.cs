using ChannelTape.Channel;

namespace ChannelTape.Replay.Tests;

/// <summary>A device whose answer to each CCW is given by the test; it records what the channel handed it.</summary>
internal sealed class ScriptedDevice : IChannelDevice
{
    private readonly Func<CcwRequest, byte[], CcwResult> _respond;
    private readonly HashSet<byte> _immediate;
    private byte[] _sense = new byte[32];

    public ScriptedDevice(Func<CcwRequest, byte[], CcwResult> respond, params byte[] immediateCommands)
    {
        _respond = respond;
        _immediate = [.. immediateCommands];
    }

    /// <summary>Every CCW the device executed, with the buffer contents on entry.</summary>
    public List<(CcwRequest Request, byte[] DataIn)> Calls { get; } = [];

    public int Starts { get; private set; }

    public int Ends { get; private set; }

    public ushort DeviceNumber => 0x0580;

    public int MaxTransfer => 65535;

    public ReadOnlySpan<byte> Sense => _sense;

    public void SetSense(params byte[] sense)
    {
        _sense = new byte[32];
        sense.CopyTo(_sense, 0);
    }

    public bool IsImmediate(byte command) => _immediate.Contains(command);

    public CcwResult Execute(in CcwRequest request, Span<byte> buffer)
    {
        var copy = buffer.ToArray();
        Calls.Add((request, copy));
        var result = _respond(request, copy);
        copy.CopyTo(buffer);
        return result;
    }

    public int TakeConcurrentSense(Span<byte> destination)
    {
        var n = Math.Min(destination.Length, _sense.Length);
        _sense.AsSpan(0, n).CopyTo(destination);
        _sense = new byte[32];
        return n;
    }

    public void StartChannelProgram() => Starts++;

    public void EndChannelProgram() => Ends++;

    public void Halt()
    {
    }

#pragma warning disable CS0067 // never raised by this device
    public event Action<IChannelDevice, UnitStatus>? UnsolicitedStatus;
#pragma warning restore CS0067

    /// <summary>CE+DE, residual 0 for everything.</summary>
    public static CcwResult Good(CcwRequest request, byte[] buffer) => new(UnitStatus.ChannelEndDeviceEnd, 0);
}
