using System.Diagnostics.CodeAnalysis;
using ChannelTape.Channel;
using ChannelTape.Server;

namespace ChannelTape.Server.Tests.Support;

/// <summary>
/// A small in-memory tape drive for the server tests (the real TapeDrive is the device core's): blocks
/// in a list, a position, sense, and a check that the server never runs two CCWs on it at once.
/// Volumes live in a shared <see cref="Library"/> so written blocks outlive a mount.
/// </summary>
public sealed class MemoryTapeDrive(ushort deviceNumber, Dictionary<string, List<byte[]>> library) : IChannelDevice, IServedDrive
{
    public const byte Write = 0x01;
    public const byte Read = 0x02;
    public const byte NoOperation = 0x03;
    public const byte SenseCommand = 0x04;
    public const byte Rewind = 0x07;
    public const byte ReadBackward = 0x0C;
    public const byte LocateBlock = 0x4F;
    public const byte SenseId = 0xE4;
    /// <summary>Test-only control command: blocks until <see cref="Halt"/>, then ends with CE+DE+UX.</summary>
    public const byte WaitForHalt = 0xFF;
    /// <summary>Test-only control command: sleeps the number of milliseconds in its one data byte.</summary>
    public const byte Sleep = 0xFB;

    private static readonly byte[] s_senseId = [0xFF, 0x34, 0x90, 0x50, 0x34, 0x90, 0x50];
    private readonly byte[] _sense = new byte[32];
    private readonly ManualResetEventSlim _halted = new(false);
    private List<byte[]>? _volume;
    private int _executing;

    public Dictionary<string, List<byte[]>> Library { get; } = library;

    public string? VolumeName { get; private set; }

    public int Position { get; private set; }

    /// <summary>True if the server ever ran two CCWs on this drive at the same time.</summary>
    public bool OverlapSeen { get; private set; }

    public int ProgramsStarted { get; private set; }

    public int ProgramsEnded { get; private set; }

    public int CommandsExecuted { get; private set; }

    public bool VolumeClosed { get; private set; }

    /// <summary>Set once <see cref="WaitForHalt"/> is running.</summary>
    public ManualResetEventSlim WaitingForHalt { get; } = new(false);

    public ushort DeviceNumber { get; } = deviceNumber;

    public int MaxTransfer => 2 * 1024 * 1024;

    public ReadOnlySpan<byte> Sense => _sense;

    public event Action<IChannelDevice, UnitStatus>? UnsolicitedStatus;

    public IChannelDevice Device => this;

    public SemaphoreSlim Gate { get; } = new(1, 1);

    public string? AttachedHost { get; private set; }

    public void SetAttachedHost(string host) => AttachedHost = host;

    public ushort Model => 0x3490;

    ReadOnlySpan<byte> IServedDrive.SenseId => s_senseId;

    public int SenseCount => _sense.Length;

    public bool IsLoaded => _volume is not null;

    public string DeviceListText => _volume is null ? "* (unloaded)" : $"{VolumeName} [{Position}] IBM 3490 R/W";

    public bool IsImmediate(byte command) => command is NoOperation or Rewind;

    public CcwResult Execute(in CcwRequest request, Span<byte> buffer)
    {
        if (Interlocked.Increment(ref _executing) != 1)
        {
            OverlapSeen = true;
        }

        try
        {
            CommandsExecuted++;
            return ExecuteCore(request, buffer);
        }
        finally
        {
            Interlocked.Decrement(ref _executing);
        }
    }

    public int TakeConcurrentSense(Span<byte> destination)
    {
        _sense.CopyTo(destination);
        Array.Clear(_sense);
        return _sense.Length;
    }

    public void StartChannelProgram() => ProgramsStarted++;

    public void EndChannelProgram() => ProgramsEnded++;

    public void Halt() => _halted.Set();

    public bool TryMount(string arguments, out string message)
    {
        var name = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";
        if (name == "*")
        {
            _volume = null;
            VolumeName = null;
            message = "unloaded";
        }
        else if (name.StartsWith("bad", StringComparison.Ordinal))
        {
            message = $"cannot open {name}: no such file";
            return false;
        }
        else
        {
            if (!Library.TryGetValue(name, out var volume))
            {
                volume = [];
                Library[name] = volume;
            }

            _volume = volume;
            VolumeName = name;
            Position = 0;
            message = $"{name} mounted";
        }

        UnsolicitedStatus?.Invoke(this, UnitStatus.DeviceEnd);
        return true;
    }

    public void CloseVolume() => VolumeClosed = true;

    private CcwResult ExecuteCore(in CcwRequest request, Span<byte> buffer)
    {
        var count = request.Count;
        switch (request.Command)
        {
            case NoOperation or Rewind:
                if (request.Command == Rewind && _volume is not null)
                {
                    Position = 0;
                }

                return new CcwResult(UnitStatus.ChannelEndDeviceEnd, count);
            case SenseCommand:
                var senseLength = Math.Min(count, _sense.Length);
                _sense.AsSpan(0, senseLength).CopyTo(buffer);
                Array.Clear(_sense);
                return new CcwResult(UnitStatus.ChannelEndDeviceEnd, count - senseLength);
            case SenseId:
                var idLength = Math.Min(count, s_senseId.Length);
                s_senseId.AsSpan(0, idLength).CopyTo(buffer);
                return new CcwResult(UnitStatus.ChannelEndDeviceEnd, count - idLength);
            case WaitForHalt:
                WaitingForHalt.Set();
                // Bounded: a halt that never comes fails the test waiting for this reply instead of
                // leaving a CCW that keeps the test host from exiting.
                bool halted = _halted.Wait(RawPeer.Patience);
                _halted.Reset();
                return new CcwResult(halted ? UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitException : UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck, count);
            case Sleep:
                Thread.Sleep(count > 0 ? buffer[0] : 0);
                return new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0);
        }

        if (!TryGetVolume(out var volume))
        {
            return UnitCheck(0x40, count);
        }

        switch (request.Command)
        {
            case Write:
                volume.RemoveRange(Position, volume.Count - Position);
                volume.Add(buffer[..count].ToArray());
                Position++;
                return new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0);
            case Read:
                if (Position >= volume.Count)
                {
                    return new CcwResult(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitException, count);
                }

                var block = volume[Position++];
                var length = Math.Min(count, block.Length);
                block.AsSpan(0, length).CopyTo(buffer);
                return new CcwResult(UnitStatus.ChannelEndDeviceEnd, count - length, block.Length > count);
            case ReadBackward:
                if (Position == 0)
                {
                    return UnitCheck(0x08, count);
                }

                var previous = volume[--Position];
                var backLength = Math.Min(count, previous.Length);
                previous.AsSpan(previous.Length - backLength).CopyTo(buffer[(count - backLength)..]);
                return new CcwResult(UnitStatus.ChannelEndDeviceEnd, count - backLength, previous.Length > count);
            case LocateBlock:
                if (count < 4)
                {
                    return UnitCheck(0x80, count);
                }

                Position = Math.Min((int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(buffer), volume.Count);
                return new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0);
            default:
                return UnitCheck(0x80, count);
        }
    }

    private bool TryGetVolume([NotNullWhen(true)] out List<byte[]>? volume)
    {
        volume = _volume;
        return volume is not null;
    }

    private CcwResult UnitCheck(byte senseByte0, int count)
    {
        Array.Clear(_sense);
        _sense[0] = senseByte0;
        _sense[3] = 0x99;
        return new CcwResult(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck, count);
    }
}

/// <summary>A drive host over <see cref="MemoryTapeDrive"/>s sharing one library.</summary>
public sealed class MemoryDriveHost : IDriveHost
{
    private readonly Dictionary<ushort, MemoryTapeDrive> _drives = [];

    public MemoryDriveHost(params ushort[] deviceNumbers)
    {
        foreach (var number in deviceNumbers)
        {
            _drives[number] = new MemoryTapeDrive(number, Library);
        }
    }

    public Dictionary<string, List<byte[]>> Library { get; } = [];

    public IReadOnlyCollection<IServedDrive> Drives => _drives.Values;

    public MemoryTapeDrive this[ushort deviceNumber] => _drives[deviceNumber];

    public bool TryGetDrive(ushort deviceNumber, [NotNullWhen(true)] out IServedDrive? drive)
    {
        drive = _drives.GetValueOrDefault(deviceNumber);
        return drive is not null;
    }
}
