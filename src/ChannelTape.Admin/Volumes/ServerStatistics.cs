using System.Globalization;
using ChannelTape.Admin.Reports;
using ChannelTape.Channel;
using ChannelTape.Device;

namespace ChannelTape.Admin.Volumes;

/// <summary>
/// The server's event journal and CCW totals for the STATS and EVENTS reports (issue 5).
/// The drive host calls <see cref="Record"/> after each CCW, in one line:
/// <code>statistics.Record(drive.DeviceNumber, request.Command, result, drive.Sense);</code>
/// Thread-safe: drives call it from their own threads while a report reads it. Memory is bounded:
/// the journal keeps the most recent <see cref="Capacity"/> events.
/// </summary>
/// <remarks>
/// What is journaled: every unit check, except the one Rewind Unload always ends with (CE+DE+UC,
/// intervention required, ERA 2B: docs/reference/hercules-tape.md §1.2, by design); and unit exceptions of
/// commands that do not read or space over tape marks (end of tape while writing). A unit
/// exception on Read, Read Backward, Forward/Backspace Block is a tape mark, the normal end of a
/// data set: it is counted, not journaled, or every status data set read would flood the journal.
/// CCWs on administrative and command volumes are not recorded at all (<see cref="StatisticsRecordingDevice"/>):
/// the totals are the hosts' traffic, not that of whoever reads them.
/// </remarks>
public sealed class ServerStatistics
{
    /// <summary>Events kept when no capacity is given.</summary>
    public const int DefaultCapacity = 1000;

    /// <summary>Sense bytes shown in an event (the first 8, as the EVENTS layout's SENSE column holds).</summary>
    private const int SenseBytesShown = 8;

    private readonly object _lock = new();
    private readonly EventRow[] _ring;
    private readonly TimeProvider _time;
    private readonly Func<ushort, string?> _volumeOf;
    private int _next;
    private int _count;
    private long _ccws;
    private long _unitChecks;
    private long _unitExceptions;
    private long _eventsRecorded;

    /// <param name="volumeOf">The volume serial on a drive, for events (e.g. from LibraryManager.State); null when empty.</param>
    /// <param name="capacity">Events kept, at least 1.</param>
    /// <param name="time">Clock (tests pass a fake one).</param>
    public ServerStatistics(Func<ushort, string?>? volumeOf = null, int capacity = DefaultCapacity, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ring = new EventRow[capacity];
        _volumeOf = volumeOf ?? (_ => null);
        _time = time ?? TimeProvider.System;
        StartedAt = _time.GetUtcNow();
    }

    /// <summary>When the recorder (the server) started.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Events the journal keeps at most.</summary>
    public int Capacity => _ring.Length;

    public TimeSpan Uptime => _time.GetUtcNow() - StartedAt;

    /// <summary>CCWs recorded.</summary>
    public long Ccws => Interlocked.Read(ref _ccws);

    /// <summary>CCWs that ended with unit check (all, journaled or not).</summary>
    public long UnitChecks => Interlocked.Read(ref _unitChecks);

    /// <summary>CCWs that ended with unit exception (tape marks read included).</summary>
    public long UnitExceptions => Interlocked.Read(ref _unitExceptions);

    /// <summary>Events ever journaled (more than the journal holds once it has wrapped).</summary>
    public long EventsRecorded => Interlocked.Read(ref _eventsRecorded);

    /// <summary>Records the outcome of one CCW. <paramref name="sense"/> is the drive's sense (read only on unit check).</summary>
    public void Record(ushort deviceNumber, byte opcode, CcwResult result, ReadOnlySpan<byte> sense)
    {
        Interlocked.Increment(ref _ccws);
        bool unitCheck = (result.Status & UnitStatus.UnitCheck) != 0;
        bool unitException = (result.Status & UnitStatus.UnitException) != 0;
        if (!unitCheck && !unitException)
        {
            return;
        }

        if (unitCheck)
        {
            Interlocked.Increment(ref _unitChecks);
            byte era = sense.Length > SenseBuilder.EraOffset ? sense[SenseBuilder.EraOffset] : (byte)0;
            if (opcode == (byte)TapeCommand.RewindUnload && era == SenseBuilder.EraEnvironmentalDataPresent)
            {
                return;
            }

            Journal(deviceNumber, "UNITCHECK", opcode, sense, $"{CommandName(opcode)}: {EraText(era)}");
        }

        if (unitException)
        {
            Interlocked.Increment(ref _unitExceptions);
            if (!unitCheck && !IsTapeMarkRead(opcode))
            {
                Journal(deviceNumber, "UNITEXCEPT", opcode, [], $"{CommandName(opcode)}: end of tape reached");
            }
        }
    }

    /// <summary>Journals an event that is not a CCW outcome (a mount that could not be satisfied, a command volume refused).</summary>
    public void RecordEvent(ushort deviceNumber, string kind, string text) =>
        Journal(deviceNumber, kind, null, [], text);

    /// <summary>Journaled events, newest first, of all drives or one.</summary>
    public IReadOnlyList<EventRow> Events(int? deviceNumber = null)
    {
        lock (_lock)
        {
            var events = new List<EventRow>(_count);
            for (int i = 1; i <= _count; i++)
            {
                var row = _ring[(_next - i + _ring.Length) % _ring.Length];
                if (deviceNumber is null || row.DeviceNumber == deviceNumber)
                {
                    events.Add(row);
                }
            }

            return events;
        }
    }

    private void Journal(ushort deviceNumber, string kind, byte? opcode, ReadOnlySpan<byte> sense, string text)
    {
        string senseHex = Convert.ToHexString(sense[..Math.Min(sense.Length, SenseBytesShown)]);
        string era = sense.Length > SenseBuilder.EraOffset ? sense[SenseBuilder.EraOffset].ToString("X2", CultureInfo.InvariantCulture) : string.Empty;
        var row = new EventRow(
            TruncateToSeconds(_time.GetUtcNow()),
            deviceNumber,
            _volumeOf(deviceNumber) ?? string.Empty,
            kind,
            opcode is { } op ? op.ToString("X2", CultureInfo.InvariantCulture) : string.Empty,
            senseHex,
            era,
            text);
        lock (_lock)
        {
            _ring[_next] = row;
            _next = (_next + 1) % _ring.Length;
            _count = Math.Min(_count + 1, _ring.Length);
            _eventsRecorded++;
        }
    }

    // The report shows seconds; keeping seconds here makes a row read back equal to the one recorded.
    private static DateTimeOffset TruncateToSeconds(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    private static bool IsTapeMarkRead(byte opcode) => (TapeCommand)opcode is
        TapeCommand.Read or TapeCommand.ReadBackward or TapeCommand.ForwardSpaceBlock or TapeCommand.BackspaceBlock
        or TapeCommand.ForwardSpaceFile or TapeCommand.BackspaceFile or TapeCommand.LocateBlock;

    private static string CommandName(byte opcode) =>
        Enum.IsDefined((TapeCommand)opcode) ? $"{(TapeCommand)opcode} ({opcode:X2})" : $"command {opcode:X2}";

    /// <summary>Error recovery actions (sense byte 3) as tapedev.h TAPE_ERA_* names them.</summary>
    private static string EraText(byte era) => SenseBuilder.EraDescription(era);
}
