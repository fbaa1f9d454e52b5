using ChannelTape.Channel;

namespace ChannelTape.Server.Tests.Support;

/// <summary>
/// A probe in front of a real drive, for the server tests: counts channel programs and CCWs, notices if the
/// server ever runs two CCWs on the drive at once, and answers two test-only commands the drive does not
/// know — one that blocks until Halt, and one that sleeps — so tests can hold a CCW in progress exactly.
/// </summary>
public sealed class ProbeDevice(IChannelDevice drive) : ChannelDeviceDecorator(drive)
{
    /// <summary>Test-only control command: blocks until <see cref="Halt"/>, then ends with CE+DE+UX.</summary>
    public const byte WaitForHalt = 0xFF;

    /// <summary>Test-only control command: sleeps the number of milliseconds in its one data byte.</summary>
    public const byte Sleep = 0xFB;

    private readonly ManualResetEventSlim _halted = new(false);
    private int _executing;

    /// <summary>True if the server ever ran two CCWs on this drive at the same time.</summary>
    public bool OverlapSeen { get; private set; }

    public int ProgramsStarted { get; private set; }

    public int ProgramsEnded { get; private set; }

    public int CommandsExecuted { get; private set; }

    /// <summary>Set once <see cref="WaitForHalt"/> is running.</summary>
    public ManualResetEventSlim WaitingForHalt { get; } = new(false);

    public override CcwResult Execute(in CcwRequest request, Span<byte> buffer)
    {
        if (Interlocked.Increment(ref _executing) != 1)
        {
            OverlapSeen = true;
        }

        try
        {
            CommandsExecuted++;
            switch (request.Command)
            {
                case WaitForHalt:
                    WaitingForHalt.Set();
                    // Bounded: a halt that never comes fails the test waiting for this reply instead of
                    // leaving a CCW that keeps the test host from exiting.
                    var halted = _halted.Wait(RawPeer.Patience);
                    _halted.Reset();
                    return new CcwResult(UnitStatus.ChannelEndDeviceEnd | (halted ? UnitStatus.UnitException : UnitStatus.UnitCheck), request.Count);
                case Sleep:
                    Thread.Sleep(request.Count > 0 ? buffer[0] : 0);
                    return new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0);
                default:
                    return Inner.Execute(request, buffer);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _executing);
        }
    }

    public override void StartChannelProgram()
    {
        ProgramsStarted++;
        Inner.StartChannelProgram();
    }

    public override void EndChannelProgram()
    {
        ProgramsEnded++;
        Inner.EndChannelProgram();
    }

    public override void Halt()
    {
        _halted.Set();
        Inner.Halt();
    }
}
