using System.Diagnostics.CodeAnalysis;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;
using ChannelTape.Scripts.CcwScript;
using ChannelTape.Server;
using ChannelTape.Tests.Shared;

namespace ChannelTape.Scripts.Tests.CcwScript;

/// <summary>The conformance suite through a <see cref="TapeServer"/> on 127.0.0.1 and <c>RemoteDevice</c>.</summary>
public class RemoteReplayTests
{
    private sealed class OneDriveHost(ServedTapeDrive drive, ushort deviceNumber) : IDriveHost
    {
        public IReadOnlyCollection<IServedDrive> Drives => [drive];

        public bool TryGetDrive(ushort number, [NotNullWhen(true)] out IServedDrive? served)
        {
            served = number == deviceNumber ? drive : null;
            return served is not null;
        }
    }

    public static TheoryData<string> Scripts() => ConformanceSuiteTests.Scripts();

    [Theory]
    [MemberData(nameof(Scripts))]
    public async Task EveryExpectationHoldsThroughTheServer(string name)
    {
        var path = Path.Combine(ConformanceSuiteTests.SuiteDirectory, name);
        Assert.True(ScriptParser.TryParse(File.ReadAllText(path), out var script, out var parseError), $"{name}: {parseError}");
        using var tapeDrive = new TapeDrive(script.Device.Model, script.Device.DeviceNumber);
        var server = new TapeServer(new OneDriveHost(new ServedTapeDrive(tapeDrive), script.Device.DeviceNumber),
            new TapeServerOptions { Listen = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0) });
        await using (server)
        {
            server.Start();
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
