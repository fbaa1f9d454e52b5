namespace ChannelTape.Channel;

/// <summary>
/// A channel device in front of another that passes everything through, for a decorator that changes
/// one thing: recording each CCW's outcome (statistics), or running each CCW under the drive's executor.
/// Override <see cref="Execute"/> (or any other member) for what the decorator adds.
/// </summary>
public abstract class ChannelDeviceDecorator(IChannelDevice inner) : IChannelDevice
{
    /// <summary>The device behind this one.</summary>
    public IChannelDevice Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public ushort DeviceNumber => Inner.DeviceNumber;

    public int MaxTransfer => Inner.MaxTransfer;

    public ReadOnlySpan<byte> Sense => Inner.Sense;

    public event Action<IChannelDevice, UnitStatus>? UnsolicitedStatus
    {
        add => Inner.UnsolicitedStatus += value;
        remove => Inner.UnsolicitedStatus -= value;
    }

    public bool IsImmediate(byte command) => Inner.IsImmediate(command);

    public virtual CcwResult Execute(in CcwRequest request, Span<byte> buffer) => Inner.Execute(request, buffer);

    public virtual int TakeConcurrentSense(Span<byte> destination) => Inner.TakeConcurrentSense(destination);

    public virtual void StartChannelProgram() => Inner.StartChannelProgram();

    public virtual void EndChannelProgram() => Inner.EndChannelProgram();

    public virtual void Halt() => Inner.Halt();
}
