using System.Net;
using System.Text.Json;
using ChannelTape.Client.Management;
using ChannelTape.Runtime.Events;
using ChannelTape.Testing;

namespace ChannelTape.Management.Tests;

/// <summary>The management API as an operator's tool (and ctape) uses it, through <see cref="ManagementClient"/> and raw HTTP.</summary>
public sealed class ManagementApiTests : IAsyncLifetime
{
    private ServedLibrary _library = null!;

    private ManagementClient Client => _library.Client;

    public Task InitializeAsync()
    {
        _library = ServedLibrary.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _library.DisposeAsync();

    [Fact]
    public async Task Drives_lists_every_configured_drive_with_device_numbers_as_hex_text_and_counters_as_numbers()
    {
        var drives = await Client.DrivesAsync();

        Assert.Equal(["0580", "0581", "0582", "0583", "0584", "0585", "0586", "0587"], drives.Select(d => d.Device));
        Assert.All(drives, d => Assert.Equal(("3490", "empty"), (d.Model, d.State)));
        using var json = JsonDocument.Parse(await _library.Http.GetStringAsync("api/drives"));
        var first = json.RootElement[0];
        Assert.Equal(JsonValueKind.String, first.GetProperty("device").ValueKind);
        Assert.Equal(JsonValueKind.Number, first.GetProperty("counters").GetProperty("ccws").ValueKind);
    }

    [Fact]
    public async Task An_operator_mount_and_unload_go_through_the_drive_and_show_in_drives_mounts_and_events()
    {
        var mounted = await Client.MountAsync(0x0581, "T00007", readOnly: true);

        Assert.Equal("loaded", mounted.State);
        Assert.Equal(new DriveVolume("T00007", null, true, false, mounted.Volume!.MountedAt), mounted.Volume);
        Assert.Equal(new MountInfo("0581", "T00007", true, mounted.Volume.MountedAt, null), Assert.Single((await Client.MountsAsync()).Mounts));
        Assert.Equal("mounted", (await Client.VolumeAsync("T00007")).Status);
        _library.Server.Recorder.WaitFor<VolumeMounted>(e => e.DeviceNumber == 0x0581 && e.Source == MountSource.Operator);

        var unloaded = await Client.UnloadAsync(0x0581);

        Assert.Equal(("empty", null), (unloaded.State, unloaded.Volume));
        Assert.Empty((await Client.MountsAsync()).Mounts);
        Assert.NotEqual("mounted", (await Client.VolumeAsync("T00007")).Status);
        var events = await Client.EventsAsync(device: 0x0581);
        Assert.Equal(["VolumeUnloaded", "VolumeMounted", "MountRequested"], events.Select(e => e.Type).Take(3));
        Assert.Equal("T00007", events[1].Fields["volume"].GetString());
        var history = Assert.Single(await Client.MountHistoryAsync(device: 0x0581));
        Assert.Equal(("T00007", "0581"), (history.Volser, history.Device));
    }

    [Fact]
    public async Task A_refused_mount_is_a_conflict_that_says_why_and_names_the_refusal()
    {
        await Client.MountAsync(0x0580, "T00001");

        var refused = await Assert.ThrowsAsync<ManagementException>(() => Client.MountAsync(0x0582, "T00001"));

        Assert.Equal(HttpStatusCode.Conflict, refused.Status);
        Assert.Equal("VolumeMounted", refused.Refusal);
        Assert.Equal("volume T00001 is mounted on drive 0580", refused.Message);
        var unknown = await Assert.ThrowsAsync<ManagementException>(() => Client.MountAsync(0x0582, "ZZZ999"));
        Assert.Equal(("UnknownVolume", "volume ZZZ999 is not in the library"), (unknown.Refusal, unknown.Message));
        Assert.Equal("empty", (await Client.DriveAsync(0x0582)).State);
    }

    [Theory]
    [InlineData("GET", "api/drives/XYZ", null, "text/plain", 400, "'XYZ' is not a device number: 1 to 4 hex digits, such as 0580")]
    [InlineData("GET", "api/drives/12345", null, "text/plain", 400, "'12345' is not a device number: 1 to 4 hex digits, such as 0580")]
    [InlineData("GET", "api/drives/0999", null, "text/plain", 404, "no drive 0999 is configured (drives: 0580-0587)")]
    [InlineData("POST", "api/drives/0580/mount", "{bad", "application/json", 400, null)]
    [InlineData("POST", "api/drives/0580/mount", "", "application/json", 400, "a JSON body is needed (MountRequestBody)")]
    [InlineData("POST", "api/drives/0580/mount", "[1,2]", "application/json", 400, null)]
    [InlineData("POST", "api/drives/0580/mount", "{\"volser\":\"T000001\"}", "application/json", 400, "'T000001' is not a volume serial: volume serial 'T000001' has 7 characters, expected 6")]
    [InlineData("POST", "api/drives/0580/mount", "{\"volser\":\"T00001\"}", "text/plain", 415, "the body must be application/json, not text/plain")]
    [InlineData("POST", "api/drives/0580/mount", "{}", "application/json", 400, "a volume serial is needed")]
    [InlineData("GET", "api/volumes?status=lost", null, "text/plain", 400, "unknown status 'lost', expected scratch, private or mounted")]
    [InlineData("GET", "api/volumes?limit=0", null, "text/plain", 400, "limit 0 is out of range, expected 1 to 1000")]
    [InlineData("GET", "api/volumes?limit=many", null, "text/plain", 400, null)]
    [InlineData("GET", "api/volumes/T0", null, "text/plain", 400, "'T0' is not a volume serial: volume serial 'T0' has 2 characters, expected 6")]
    [InlineData("GET", "api/volumes/Q99999", null, "text/plain", 404, "no volume Q99999 in the library")]
    [InlineData("POST", "api/volumes", "{\"volumes\":[\"A00009-A00000\"],\"pool\":\"P\"}", "application/json", 400, "'A00009-A00000': range A00009-A00000: first serial is after the last")]
    [InlineData("POST", "api/volumes", "{\"volumes\":[\"A00000\"],\"pool\":\"bad pool!\"}", "application/json", 400, "invalid pool name 'bad pool!': 1-16 of A-Z a-z 0-9 _ -")]
    [InlineData("POST", "api/volumes", "{\"volumes\":[\"A00000\"],\"pool\":\"P\",\"capacity\":\"big\"}", "application/json", 400, null)]
    [InlineData("POST", "api/volumes/T00001/move", "{\"pool\":\"\"}", "application/json", 400, "invalid pool name '': 1-16 of A-Z a-z 0-9 _ -")]
    [InlineData("GET", "api/events?limit=100000", null, "text/plain", 400, "limit 100000 is out of range, expected 1 to 500")]
    [InlineData("GET", "api/no/such/thing", null, "text/plain", 404, "no such path /api/no/such/thing: the API is described at /openapi/v1.json")]
    [InlineData("DELETE", "api/drives", null, "text/plain", 405, "DELETE is not allowed on /api/drives")]
    public async Task Bad_requests_are_answered_with_problem_details_and_the_server_goes_on(string method, string path, string? body, string type, int status, string? detail)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(type);
        }

        using var response = await _library.Http.SendAsync(request);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        if (detail is not null)
        {
            Assert.Equal(detail, problem.RootElement.GetProperty("detail").GetString());
        }

        Assert.Equal(8, (await Client.DrivesAsync()).Count);
    }

    [Fact]
    public async Task Volumes_come_a_page_at_a_time_filtered_by_pool_and_status()
    {
        var page = await Client.VolumesAsync(pool: "SCRATCH", offset: 95, limit: 10);

        Assert.Equal((100, 95, 10), (page.Total, page.Offset, page.Limit));
        Assert.Equal(["T00095", "T00096", "T00097", "T00098", "T00099"], page.Volumes.Select(v => v.Volser));
        await Client.UnscratchAsync("T00003");
        var private_ = await Client.VolumesAsync(status: "private");
        Assert.Equal(("T00003", 1L), (Assert.Single(private_.Volumes).Volser, private_.Total));
        Assert.Equal(0, (await Client.VolumesAsync(pool: "NOPE")).Total);
    }

    [Fact]
    public async Task Volumes_are_added_scratched_unscratched_and_moved_and_a_mounted_one_is_left_alone()
    {
        var added = await Client.AddVolumesAsync(new AddVolumesBody(["X00000-X00009", "X00100"], "EXTRA", Media: "3480", Capacity: 1 << 20, Scratch: false));
        var again = await Client.AddVolumesAsync(new AddVolumesBody(["X00005-X00014"], "EXTRA"));

        Assert.Equal(new AddVolumesResult("EXTRA", 11, 0), added);
        Assert.Equal(new AddVolumesResult("EXTRA", 5, 5), again);
        var x = await Client.VolumeAsync("X00000");
        Assert.Equal(("EXTRA", "private", "3480", 1L << 20), (x.Pool, x.Status, x.Media, x.Capacity));
        Assert.Equal("scratch", (await Client.ScratchAsync("X00000")).Status);
        Assert.Equal("private", (await Client.UnscratchAsync("X00000")).Status);
        Assert.Equal("SCRATCH", (await Client.MoveAsync("X00000", "SCRATCH")).Pool);

        await Client.MountAsync(0x0580, "X00001");
        var busy = await Assert.ThrowsAsync<ManagementException>(() => Client.MoveAsync("X00001", "SCRATCH"));
        Assert.Equal((HttpStatusCode.Conflict, "volume X00001 is mounted on drive 0580: unload it first (move to pool SCRATCH refused)"), (busy.Status, busy.Message));
        var missing = await Assert.ThrowsAsync<ManagementException>(() => Client.ScratchAsync("ZZ0000"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        var admin = await Assert.ThrowsAsync<ManagementException>(() => Client.AddVolumesAsync(new AddVolumesBody(["\"#00000\""], "EXTRA")));
        Assert.Equal(HttpStatusCode.BadRequest, admin.Status);
        Assert.Contains(_library.Server.Recorder.All<LibraryChanged>(), e => e.What.StartsWith("11 volumes added to pool EXTRA", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pools_show_the_configuration_with_the_catalog_totals_and_the_drives_that_take_from_them()
    {
        await Client.MountAsync(0x0580, "T00010");
        await Client.AddVolumesAsync(new AddVolumesBody(["Y00000"], "ONLYCAT", Capacity: 1000));

        var pools = await Client.PoolsAsync();

        var scratch = pools.Single(p => p.Name == "SCRATCH");
        Assert.Equal((true, "3490E", "SL", 800L << 20, 100L, 99L, 0L, 1L, 100L * (800L << 20)),
            (scratch.Configured, scratch.Media, scratch.Labels, scratch.VolumeCapacity, scratch.Volumes, scratch.Scratch, scratch.Private, scratch.Mounted, scratch.CapacityBytes));
        Assert.Equal(["0580", "0581", "0582", "0583", "0584", "0585", "0586", "0587"], scratch.Drives);
        var catalogOnly = pools.Single(p => p.Name == "ONLYCAT");
        Assert.Equal((false, 1L, 1000L), (catalogOnly.Configured, catalogOnly.Volumes, catalogOnly.CapacityBytes));
    }

    [Fact]
    public async Task Server_and_statistics_say_where_it_listens_and_what_it_did()
    {
        await Client.MountAsync(0x0580, "T00011");
        await Assert.ThrowsAsync<ManagementException>(() => Client.MountAsync(0x0581, "T00011"));

        var server = await Client.ServerAsync();
        var statistics = await Client.StatisticsAsync();

        Assert.Equal((_library.Server.EndPoint.ToString(), _library.Server.ManagementAddress.ToString(), 8, false, false),
            (server.Listen, server.Http, server.Drives, server.WritesNeedToken, server.TransferFolder));
        Assert.StartsWith("ChannelTape ", server.Name, StringComparison.Ordinal);
        Assert.Equal((1L, 1L, 0), (statistics.Mounts, statistics.MountRefusals, statistics.ConnectionsOpen));
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_API()
    {
        using var document = JsonDocument.Parse(await _library.Http.GetStringAsync("openapi/v1.json"));

        var paths = document.RootElement.GetProperty("paths");
        Assert.Equal("ChannelTape management API", document.RootElement.GetProperty("info").GetProperty("title").GetString());
        foreach (var path in new[] { "/api/drives", "/api/drives/{device}/mount", "/api/drives/{device}/unload", "/api/mounts", "/api/volumes",
                     "/api/volumes/{volser}/import", "/api/volumes/{volser}/export", "/api/pools", "/api/events", "/api/statistics", "/metrics", "/healthz", "/readyz" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is not in the OpenAPI document");
        }
    }

    [Fact]
    public async Task The_event_stream_delivers_a_mount_as_it_happens()
    {
        using var stream = await _library.Http.GetStreamAsync("api/events/stream");
        using var reader = new StreamReader(stream);
        Assert.Equal(": ctape events", await reader.ReadLineAsync());

        await Client.MountAsync(0x0583, "T00020");

        using var timeout = new CancellationTokenSource(EventRecorder.Patience);
        string? line;
        while ((line = await reader.ReadLineAsync(timeout.Token)) is not null && !line.Contains("\"type\":\"VolumeMounted\"", StringComparison.Ordinal))
        {
        }

        Assert.NotNull(line);
        var mounted = JsonSerializer.Deserialize<EventInfo>(line!["data: ".Length..], new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.Equal(("0583", "info", "T00020"), (mounted.Device, mounted.Level, mounted.Fields["volume"].GetString()));
    }

    [Fact]
    public async Task Health_answers_and_readiness_says_the_tape_server_listens()
    {
        Assert.Equal(HttpStatusCode.OK, (await _library.Http.GetAsync("healthz")).StatusCode);
        using var ready = JsonDocument.Parse(await _library.Http.GetStringAsync("readyz"));
        Assert.Equal(("ready", _library.Server.EndPoint.ToString()), (ready.RootElement.GetProperty("status").GetString(), ready.RootElement.GetProperty("listen").GetString()));
    }
}
