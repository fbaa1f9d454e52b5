using System.Buffers.Binary;
using System.Net;
using ChannelTape.Channel;
using ChannelTape.Client;
using ChannelTape.Library.Configuration;
using ChannelTape.Media;
using ChannelTape.Protocol;
using ChannelTape.Hosting;
using ChannelTape.Server.Tests.Support;
using ChannelTape.Runtime.Events;
using ChannelTape.Testing;
using static ChannelTape.Server.Tests.Support.TestImages;

namespace ChannelTape.Server.Tests;

/// <summary>
/// The host side of write-behind and read-ahead (docs/protocol.md §5) in <see cref="RemoteDevice"/>, against
/// the real drives (TapeDrive, image files) of a server on 127.0.0.1.
/// </summary>
public sealed class ClientStreamingTests : IAsyncDisposable
{
    private const byte Write = 0x01, Read = 0x02, Sense = 0x04, Rewind = 0x07, WriteTapeMark = 0x1F, ReadBlockId = 0x22,
        LocateBlock = 0x4F;
    private const ProtocolFeatures All = ProtocolFeatureRules.All;
    private const UnitStatus CeDe = UnitStatus.ChannelEndDeviceEnd;
    private readonly string _directory = Directory.CreateTempSubdirectory("ctape-client-stream-").FullName;
    private readonly List<IAsyncDisposable> _servers = [];
    private readonly List<IDisposable> _disposables = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }

        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Without_features_asked_none_are_in_effect_and_every_CCW_goes_to_the_server()
    {
        var (server, _) = Start();
        using var device = Connect(server, 0x0580, Image("plain.aws", Blocks(10)), ProtocolFeatures.None);
        Assert.Equal(ProtocolFeatures.None, device.GrantedFeatures);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(CeDe, Run(device, Read, i, new byte[1000]).Status);
        }

        Assert.Equal(CeDe, Run(device, Write, 10, new byte[80]).Status);
        Assert.Equal(CeDe, Run(device, Write, 11, new byte[80]).Status);
        Assert.Equal(0, device.ReadsFromReadAhead);
        Assert.Equal(0, device.WritesBehind);
    }

    [Fact]
    public void Writes_within_the_credit_are_buffered_and_a_tape_mark_and_rewind_read_them_back()
    {
        var (server, log) = Start();
        var image = Image("wb.aws", []);
        var device = Connect(server, 0x0580, image, All);
        Assert.Equal(All, device.GrantedFeatures); // a loopback peer gets all three
        Assert.Equal(new CcwResult(CeDe, 0), Run(device, Write, 0, Block(0, 100)));
        Assert.Equal(0, device.WritesBehind); // no credit before the first CcwReply

        for (var i = 1; i <= 200; i++)
        {
            Assert.Equal(new CcwResult(CeDe, 0), Run(device, Write, i, Block(i, 1000 + i)));
        }

        Assert.Equal(200, device.WritesBehind);
        Assert.Equal(CeDe, Run(device, WriteTapeMark, 201, []).Status);
        Assert.Equal(CeDe, Run(device, Rewind, 0, []).Status);
        for (var i = 0; i <= 200; i++)
        {
            var buffer = new byte[2000];
            var result = Run(device, Read, i + 1, buffer);
            var expected = Block(i, i == 0 ? 100 : 1000 + i);
            Assert.Equal(new CcwResult(CeDe, buffer.Length - expected.Length), result);
            Assert.Equal(expected, buffer[..expected.Length]);
        }

        Assert.Equal(CeDe | UnitStatus.UnitException, Run(device, Read, 202, new byte[2000]).Status);
        Assert.True(device.ReadsFromReadAhead > 150, $"{device.ReadsFromReadAhead} Reads answered from read-ahead");
        device.Dispose();
        log.WaitFor<DriveDetached>(e => e.DeviceNumber == 0x0580 && e.Streaming.BufferedWrites == 200);
        Assert.Equal(202, ReadImage(image).Count);
    }

    [Fact]
    public async Task A_buffered_write_the_server_cannot_run_gives_the_next_CCW_a_deferred_unit_check()
    {
        var (server, drives) = StartLibrary();
        var image = Image("deferred.aws", []);
        using var device = Connect(server, 0x0580, image, All);
        Assert.Equal(CeDe, Run(device, Write, 0, Block(0, 80)).Status);
        var drive = drives.Drive(0x0580);

        // The server runs the buffered Writes only when it has the drive: by then someone else unloaded it.
        await using (var hold = await DriveHold.TakeAsync(drive))
        {
            Assert.Equal(new CcwResult(CeDe, 0), Run(device, Write, 1, Block(1, 80)));
            Assert.Equal(new CcwResult(CeDe, 0), Run(device, Write, 2, Block(2, 80)));
            Assert.Equal(2, device.WritesBehind);
            Assert.True(hold.Run(() => drive.Mount("*", MountSource.Operator)).Done);
        }

        var blockId = new byte[8];
        var reported = Run(device, ReadBlockId, 3, blockId);
        Assert.Equal(new CcwResult(CeDe | UnitStatus.UnitCheck, 8), reported);
        Assert.Equal(0x40 | RemoteDevice.DeferredUnitCheck, device.Sense[0]); // intervention required, deferred
        var sense = new byte[32];
        Assert.Equal(CeDe, Run(device, Sense, 0, sense).Status);
        Assert.Equal(0x40 | RemoteDevice.DeferredUnitCheck, sense[0]);
        Assert.Single(ReadImage(image)); // only the Write a CcwReply confirmed
    }

    [Fact]
    public async Task A_connection_lost_with_unconfirmed_buffered_writes_gives_the_next_CCW_a_deferred_unit_check_made_here()
    {
        var (server, _) = Start();
        using var device = Connect(server, 0x0580, Image("lost.aws", []), All);
        Assert.Equal(CeDe, Run(device, Write, 0, Block(0, 80)).Status);
        Assert.Equal(new CcwResult(CeDe, 0), Run(device, Write, 1, Block(1, 80)));
        Assert.Equal(1, device.WritesBehind);

        await server.StopAsync();
        Assert.True(SpinWait.SpinUntil(() => !device.IsConnected, RawPeer.Patience));

        var deferred = Run(device, Write, 2, Block(2, 80));
        Assert.Equal(new CcwResult(CeDe | UnitStatus.UnitCheck, 80), deferred);
        Assert.Equal(0x40 | RemoteDevice.DeferredUnitCheck, device.Sense[0]);
        Assert.Equal(1, device.WritesBehind); // the Write after the loss was not buffered
        var sense = new byte[32]; // a 3490 reports 32 sense bytes
        Assert.Equal(new CcwResult(CeDe, 0), Run(device, Sense, 0, sense));
        Assert.Equal(0x40 | RemoteDevice.DeferredUnitCheck, sense[0]);

        // Reported once: after it the drive is just not ready, and a Sense says so.
        Assert.Equal(new CcwResult(UnitStatus.UnitCheck, 80), Run(device, Write, 0, Block(3, 80)));
        Assert.Equal(RemoteDevice.InterventionRequired, device.Sense[0]);
        Assert.Equal(new CcwResult(CeDe, 0), Run(device, Sense, 0, sense));
        Assert.Equal(RemoteDevice.InterventionRequired, sense[0]);
    }

    public static TheoryData<ProtocolFeatures> ReadAheadKinds => new() { ProtocolFeatures.ReadAhead, All };

    [Theory]
    [MemberData(nameof(ReadAheadKinds))]
    public void Chained_reads_over_100_blocks_and_a_tape_mark_give_what_they_give_without_read_ahead(ProtocolFeatures features)
    {
        var (server, log) = Start();
        var blocks = Blocks(100).Append(null).Concat(Blocks(3, first: 100)).ToList();
        using var plain = Connect(server, 0x0580, Image("plain.aws", blocks), ProtocolFeatures.None);
        using var ahead = Connect(server, 0x0581, Image("ahead.aws", blocks), features);
        Assert.Equal(features, ahead.GrantedFeatures);

        var expected = ReadAll(plain, 104);
        var actual = ReadAll(ahead, 104);

        Assert.Equal(expected, actual);
        Assert.Equal(CeDe | UnitStatus.UnitException, actual[100].Result.Status);
        Assert.True(ahead.ReadsFromReadAhead > 80, $"{ahead.ReadsFromReadAhead} Reads answered from read-ahead");
        ahead.Dispose();
        var summary = log.WaitFor<DriveDetached>(e => e.DeviceNumber == 0x0581 && e.Streaming.ReadAheadSent > 0).Streaming;
        Assert.Equal(features == All, summary.ReadAheadReferred > 0);
    }

    [Fact]
    public void Read_Block_ID_and_Locate_after_reads_from_the_batch_see_the_position_the_guest_read_to()
    {
        var (server, _) = Start();
        var blocks = Blocks(100);
        using var device = Connect(server, 0x0580, Image("position.aws", blocks), All);
        var sequence = 0;
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(blocks[i], ReadBlock(device, sequence++));
        }

        Assert.True(device.ReadsFromReadAhead > 0);
        Assert.Equal(10u, BlockNumber(device, sequence++)); // the unused blocks were given back

        Assert.Equal(blocks[10], ReadBlock(device, sequence++));
        var id = new byte[8];
        Assert.Equal(CeDe, Run(device, ReadBlockId, sequence++, id).Status);
        var locate = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(locate, (BinaryPrimitives.ReadUInt32BigEndian(id) & 0xFFC0_0000) | 50);
        Assert.Equal(CeDe, Run(device, LocateBlock, sequence++, locate).Status);
        for (var i = 50; i < 60; i++)
        {
            Assert.Equal(blocks[i], ReadBlock(device, sequence++));
        }

        Assert.Equal(60u, BlockNumber(device, sequence++));
        Assert.Equal(CeDe, Run(device, Rewind, sequence++, []).Status);
        Assert.Equal(blocks[0], ReadBlock(device, 0));
        Assert.Equal(blocks[1], ReadBlock(device, 0)); // a new channel program begins with a Read answered here
        Assert.Equal(2u, BlockNumber(device, 1));
    }

    // ---- helpers ------------------------------------------------------------------------------

    private sealed record ReadOutcome(CcwResult Result, string Data);

    private static List<ReadOutcome> ReadAll(RemoteDevice device, int reads)
    {
        var outcomes = new List<ReadOutcome>();
        for (var i = 0; i < reads; i++)
        {
            // Some counts shorter than the block: residual 0 and more, as the drive answers.
            var buffer = new byte[i % 3 == 0 ? 50 : 1000];
            var result = Run(device, Read, i, buffer);
            outcomes.Add(new ReadOutcome(result, Convert.ToHexString(buffer.AsSpan(0, buffer.Length - result.Residual))));
        }

        return outcomes;
    }

    private static byte[] ReadBlock(RemoteDevice device, int sequence)
    {
        var buffer = new byte[1000];
        var result = Run(device, Read, sequence, buffer);
        Assert.Equal(CeDe, result.Status);
        return buffer[..(buffer.Length - result.Residual)];
    }

    private static uint BlockNumber(RemoteDevice device, int sequence)
    {
        var id = new byte[8];
        Assert.Equal(new CcwResult(CeDe, 0), Run(device, ReadBlockId, sequence, id));
        return BinaryPrimitives.ReadUInt32BigEndian(id) & 0x003F_FFFF;
    }

    /// <summary>One CCW of a command-chained program (SLI, as an access method reads).</summary>
    private static CcwResult Run(RemoteDevice device, byte command, int sequence, byte[] buffer) =>
        device.Execute(new CcwRequest(command, CcwFlags.ChainCommand | CcwFlags.SuppressLength,
            sequence == 0 ? CcwFlags.None : CcwFlags.ChainCommand, buffer.Length, sequence == 0 ? (byte)0 : command, sequence), buffer);

    private (TapeServer Server, EventRecorder Log) Start()
    {
        var (server, _, log) = StartWithDrives();
        return (server, log);
    }

    private (TapeServer Server, LibraryHost Drives) StartLibrary()
    {
        var (server, drives, _) = StartWithDrives();
        return (server, drives);
    }

    private (TapeServer Server, LibraryHost Drives, EventRecorder Log) StartWithDrives()
    {
        var configuration = ConfigurationParser.LoadDefault();
        // A data folder per server: one server per data folder (DataFolderLock).
        configuration = configuration with { Storage = configuration.Storage with { Root = Path.Combine(_directory, $"data{_servers.Count}") } };
        var served = LibraryServer.Start(configuration);
        _servers.Insert(0, served);
        return (served.Host.Server, served.Host, served.Recorder);
    }

    private RemoteDevice Connect(TapeServer server, ushort deviceNumber, string words, ProtocolFeatures features)
    {
        var device = RemoteDevice.Connect("127.0.0.1", server.LocalEndPoint.Port, deviceNumber,
            new RemoteDeviceOptions { DeviceArguments = words, Features = features, Timeout = RawPeer.Patience });
        _disposables.Insert(0, device);
        return device;
    }

    private string Image(string name, IEnumerable<byte[]?> blocks) => CreateImage(_directory, name, blocks);
}
