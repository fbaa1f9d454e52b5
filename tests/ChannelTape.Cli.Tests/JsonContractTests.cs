using System.Text.Json;
using ChannelTape.Labels;
using ChannelTape.Library.Configuration;
using Json.Schema;

namespace ChannelTape.Cli.Tests;

/// <summary>
/// The JSON contract (docs/json.md): every <c>--json</c> output is exactly one document and valid against its
/// committed schema (docs/json/*.schema.json, which forbid fields they do not name), and an output that can come
/// from the catalog or from a server is the same either way.
/// </summary>
public sealed class JsonContractTests : IAsyncLifetime
{
    /// <summary>Each schema read once: the validator keeps every schema it read by its $id.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, JsonSchema> s_schemas = new();

    private readonly string _root = Directory.CreateTempSubdirectory("ctape-json-").FullName;
    private LibraryServer _served = null!;
    private string _endPoint = "";

    public Task InitializeAsync()
    {
        var result = ConfigurationParser.ParseText($$"""
            storage { root "{{_root}}"; format aws; }
            drive 0580-0583 { model 3490; media 3490E; pool SCRATCH; }
            pool SCRATCH { volumes T00000-T00009; media 3490E; capacity 10M; labels SL; scratch; }
            pool PRODUCTION { volumes P00000-P00002; media 3490E; capacity 10M; labels SL; }
            """, "json.conf", _root);
        Assert.Empty(result.Errors);
        _served = LibraryServer.Start(result.Configuration!);
        _endPoint = _served.EndPoint.ToString();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _served.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void Status_is_one_valid_document_and_the_same_from_the_catalog_and_from_the_server()
    {
        Assert.Equal(0, Ctape.Run("mount", "0581", "P00001", "--server", _endPoint).ExitCode);

        using var offline = Valid("status.schema.json", "status", "--json", "--data", _root);
        using var served = Valid("status.schema.json", "status", "--json", "--server", _endPoint, "--drives", "0580-0583");

        Assert.Equal(Drives(offline), Drives(served));
        Assert.Equal(offline.RootElement.GetProperty("pools").ToString(), served.RootElement.GetProperty("pools").ToString());
        Assert.Contains(("0581", "loaded", "P00001"), Drives(served));
    }

    [Fact]
    public void Volume_list_and_show_are_valid_and_the_same_from_the_catalog_and_from_the_server()
    {
        Assert.Equal(0, Ctape.Run("mount", "0582", "P00002", "--server", _endPoint).ExitCode);

        using var offline = Valid("volume-list.schema.json", "volume", "list", "--json", "--data", _root);
        using var served = Valid("volume-list.schema.json", "volume", "list", "--json", "--server", _endPoint, "--drives", "0580-0583");
        Assert.Equal(offline.RootElement.ToString(), served.RootElement.ToString());
        Assert.Equal(13, served.RootElement.GetArrayLength());

        using var shownOffline = Valid("volume.schema.json", "volume", "show", "P00002", "--json", "--data", _root);
        using var shownServed = Valid("volume.schema.json", "volume", "show", "P00002", "--json", "--server", _endPoint, "--drives", "0580-0583");
        Assert.Equal(shownOffline.RootElement.ToString(), shownServed.RootElement.ToString());
        Assert.Equal("0582", shownServed.RootElement.GetProperty("mountedOn").GetString());
        Assert.Equal("PRODUCTION", shownServed.RootElement.GetProperty("pool").GetString()); // not cut to 8 characters
    }

    [Theory]
    [InlineData("drives")]
    [InlineData("volumes")]
    [InlineData("scratch")]
    [InlineData("pools")]
    [InlineData("mounts")]
    [InlineData("stats")]
    [InlineData("config")]
    [InlineData("events")]
    public void Every_lms_report_is_one_valid_document(string report)
    {
        Assert.Equal(1, Ctape.Run("mount", "0583", "ZZZZZZ", "--server", _endPoint).ExitCode); // refused: an event
        Assert.Equal(0, Ctape.Run("mount", "0583", "P00000", "--server", _endPoint).ExitCode); // a mount in the history
        Assert.Equal(0, Ctape.Run("unload", "0583", "--server", _endPoint).ExitCode);
        using var json = Valid($"lms-{report}.schema.json", "lms", report, "--json", "--server", _endPoint, "--drives", "0580-0582");
        Assert.NotEqual(0, json.RootElement.GetProperty("rows").GetArrayLength());
    }

    [Fact]
    public void Device_numbers_are_hex_text_and_statistics_are_numbers()
    {
        using var drives = Valid("lms-drives.schema.json", "lms", "drives", "--json", "--server", _endPoint);
        Assert.Equal("0580", drives.RootElement.GetProperty("rows")[0].GetProperty("device").GetString());
        using var stats = Valid("lms-stats.schema.json", "lms", "stats", "--json", "--server", _endPoint);
        var values = stats.RootElement.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("value"));
        Assert.Equal(JsonValueKind.Number, values["CCWS"].ValueKind);
        Assert.Equal(JsonValueKind.Number, values["MOUNTS PER HOUR (24 HOURS)"].ValueKind);
        Assert.Equal(JsonValueKind.String, values["STARTED"].ValueKind);
    }

    [Fact]
    public void The_lms_command_response_is_one_valid_document()
    {
        using var json = Valid("lms-command.schema.json", "lms", "command", "QUERY T00001", "--json", "--server", _endPoint);
        Assert.Equal("done", json.RootElement.GetProperty("rows")[0].GetProperty("result").GetString());
    }

    [Fact]
    public void A_replay_result_is_one_valid_document_in_process_and_through_the_server()
    {
        string test = RepositoryFiles.Path("tests/golden/samples/03_write_read.json");
        using var local = Valid("replay.schema.json", "replay", "--json", test);
        using var remote = Valid("replay.schema.json", "replay", "--json", test, "--server", _endPoint);
        Assert.Equal("ChannelTape in-process replay", local.RootElement.GetProperty("emulator").GetString());
        Assert.Equal($"ChannelTape server at {_endPoint}", remote.RootElement.GetProperty("emulator").GetString());
    }

    /// <summary>Runs ctape, parses its whole output as one document and checks it against the schema.</summary>
    private static JsonDocument Valid(string schemaFile, params string[] args)
    {
        var (exit, output, error) = Ctape.Run(args);
        Assert.True(exit == 0, $"ctape {string.Join(' ', args)}: exit {exit}: {error}");
        var document = JsonDocument.Parse(output); // throws on a second document or anything after the first
        var schema = s_schemas.GetOrAdd(schemaFile, file => JsonSchema.FromFile(RepositoryFiles.Path(Path.Combine("docs", "json", file))));
        var result = schema.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, $"{schemaFile}: " + string.Join("; ", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .Select(d => $"{d.InstanceLocation}: {string.Join(", ", d.Errors!.Values)}")) + "\n" + output);
        return document;
    }

    private static List<(string?, string?, string?)> Drives(JsonDocument status) =>
        [.. status.RootElement.GetProperty("drives").EnumerateArray().Select(d =>
            (d.GetProperty("device").GetString(), d.GetProperty("state").GetString(), d.GetProperty("volser").GetString()))];
}
