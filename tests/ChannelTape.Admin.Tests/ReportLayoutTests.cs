using ChannelTape.Admin.Reports;

namespace ChannelTape.Admin.Tests;

public sealed class ReportLayoutTests
{
    [Fact]
    public void Every_layout_fits_the_record_length_and_has_unique_columns()
    {
        foreach (var layout in StatusReports.All)
        {
            int end = layout.Offsets[^1] + layout.Columns[^1].Width;
            Assert.True(end <= ReportLayout.RecordLength, $"{layout.ReportName} ends at {end}");
            Assert.Equal(layout.Columns.Count, layout.Columns.Select(c => c.Name).Distinct().Count());
            Assert.StartsWith("CTAPE.", layout.DataSetName, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Columns_are_separated_by_one_blank_after_the_record_type()
    {
        var layout = StatusReports.Scratch;
        Assert.Equal([2, 11, 18, 27, 41], layout.Offsets);
    }

    [Fact]
    public void Data_record_puts_text_left_and_numbers_right()
    {
        var row = new ScratchVolumeRow("SCRATCH", "T00042", "3490E", 800_000_000);
        var record = new char[ReportLayout.RecordLength];
        StatusReports.Scratch.FormatData(row.ToValues(), record);
        string text = new(record);
        Assert.Equal("D SCRATCH  T00042 3490E        800000000", text[..40]);
        Assert.Equal(ReportLayout.RecordLength, text.Length);
        Assert.Equal(" SCRATCH" + new string(' ', 112), text[40..]); // POOLNAME (layout 02)
    }

    [Fact]
    public void A_pool_name_longer_than_POOL_is_whole_in_POOLNAME_and_read_back_whole()
    {
        var row = new PoolStatusRow("PRODUCTION", "3490E", "SL", 3, 0, 3, 0, 30, 0);
        var record = new char[ReportLayout.RecordLength];
        StatusReports.Pools.FormatData(row.ToValues(), record);
        string text = new(record);
        Assert.Equal("PRODUCTI ", text[2..11]); // POOL keeps 8 characters for layout 01 readers
        Assert.Equal(row, PoolStatusRow.FromValues(StatusReports.Pools.ParseData(text)));
        var volume = new VolumeStatusRow("P00001", "PRODUCTION", "PRIVATE", "3490E", "SL", false, 10, 1, 0, 0, null, null, "");
        StatusReports.Volumes.FormatData(volume.ToValues(), record);
        Assert.Equal("PRODUCTION", VolumeStatusRow.FromValues(StatusReports.Volumes.ParseData(new string(record))).Pool);
        var scratch = new ScratchVolumeRow("PRODUCTION", "P00002", "3490E", 10);
        StatusReports.Scratch.FormatData(scratch.ToValues(), record);
        Assert.Equal(scratch, ScratchVolumeRow.FromValues(StatusReports.Scratch.ParseData(new string(record))));
    }

    [Fact]
    public void The_server_holding_a_mount_is_the_last_column_of_VOLUMES_and_MOUNTS_cut_to_its_width()
    {
        var record = new char[ReportLayout.RecordLength];
        var volume = new VolumeStatusRow("T00001", "SCRATCH", "MOUNTED", "3490E", "SL", false, 10, 1, 0, 1, null, null, "", "vts-a.example.com:/srv/ctape");
        StatusReports.Volumes.FormatData(volume.ToValues(), record);
        Assert.Equal("vts-a.exampl", new string(record, 148, 12)); // position 149, 12 characters
        Assert.Equal(volume with { Server = "vts-a.exampl" }, VolumeStatusRow.FromValues(StatusReports.Volumes.ParseData(new string(record))));

        var now = new DateTimeOffset(2026, 12, 7, 21, 0, 0, TimeSpan.Zero);
        var mount = new MountStatusRow(0x0580, "T00001", "SPECIFIC", now, now, null, "vts-a.example.com:/srv/ctape");
        StatusReports.Mounts.FormatData(mount.ToValues(), record);
        Assert.Equal("vts-a.example.com:/srv/ctape".PadRight(64), new string(record, 94, 64)); // position 95
        Assert.Equal(mount, MountStatusRow.FromValues(StatusReports.Mounts.ParseData(new string(record))));
        Assert.Equal("03", ReportLayout.LayoutVersion);
    }

    [Fact]
    public void Numbers_too_wide_for_their_column_show_asterisks_not_shifted_digits()
    {
        var row = new ScratchVolumeRow("P", "V", "M", 12_345_678_901_234);
        var record = new char[ReportLayout.RecordLength];
        StatusReports.Scratch.FormatData(row.ToValues(), record);
        Assert.Equal(new string('*', 13), new string(record, 27, 13));
        Assert.Equal(' ', record[40]);
    }

    [Fact]
    public void Rows_round_trip_through_their_records()
    {
        var now = new DateTimeOffset(2026, 11, 27, 15, 4, 5, TimeSpan.Zero);
        AssertRoundTrip(new DriveStatusRow(0x0580, "3490", "READY", "T00001", false, 3, 17, 10, 800, 7, 560, " READY  ".Trim(), "", now));
        AssertRoundTrip(new VolumeStatusRow("T00001", "SCRATCH", "PRIVATE", "3490E", "SL", true, 800_000_000, 1234, 5, 9, new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero), null, "PAYROLL.MASTER"));
        AssertRoundTrip(new ScratchVolumeRow("SCRATCH", "T00002", "3490E", 800_000_000));
        AssertRoundTrip(new PoolStatusRow("SCRATCH", "3490E", "SL", 100, 90, 10, 2, 80_000_000_000, 1_000_000));
        AssertRoundTrip(new MountStatusRow(0x0581, "T00003", "SCRATCH", now, now.AddSeconds(1), null));
        AssertRoundTrip(new MountStatusRow(0x0581, "T00003", "SCRATCH", now, now.AddSeconds(1), null, "vts-b"));
        AssertRoundTrip(new VolumeStatusRow("T00003", "SCRATCH", "MOUNTED", "3490E", "SL", false, 10, 1, 0, 1, null, null, "", "vts-b"));
        AssertRoundTrip(new StatisticRow("BYTES WRITTEN", "123456", "BYTES"));
        AssertRoundTrip(new ConfigurationLineRow(12, "drive 0580-0587 model 3490;"));
        AssertRoundTrip(new EventRow(now, 0x0580, "T00001", "UNITCHECK", "02", "0840203100000020", "31", "end of data"));
    }

    [Fact]
    public void Pool_percentage_has_one_decimal()
    {
        var row = new PoolStatusRow("P", "M", "SL", 1, 0, 1, 0, 3000, 1000);
        Assert.Equal("33.3", row.ToValues()[9]);
    }

    private static void AssertRoundTrip<T>(T row) where T : IStatusRow<T>
    {
        var record = new char[ReportLayout.RecordLength];
        T.Layout.FormatData(row.ToValues(), record);
        var parsed = T.FromValues(T.Layout.ParseData(record));
        Assert.Equal(row, parsed);
    }
}
