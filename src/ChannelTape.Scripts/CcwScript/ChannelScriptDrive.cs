using ChannelTape.Channel;
using ChannelTape.Device;

namespace ChannelTape.Scripts.CcwScript;

/// <summary>
/// Runs a script's channel programs on an <see cref="IChannelDevice"/> through the in-process
/// channel (<see cref="LocalChannel"/>, docs/reference/hercules-tape.md §5), the way the reference runner's guest
/// does: each CCW gets its own data area, the program is started with Start Subchannel, and after a
/// unit check a Sense (SLI) reads the sense bytes. Mount and unload go to the functions given, so the
/// same drive serves a <see cref="TapeDrive"/> in this process and a drive on a server.
/// </summary>
public sealed class ChannelScriptDrive : IScriptDrive, IDisposable
{
    private readonly IChannelDevice _device;
    private readonly Func<VolumeSpec, string?> _mount;
    private readonly Func<string?> _unload;
    private readonly Action? _dispose;
    private readonly LocalChannel _channel = new();
    private readonly Queue<UnitStatus> _unsolicited = new();
    private readonly object _lock = new();

    /// <param name="device">The device; its unsolicited status is queued from now on.</param>
    /// <param name="mount">Mounts a volume; returns null or why not.</param>
    /// <param name="unload">Unloads the drive; returns null or why not.</param>
    /// <param name="dispose">Releases the device and its volumes when the drive is disposed.</param>
    public ChannelScriptDrive(IChannelDevice device, Func<VolumeSpec, string?> mount, Func<string?> unload, Action? dispose = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(mount);
        ArgumentNullException.ThrowIfNull(unload);
        _device = device;
        _mount = mount;
        _unload = unload;
        _dispose = dispose;
        _device.UnsolicitedStatus += OnUnsolicitedStatus;
    }

    /// <summary>
    /// An in-process <see cref="TapeDrive"/> of the script's model and device number with its
    /// initial volume loaded (no device end is queued for it, as for a volume in Hercules' configuration).
    /// </summary>
    /// <param name="script">The script (device and tape statements).</param>
    /// <param name="scriptDirectory">Folder relative image paths are taken from.</param>
    /// <param name="workDirectory">Folder for image copies and new images; created if missing.</param>
    /// <param name="drive">The drive, ready for the first step.</param>
    /// <param name="error">Why the drive or its initial volume could not be set up.</param>
    public static bool TryCreateInProcess(Script script, string scriptDirectory, string workDirectory, out ChannelScriptDrive? drive, out string? error)
    {
        ArgumentNullException.ThrowIfNull(script);
        drive = null;
        if (!ScriptVolumes.TryCreate(scriptDirectory, workDirectory, out var volumes, out error))
        {
            return false;
        }

        if (!volumes.TryOpen(script.Tape, out var media, out error))
        {
            error = $"line {script.Tape.Location.Line}: {error}";
            return false;
        }

        var tapeDrive = new TapeDrive(script.Device.Model, script.Device.DeviceNumber);
        if (media is not null)
        {
            tapeDrive.Mount(media);
        }

        drive = new ChannelScriptDrive(
            tapeDrive,
            volume =>
            {
                if (volume.Kind == VolumeKind.None)
                {
                    tapeDrive.Unload();
                    return null;
                }

                if (!volumes.TryOpen(volume, out var mounted, out var mountError))
                {
                    return mountError;
                }

                tapeDrive.Mount(mounted!);
                return null;
            },
            () =>
            {
                tapeDrive.Unload();
                return null;
            },
            tapeDrive.Dispose);
        return true;
    }

    private void OnUnsolicitedStatus(IChannelDevice device, UnitStatus status)
    {
        lock (_lock)
        {
            _unsolicited.Enqueue(status);
            Monitor.PulseAll(_lock);
        }
    }

    public string? Mount(VolumeSpec volume) => _mount(volume);

    public string? Unload() => _unload();

    public bool WaitForUnsolicited(UnitStatus status, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        lock (_lock)
        {
            while (true)
            {
                while (_unsolicited.Count > 0)
                {
                    if ((_unsolicited.Dequeue() & status) == status)
                    {
                        return true;
                    }
                }

                var left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    return false;
                }

                Monitor.Wait(_lock, left);
            }
        }
    }

    public ProgramOutcome Run(ChannelProgramStep program)
    {
        ArgumentNullException.ThrowIfNull(program);
        var channelProgram = new ChannelProgram(program.Format);
        foreach (var ccw in program.Ccws)
        {
            if (ccw.TicTarget is { } target)
            {
                channelProgram.AddTransfer(target, ccw.Command, ccw.Flags, ccw.Count);
            }
            else
            {
                channelProgram.Add(ccw.Command, ccw.Flags, ccw.Count, ccw.Buffer);
            }
        }

        var options = new ChannelProgramOptions { Format = program.Format, SuppressIncorrectLength = program.SuppressIncorrectLength };
        ChannelProgramResult result;
        var iterations = 0;
        var lastExecution = new CcwExecution?[program.Ccws.Count];
        do
        {
            result = channelProgram.Run(_channel, _device, options);
            iterations++;
            foreach (var execution in result.Executions)
            {
                var index = (int)((execution.CcwAddress - ChannelProgram.CcwBase) / Ccw.Size);
                if (index >= 0 && index < lastExecution.Length)
                {
                    lastExecution[index] = execution;
                }
            }
        }
        while (iterations < program.Repeat && result.Completion == ChannelCompletion.Ok
            && (result.UnitStatus & (UnitStatus.UnitCheck | UnitStatus.UnitException)) == 0
            && result.ChannelStatus == ChannelStatus.None && result.ProgramControlledInterruptions == 0);

        var ccws = new CcwOutcome?[program.Ccws.Count];
        for (var i = 0; i < ccws.Length; i++)
        {
            if (lastExecution[i] is { } execution)
            {
                ccws[i] = new CcwOutcome(execution.Residual, StoredData(channelProgram, i, program.Ccws[i], execution.Residual));
            }
        }

        var endedAt = channelProgram.EndedAt(result) ?? -1;
        if (endedAt >= 0 && endedAt < ccws.Length && ccws[endedAt] is { } final && final.Residual != result.Residual)
        {
            // The final status's residual is what a guest sees for the CCW the program ended on.
            ccws[endedAt] = new CcwOutcome(result.Residual, StoredData(channelProgram, endedAt, program.Ccws[endedAt], result.Residual));
        }

        byte[]? sense = null;
        if (program.AutoSense && (result.UnitStatus & UnitStatus.UnitCheck) != 0)
        {
            var senseProgram = new ChannelProgram();
            senseProgram.Add(TapeSenseCommand, CcwFlags.SuppressLength, program.SenseCount);
            var senseResult = senseProgram.Run(_channel, _device);
            var n = Math.Clamp(program.SenseCount - senseResult.Residual, 0, program.SenseCount);
            sense = senseProgram.DataArea(0)[..n].ToArray();
        }

        return new ProgramOutcome(result.UnitStatus, result.ChannelStatus, result.Residual, endedAt, ccws, sense, iterations,
            TimedOut: result.Completion != ChannelCompletion.Ok);
    }

    /// <summary>Sense (docs/reference/hercules-tape.md §1.2, op 04).</summary>
    private const byte TapeSenseCommand = 0x04;

    /// <summary>
    /// What storage holds over the range an input CCW transferred (count - residual bytes): from the
    /// start of its area, or ending at the end of the count for Read Backward; empty for other commands.
    /// </summary>
    private static byte[] StoredData(ChannelProgram program, int index, ScriptCcw ccw, int residual)
    {
        if (ccw.TicTarget is not null || !CommandType.IsInput(ccw.Command) || !program.HasDataArea(index))
        {
            return [];
        }

        var area = program.DataArea(index);
        var n = Math.Clamp(ccw.Count - residual, 0, area.Length);
        return CommandType.IsReadBackward(ccw.Command) ? area[(area.Length - n)..].ToArray() : area[..n].ToArray();
    }

    public void Dispose()
    {
        _device.UnsolicitedStatus -= OnUnsolicitedStatus;
        _dispose?.Invoke();
    }
}
