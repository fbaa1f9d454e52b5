using ChannelTape.Admin.Volumes;
using ChannelTape.Channel;

namespace ChannelTape.Admin.Tests;

/// <summary>The journal the EVENTS and STATS reports show: what it keeps, how much, from many threads.</summary>
public sealed class ServerStatisticsTests
{
    private static readonly CcwResult s_normal = new(UnitStatus.ChannelEndDeviceEnd, 0);
    private static readonly CcwResult s_unitCheck = new(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck, 0);
    private static readonly CcwResult s_unitException = new(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitException, 0);
    private static readonly byte[] s_writeProtected = [0x80, 0x40, 0x20, 0x30, 0, 0, 0, 0x20, 0x99];

    [Fact]
    public void Unit_checks_are_journaled_with_sense_era_volume_and_command()
    {
        var statistics = new ServerStatistics(device => device == 0x0580 ? "T00001" : null);
        statistics.Record(0x0580, 0x01, s_unitCheck, s_writeProtected);
        var row = Assert.Single(statistics.Events());
        Assert.Equal((0x0580, "T00001", "UNITCHECK", "01", "8040203000000020", "30"), (row.DeviceNumber, row.VolumeSerial, row.Kind, row.Opcode, row.Sense, row.Era));
        Assert.Equal("Write (01): write protected", row.Text);
        Assert.Equal((1L, 1L, 0L), (statistics.Ccws, statistics.UnitChecks, statistics.UnitExceptions));
    }

    [Fact]
    public void Tape_marks_read_and_rewind_unload_are_counted_but_not_journaled()
    {
        var statistics = new ServerStatistics();
        statistics.Record(0x0580, 0x02, s_unitException, []); // Read hits a tape mark
        statistics.Record(0x0580, 0x37, s_unitException, []); // Forward Space Block over one
        statistics.Record(0x0580, 0x0F, s_unitCheck, [0x40, 0, 0, 0x2B]); // Rewind Unload's intervention required
        statistics.Record(0x0580, 0x02, s_normal, []);
        Assert.Empty(statistics.Events());
        Assert.Equal((4L, 1L, 2L), (statistics.Ccws, statistics.UnitChecks, statistics.UnitExceptions));

        statistics.Record(0x0580, 0x01, s_unitException, []); // Write past the end-of-tape marker
        var row = Assert.Single(statistics.Events());
        Assert.Equal(("UNITEXCEPT", "Write (01): end of tape reached"), (row.Kind, row.Text));
    }

    [Fact]
    public void Journal_keeps_the_newest_events_up_to_its_capacity_and_filters_by_drive()
    {
        var statistics = new ServerStatistics(capacity: 5);
        for (int i = 0; i < 12; i++)
        {
            statistics.RecordEvent((ushort)(0x0580 + (i % 2)), "MOUNTFAIL", $"event {i}");
        }

        Assert.Equal(["event 11", "event 10", "event 9", "event 8", "event 7"], statistics.Events().Select(e => e.Text));
        Assert.Equal(["event 11", "event 9", "event 7"], statistics.Events(0x0581).Select(e => e.Text));
        Assert.Equal(12, statistics.EventsRecorded);
    }

    [Fact]
    public void Drives_recording_at_once_lose_no_count_and_never_exceed_the_capacity()
    {
        var statistics = new ServerStatistics(capacity: 100);
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (int i = 0; i < 5000; i++)
            {
                statistics.Record((ushort)(0x0580 + t), 0x01, i % 10 == 0 ? s_unitCheck : s_normal, s_writeProtected);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        Assert.Equal(20_000, statistics.Ccws);
        Assert.Equal(2_000, statistics.UnitChecks);
        Assert.Equal(2_000, statistics.EventsRecorded);
        Assert.Equal(100, statistics.Events().Count);
    }
}
