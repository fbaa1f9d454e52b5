using System.Net;
using ChannelTape.Channel;
using ChannelTape.Client;
using ChannelTape.Device;
using ChannelTape.Library.Configuration;
using ChannelTape.Media;
using ChannelTape.Testing;

namespace ChannelTape.Server.Tests;

/// <summary>
/// The in-process channel runs the same channel programs against a local <see cref="TapeDrive"/> and,
/// through <see cref="RemoteDevice"/>, against the server's TapeDrive: every status, residual, data
/// byte and the image written must be the same (issue 3, item 4).
/// </summary>
public sealed class ChannelOverTheWireTests : IDisposable
{
    private const byte Write = 0x01, Read = 0x02, Sense = 0x04, Rewind = 0x07, ReadBackward = 0x0C, WriteTapeMark = 0x1F, SenseId = 0xE4, NoOperation = 0x03;
    private readonly string _directory = Directory.CreateTempSubdirectory("ctape-wire-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Channel_programs_give_the_same_results_over_the_wire_as_in_process()
    {
        var localImage = CreateImage("local.aws");
        var remoteImage = CreateImage("remote.aws");
        using var local = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        Assert.True(TapeImage.TryOpen(localImage, new TapeImageOptions(), out var media, out _));
        local.Mount(media!);

        var configuration = ConfigurationParser.LoadDefault();
        configuration = configuration with { Storage = configuration.Storage with { Root = Path.Combine(_directory, "data") } };
        await using var served = LibraryServer.Start(configuration);
        var server = served.Host.Server;
        using var remote = RemoteDevice.Connect("127.0.0.1", server.LocalEndPoint.Port, 0x0580, new() { DeviceArguments = remoteImage });

        var channel = new LocalChannel();
        var statuses = new List<UnitStatus>();
        foreach (var (name, build, options) in Programs())
        {
            var onLocal = build();
            var onRemote = build();
            var localResult = onLocal.Run(channel, local, options);
            var remoteResult = onRemote.Run(channel, remote, options);

            statuses.Add(remoteResult.UnitStatus);
            Assert.True(localResult.Executions.SequenceEqual(remoteResult.Executions), $"{name}: executions differ");
            Assert.Equal(localResult with { Executions = [], ConcurrentSense = null }, remoteResult with { Executions = [], ConcurrentSense = null });
            Assert.Equal(localResult.ConcurrentSense, remoteResult.ConcurrentSense);
            Assert.Equal(onLocal.Storage.Slice(0, onLocal.Storage.Size).ToArray(), onRemote.Storage.Slice(0, onRemote.Storage.Size).ToArray());
        }

        local.Dispose();
        await server.StopAsync();
        Assert.Equal(File.ReadAllBytes(localImage), File.ReadAllBytes(remoteImage));
        Assert.True(new FileInfo(remoteImage).Length > 80 + 32 * 1024 + 65535);
        // The reads end on the tape mark (unit exception); the invalid command ends in unit check.
        Assert.Equal(UnitStatus.UnitException, statuses[1] & UnitStatus.UnitException);
        Assert.Equal(UnitStatus.UnitCheck, statuses[5] & UnitStatus.UnitCheck);
    }

    private static IEnumerable<(string Name, Func<ChannelProgram> Build, ChannelProgramOptions? Options)> Programs()
    {
        var block80 = Pattern(80, 1);
        var block32K = Pattern(32 * 1024, 2);
        var block64K = Pattern(65535, 3);
        yield return ("write chain", () => Program(
            (Write, CcwFlags.ChainCommand, 80, block80),
            (Write, CcwFlags.ChainCommand, block32K.Length, block32K),
            (Write, CcwFlags.ChainCommand, block64K.Length, block64K),
            (WriteTapeMark, CcwFlags.ChainCommand, 1, null),
            (Write, CcwFlags.ChainData, 40, block80[..40]),
            (Write, CcwFlags.None, 40, block80[40..])), null);
        yield return ("rewind and read with short, exact and long counts", () => Program(
            (Rewind, CcwFlags.ChainCommand, 1, null),
            (Read, CcwFlags.ChainCommand | CcwFlags.SuppressLength, 100, null),
            (Read, CcwFlags.ChainCommand | CcwFlags.SuppressLength, 1000, null),
            (Read, CcwFlags.ChainCommand, 65535, null),
            (Read, CcwFlags.None, 10, null)), null);
        yield return ("data-chained read", () => Program(
            (Read, CcwFlags.ChainData, 30, null),
            (Read, CcwFlags.None, 50, null)), null);
        yield return ("read backward", () => Program(
            (ReadBackward, CcwFlags.ChainCommand | CcwFlags.SuppressLength, 200, null),
            (ReadBackward, CcwFlags.SuppressLength, 200, null)), null);
        yield return ("sense and sense id", () => Program(
            (Sense, CcwFlags.ChainCommand, 32, null),
            (SenseId, CcwFlags.ChainCommand, 7, null),
            (NoOperation, CcwFlags.None, 1, null)), null);
        yield return ("unit check with concurrent sense", () => Program(
            (0xFE, CcwFlags.None, 1, null)), new ChannelProgramOptions { ConcurrentSense = true });
        yield return ("sense after a unit check", () => Program(
            (0xFE, CcwFlags.None, 1, null)), null);
        yield return ("the pending sense", () => Program(
            (Sense, CcwFlags.None, 32, null)), null);
    }

    private static ChannelProgram Program(params (byte Command, CcwFlags Flags, int Count, byte[]? Data)[] ccws)
    {
        var program = new ChannelProgram();
        foreach (var (command, flags, count, data) in ccws)
        {
            program.Add(command, flags, count, data);
        }

        program.Build();
        return program;
    }

    private static byte[] Pattern(int length, int seed) => Enumerable.Range(0, length).Select(i => (byte)(i * seed + seed)).ToArray();

    private string CreateImage(string name)
    {
        var path = Path.Combine(_directory, name);
        Assert.True(TapeImage.TryCreate(path, TapeImageFormat.Aws, new TapeImageOptions(), out var media, out var error), error);
        media!.Dispose();
        return path;
    }
}
