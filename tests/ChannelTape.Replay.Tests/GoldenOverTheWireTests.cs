using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Text.Json.Nodes;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;
using ChannelTape.Protocol;
using ChannelTape.Scripts.Replay;
using ChannelTape.Server;
using Xunit.Abstractions;
using ChannelTape.Testing;

namespace ChannelTape.Replay.Tests;

/// <summary>
/// Every golden test replayed through <c>ctape serve</c>'s server and <c>RemoteDevice</c> with write-behind,
/// read-ahead and read-ahead by reference (docs/protocol.md §5) gives exactly the in-process result: the
/// host answers Writes and Reads itself only where the drive would have answered them the same way.
/// The served drive is the in-process replay's own <see cref="TapeDrive"/>, so any difference is the wire's.
/// The result over the wire is also compared with Hercules 3.13's, with the deviations of
/// tests/golden/deviations.json that show over the wire (scopes <c>device</c> and <c>channel</c>); a
/// registered deviation that no longer differs over the wire fails.
/// </summary>
public sealed class GoldenOverTheWireTests(ITestOutputHelper output)
{
    private const ProtocolFeatures Streaming = ProtocolFeatureRules.All;

    [Theory]
    [MemberData(nameof(GoldenFiles.Names), MemberType = typeof(GoldenFiles))]
    public async Task Replay_over_the_wire_with_streaming_gives_the_in_process_result(string name)
    {
        var (local, remote, log) = await RunBothAsync(name, Streaming);
        foreach (var detached in log)
        {
            output.WriteLine(detached.Message);
        }

        Assert.Equal(local.ToJsonString(), remote.ToJsonString());
        var hercules = JsonNode.Parse(File.ReadAllText(GoldenFiles.ResultFile(name)))!.AsObject();
        var verdict = GoldenComparison.Judge(GoldenComparison.Compare(hercules, remote),
            DeviationRegistry.For(name, DeviationScope.Device, DeviationScope.Channel));
        Assert.True(GoldenComparison.Failure("over the wire", verdict) is null, GoldenComparison.Failure("over the wire", verdict));
    }

    [Theory]
    [InlineData("samples/03_write_read")]
    [InlineData("cases/stream_remount")]
    public async Task A_golden_test_with_streaming_has_writes_buffered_and_reads_answered_ahead(string name)
    {
        var (local, remote, log) = await RunBothAsync(Path.GetFileName(name), Streaming);

        Assert.Equal(local.ToJsonString(), remote.ToJsonString());
        // The server's detach event counts what §5 did on the connection.
        var summary = Assert.Single(log, e => e.Streaming.BufferedWrites + e.Streaming.ReadAheadSent > 0).Streaming;
        Assert.True(summary.BufferedWrites > 0 && summary.ReadAheadSent > 0, $"{summary}");
    }

    private static async Task<(JsonObject Local, JsonObject Remote, IReadOnlyList<DriveDetached> Log)> RunBothAsync(string name, ProtocolFeatures features)
    {
        var test = ReplayTestParser.ParseFile(GoldenFiles.TestFile(name));
        var work = Path.Combine(Path.GetTempPath(), "ctape-golden-wire-" + Guid.NewGuid().ToString("N"));
        try
        {
            var local = new ReplayRunner(new TapeDriveReplayFactory()).Run(test, new ReplayRunOptions(work));
            Directory.Delete(work, recursive: true); // the same work directory, so paths in the results agree

            var model = test.DeviceType switch
            {
                "3420" => TapeModel.Ibm3420,
                "3480" => TapeModel.Ibm3480,
                _ => TapeModel.Ibm3490,
            };
            JsonObject remote;
            IReadOnlyList<DriveDetached> detached;
            await using (var served = new ServedDrives(model, test.DeviceNumber))
            {
                remote = new ReplayRunner(new RemoteReplayFactory("127.0.0.1", served.EndPoint.Port, features))
                    .Run(test, new ReplayRunOptions(work));
                await served.Server.StopAsync();
                detached = served.Recorder.All<DriveDetached>();
            }

            // The results differ in what ran them, by design: the emulator field names the server.
            Assert.StartsWith("ChannelTape server at 127.0.0.1:", remote["emulator"]!.GetValue<string>(), StringComparison.Ordinal);
            local.Remove("emulator");
            remote.Remove("emulator");
            return (local, remote, detached);
        }
        finally
        {
            if (Directory.Exists(work))
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }
}
