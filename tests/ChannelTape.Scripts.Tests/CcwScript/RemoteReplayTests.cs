using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;
using ChannelTape.Scripts.CcwScript;
using ChannelTape.Server;
using ChannelTape.Testing;

namespace ChannelTape.Scripts.Tests.CcwScript;

/// <summary>The conformance suite through a <see cref="TapeServer"/> on 127.0.0.1 and <c>RemoteDevice</c>.</summary>
public class RemoteReplayTests
{
    public static TheoryData<string> Scripts() => ConformanceSuiteTests.Scripts();

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task EveryExpectationHoldsThroughTheServer(string name)
    {
        var path = Path.Combine(ConformanceSuiteTests.SuiteDirectory, name);
        Assert.True(ScriptParser.TryParse(File.ReadAllText(path), out var script, out var parseError), $"{name}: {parseError}");
        await using (var served = new ServedDrives(script.Device.Model, script.Device.DeviceNumber))
        {
            var server = served.Server;
            var work = Path.Combine(Path.GetTempPath(), "ctape-remote-tests", $"{Path.GetFileNameWithoutExtension(name)}-{Guid.NewGuid():N}");
            try
            {
                Assert.True(RemoteScriptDrive.TryConnect(script, "127.0.0.1", server.LocalEndPoint.Port, ConformanceSuiteTests.SuiteDirectory, work,
                    out var drive, out var error), $"{name}: {error}");
                using (drive)
                {
                    var result = ScriptRunner.Run(script, drive!);
                    var report = new StringWriter();
                    ScriptReport.Write(report, name, script, result, verbose: false);
                    Assert.True(result.Passed, report.ToString());
                }
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
}
