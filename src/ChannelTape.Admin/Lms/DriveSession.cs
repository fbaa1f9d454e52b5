using System.Text;
using ChannelTape.Admin.Reports;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Text;

namespace ChannelTape.Admin.Lms;

/// <summary>A CCW ended with a status the library management client did not expect.</summary>
public sealed class DriveOperationException(string message, UnitStatus status, byte[] sense)
    : IOException($"{message}: unit status {(byte)status:X2}{(sense.Length > 0 ? ", sense " + Convert.ToHexString(sense) : "")}")
{
    public UnitStatus Status { get; } = status;

    public byte[] SenseBytes { get; } = sense;
}

/// <summary>
/// The host's view of one drive for the library management client: single-CCW channel programs
/// (as a host access method issues them, one EXCP per block) against any <see cref="IChannelDevice"/>
/// — the in-process drive or <c>ChannelTape.Client.RemoteDevice</c> over the wire.
/// Command codes and Load Display data per docs/reference/hercules-tape.md §1.2 and §4.
/// </summary>
public sealed class DriveSession : ITapeBlockSource, IDisposable
{
    private const byte Write = 0x01;
    private const byte Read = 0x02;
    private const byte WriteTapeMark = 0x1F;
    private const byte RewindUnload = 0x0F;
    private const byte Rewind = 0x07;
    private const byte LoadDisplay = 0x9F;
    private const int LoadDisplayLength = 17;

    /// <summary>Function 010 (message 1 until loaded) with the blink bit, as MVS shows a mount (§4.1, §4.3).</summary>
    private const byte MountFormatControl = 0x48;

    /// <summary>How long a mount the library has already done may take to present its device end.</summary>
    private static readonly TimeSpan s_operatorMountDeviceEnd = TimeSpan.FromSeconds(10);

    private readonly IChannelDevice _drive;
    private readonly IDriveOperator? _operator;
    private readonly SemaphoreSlim _deviceEnd = new(0);
    private readonly byte[] _buffer;

    /// <param name="drive">The drive.</param>
    /// <param name="driveOperator">
    /// The operator's controls of the drive where the client has them: a mount the library refuses at once
    /// (<see cref="MountNow"/>), and the withdrawal of a Load Display request that timed out. Null in process.
    /// </param>
    public DriveSession(IChannelDevice drive, IDriveOperator? driveOperator = null)
    {
        _drive = drive;
        _operator = driveOperator;
        // A CCW's count is 16 bits on a real channel; a remote device may announce a larger frame limit.
        _buffer = new byte[Math.Min(drive.MaxTransfer, TapeDrive.MaxCcwCount)];
        _drive.UnsolicitedStatus += OnUnsolicitedStatus;
    }

    /// <summary>
    /// Asks for a mount with Load Display (<c>M</c> + volser + <c>S</c>) and waits for the drive's device end. A wait
    /// that times out or is cancelled (<paramref name="cancel"/>: SIGINT, SIGTERM) takes the request back where the
    /// operator's controls allow it, so nothing is left pending on the drive.
    /// </summary>
    public void Mount(string volumeSerial, TimeSpan timeout, CancellationToken cancel = default)
    {
        while (_deviceEnd.Wait(0))
        {
            // forget device ends presented before this request
        }

        var message = new StringBuilder().Append('M').Append(volumeSerial.PadRight(6)).Append('S').ToString();
        Span<byte> data = stackalloc byte[LoadDisplayLength];
        data[0] = MountFormatControl;
        Ebcdic.EncodePadded(message, data.Slice(1, 8));
        Ebcdic.EncodePadded(message, data.Slice(9, 8));
        var result = Run(LoadDisplay, data.Length, data, CcwFlags.None);
        if (result.Status != UnitStatus.ChannelEndDeviceEnd)
        {
            throw Failed($"Load Display mount {volumeSerial}", result);
        }

        if (!WaitForDeviceEnd(timeout, cancel))
        {
            // The library keeps a request it cannot satisfy pending (as for a host); this one's asker gives up,
            // so take the request back: a volume given back weeks later must not be mounted here by itself.
            string withdrawn = _operator is not null && _operator.Mount("*") is null ? " (request withdrawn)" : "";
            throw new TimeoutException($"volume {volumeSerial} was not mounted within {timeout.TotalSeconds:0.#} s{withdrawn}");
        }
    }

    /// <summary>
    /// Mounts <paramref name="volumeSerial"/> as an operator does (the library answers at once: an unknown
    /// volume or one mounted elsewhere is a <see cref="VolumeRefusedException"/>, and nothing stays pending),
    /// then waits for the drive's device end. Without the operator's controls, a Load Display mount
    /// (<see cref="Mount"/>).
    /// </summary>
    public void MountNow(string volumeSerial, TimeSpan timeout, CancellationToken cancel = default)
    {
        if (_operator is null)
        {
            Mount(volumeSerial, timeout, cancel);
            return;
        }

        while (_deviceEnd.Wait(0))
        {
            // forget device ends presented before this request
        }

        if (_operator.Mount(volumeSerial) is { } refusal)
        {
            throw new VolumeRefusedException(volumeSerial, refusal);
        }

        var wait = timeout < s_operatorMountDeviceEnd ? timeout : s_operatorMountDeviceEnd;
        if (!WaitForDeviceEnd(wait, cancel))
        {
            _operator.Mount("*");
            throw new TimeoutException($"volume {volumeSerial} was mounted but the drive presented no device end within {wait.TotalSeconds:0.#} s (unloaded again)");
        }
    }

    /// <summary>Reads the next block (Read, SLI, the largest count): block, tape mark, or the end.</summary>
    public BlockReadOutcome ReadBlock(Span<byte> buffer, out int length)
    {
        var result = Run(Read, _buffer.Length, _buffer, CcwFlags.SuppressLength);
        length = 0;
        if ((result.Status & UnitStatus.UnitCheck) != 0)
        {
            return BlockReadOutcome.End;
        }

        if ((result.Status & UnitStatus.UnitException) != 0)
        {
            return BlockReadOutcome.TapeMark;
        }

        length = _buffer.Length - result.Residual;
        if (result.More || length > buffer.Length)
        {
            throw new DriveOperationException($"block longer than {Math.Min(buffer.Length, _buffer.Length)} bytes", result.Status, []);
        }

        _buffer.AsSpan(0, length).CopyTo(buffer);
        return BlockReadOutcome.Block;
    }

    public void WriteBlock(ReadOnlySpan<byte> block)
    {
        block.CopyTo(_buffer);
        var result = Run(Write, block.Length, _buffer.AsSpan(0, block.Length), CcwFlags.None);
        if ((result.Status & ~UnitStatus.UnitException) != UnitStatus.ChannelEndDeviceEnd)
        {
            throw Failed("Write", result);
        }
    }

    public void WriteTapeMarks(int count)
    {
        for (int i = 0; i < count; i++)
        {
            var result = Run(WriteTapeMark, 1, _buffer.AsSpan(0, 1), CcwFlags.None);
            if ((result.Status & ~UnitStatus.UnitException) != UnitStatus.ChannelEndDeviceEnd)
            {
                throw Failed("Write Tape Mark", result);
            }
        }
    }

    public void RewindVolume()
    {
        var result = Run(Rewind, 1, _buffer.AsSpan(0, 1), CcwFlags.None);
        if (result.Status != UnitStatus.ChannelEndDeviceEnd)
        {
            throw Failed("Rewind", result);
        }
    }

    /// <summary>
    /// Rewind Unload. Hercules and ChannelTape end it with CE+DE+UC and intervention required
    /// (docs/reference/hercules-tape.md §1.2, kept because MVS ERPs expect it): that is success here.
    /// </summary>
    public void Unload()
    {
        var result = Run(RewindUnload, 1, _buffer.AsSpan(0, 1), CcwFlags.None);
        if ((result.Status & (UnitStatus.ChannelEnd | UnitStatus.DeviceEnd)) != (UnitStatus.ChannelEnd | UnitStatus.DeviceEnd))
        {
            throw Failed("Rewind Unload", result);
        }
    }

    /// <summary>
    /// Waits for the mount's device end; when <paramref name="cancel"/> stops the wait, the request (or the volume the
    /// operator's mount put on the drive) is taken back before <see cref="OperationCanceledException"/> is thrown.
    /// </summary>
    private bool WaitForDeviceEnd(TimeSpan timeout, CancellationToken cancel)
    {
        try
        {
            return _deviceEnd.Wait(timeout, cancel);
        }
        catch (OperationCanceledException)
        {
            _operator?.Mount("*");
            throw;
        }
    }

    public void Dispose()
    {
        _drive.UnsolicitedStatus -= OnUnsolicitedStatus;
        _deviceEnd.Dispose();
    }

    private CcwResult Run(byte command, int count, Span<byte> data, CcwFlags flags)
    {
        _drive.StartChannelProgram();
        try
        {
            return _drive.Execute(new CcwRequest(command, flags, CcwFlags.None, count, 0, 0), data[..count]);
        }
        finally
        {
            _drive.EndChannelProgram();
        }
    }

    private DriveOperationException Failed(string what, CcwResult result) =>
        new(what, result.Status, (result.Status & UnitStatus.UnitCheck) != 0 ? _drive.Sense.ToArray() : []);

    private void OnUnsolicitedStatus(IChannelDevice device, UnitStatus status)
    {
        if ((status & UnitStatus.DeviceEnd) != 0)
        {
            _deviceEnd.Release();
        }
    }
}
