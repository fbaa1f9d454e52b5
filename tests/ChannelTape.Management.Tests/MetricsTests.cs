using ChannelTape.Admin.Lms;
using ChannelTape.Client;
using ChannelTape.Testing;

namespace ChannelTape.Management.Tests;

/// <summary><c>/metrics</c>: the ctape_ series in the Prometheus text format, read from what the drives count.</summary>
public sealed class MetricsTests : IAsyncLifetime
{
    private ServedLibrary _library = null!;

    public Task InitializeAsync()
    {
        _library = ServedLibrary.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _library.DisposeAsync();

    private async Task<IReadOnlyList<string>> ScrapeAsync()
    {
        using var response = await _library.Http.GetAsync("metrics");
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return (await response.Content.ReadAsStringAsync()).Split('\n');
    }

    [Fact]
    public async Task Every_series_has_help_and_type_and_drives_are_labelled_by_device_number()
    {
        var lines = await ScrapeAsync();

        var names = lines.Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToList();
        Assert.Equal(names.Count, lines.Count(l => l.StartsWith("# HELP ctape_", StringComparison.Ordinal)));
        foreach (var name in new[]
                 {
                     "ctape_drive_ccws_total", "ctape_drive_read_blocks_total", "ctape_drive_read_bytes_total", "ctape_drive_write_blocks_total",
                     "ctape_drive_write_bytes_total", "ctape_drive_tape_marks_written_total", "ctape_drive_unit_checks_total", "ctape_drive_mounts_total",
                     "ctape_drive_mount_refusals_total", "ctape_drive_write_behind_blocks_total", "ctape_drive_read_ahead_blocks_total",
                     "ctape_drive_read_ahead_referred_blocks_total", "ctape_drive_read_ahead_returned_blocks_total", "ctape_drive_loaded",
                     "ctape_drive_attached", "ctape_drive_mount_pending", "ctape_mount_duration_seconds", "ctape_library_volumes",
                     "ctape_library_scratch_volumes", "ctape_library_capacity_bytes", "ctape_library_used_bytes", "ctape_server_connections",
                     "ctape_server_connections_accepted_total", "ctape_server_connections_refused_total", "ctape_server_protocol_errors_total",
                     "ctape_server_uptime_seconds",
                 })
        {
            Assert.Contains(name, names);
        }

        Assert.Equal(8, lines.Count(l => l.StartsWith("ctape_drive_ccws_total{drive=\"05", StringComparison.Ordinal)));
        Assert.Contains("ctape_library_volumes{pool=\"SCRATCH\",status=\"scratch\"} 100", lines);
        Assert.Contains("ctape_library_scratch_volumes{pool=\"SCRATCH\"} 100", lines);
        Assert.Contains($"ctape_library_capacity_bytes{{pool=\"SCRATCH\"}} {100L * (800L << 20)}", lines);
        Assert.Contains("# TYPE ctape_mount_duration_seconds histogram", lines);
    }

    [Fact]
    public async Task A_guest_mount_and_its_data_show_in_the_drive_series_and_the_mount_latency_histogram()
    {
        var endPoint = _library.Server.EndPoint;
        using (var device = RemoteDevice.Connect("127.0.0.1", endPoint.Port, 0x0582, new RemoteDeviceOptions { Reconnect = false }))
        using (var session = new DriveSession(device))
        {
            session.Mount("T00005", EventRecorder.Patience);
            session.WriteBlock(new byte[4000]);
            session.WriteTapeMarks(1);

            var attached = await ScrapeAsync();
            Assert.Contains("ctape_drive_attached{drive=\"0582\"} 1", attached);
            Assert.Contains("ctape_server_connections 1", attached);
            session.Unload();
        }

        var lines = await ScrapeAsync();

        Assert.Contains("ctape_drive_mounts_total{drive=\"0582\"} 1", lines);
        Assert.Contains("ctape_drive_write_blocks_total{drive=\"0582\"} 1", lines);
        Assert.Contains("ctape_drive_write_bytes_total{drive=\"0582\"} 4000", lines);
        Assert.Contains("ctape_drive_tape_marks_written_total{drive=\"0582\"} 1", lines);
        Assert.Contains("ctape_mount_duration_seconds_count{drive=\"0582\"} 1", lines);
        Assert.Contains("ctape_mount_duration_seconds_bucket{drive=\"0582\",le=\"+Inf\"} 1", lines);
        Assert.Contains("ctape_drive_mounts_total{drive=\"0583\"} 0", lines);
        Assert.Contains("ctape_server_connections_accepted_total 1", lines);
    }

    [Fact]
    public async Task Two_servers_in_one_process_keep_their_own_series()
    {
        await _library.Client.MountAsync(0x0580, "T00001");
        await using var other = ServedLibrary.Start();

        var mine = await ScrapeAsync();
        var theirs = (await other.Http.GetStringAsync("metrics")).Split('\n');

        Assert.Contains("ctape_drive_mounts_total{drive=\"0580\"} 1", mine);
        Assert.Contains("ctape_drive_mounts_total{drive=\"0580\"} 0", theirs);
        Assert.Single(theirs, l => l.StartsWith("ctape_drive_mounts_total{drive=\"0580\"}", StringComparison.Ordinal));
    }
}
