using System.Net.Sockets;
using ChannelTape.Channel;
using ChannelTape.Client;
using ChannelTape.Device;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;
using ChannelTape.Server.Tests.Support;

namespace ChannelTape.Server.Tests;

/// <summary>
/// The server driven through <see cref="RemoteDevice"/> and raw peers: the conversation of docs/protocol.md §2,
/// over real 3490 drives behind a probe (<see cref="ProbeDevice"/>).
/// </summary>
public class ServerTests
{
    private const byte Write = (byte)TapeCommand.Write;
    private const byte Read = (byte)TapeCommand.Read;
    private const byte SenseCommand = (byte)TapeCommand.Sense;
    private const byte Rewind = (byte)TapeCommand.Rewind;
    private const byte ReadBackward = (byte)TapeCommand.ReadBackward;
    private const byte LocateBlock = (byte)TapeCommand.LocateBlock;

    private static readonly RemoteDeviceOptions s_noReconnect = new() { Reconnect = false };

    [Fact]
    public async Task Attach_reports_the_drive_identity()
    {
        await using var server = new TestServer();
        using var device = server.Connect(0x0580, new() { DeviceArguments = server.Image("vol1"), Model = 0x3490 });

        Assert.Equal(0x3490, device.Model);
        Assert.Equal([0xFF, 0x34, 0x90, 0x50, 0x34, 0x90, 0x50], device.Identity.SenseId);
        Assert.Equal(32, device.Identity.SenseCount);
        Assert.Equal(32, device.Sense.Length);
        Assert.True(device.Identity.VolumeLoaded);
        Assert.Equal("vol1.aws [1:00000000] IBM 3490 R/W", device.Identity.Message);
        Assert.True(device.IsImmediate(Rewind));
        Assert.False(device.IsImmediate(Write));
        Assert.Equal(0x0580, device.DeviceNumber);
    }

    [Theory]
    [InlineData(80)]
    [InlineData(32 * 1024)]
    [InlineData(65_535)]
    public async Task Written_blocks_read_back_over_the_wire(int size)
    {
        await using var server = new TestServer();
        using var device = server.Connect(0x0580, new() { DeviceArguments = server.Image("vol1") });
        var block = Enumerable.Range(0, size).Select(i => (byte)(i * 7)).ToArray();

        Assert.Equal(new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0), Run(device, Write, block.ToArray(), 0));
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(device, Rewind, new byte[1], 0).Status);
        var buffer = new byte[size];
        var read = Run(device, Read, buffer, 0);

        Assert.Equal(new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0), read);
        Assert.Equal(block, buffer);
        Assert.Equal(block, server.Blocks("vol1")[0]);
    }

    [Fact]
    public async Task Short_read_reports_residual_and_long_block_reports_more()
    {
        await using var server = new TestServer();
        using var device = server.Connect(0x0580, new() { DeviceArguments = server.Image("vol1") });
        Run(device, Write, [1, 2, 3], 0);
        Run(device, Write, [4, 5, 6, 7, 8, 9], 1);
        Run(device, Rewind, new byte[1], 2);

        var buffer = new byte[5];
        Assert.Equal(new CcwResult(UnitStatus.ChannelEndDeviceEnd, 2), Run(device, Read, buffer, 0));
        Assert.Equal([1, 2, 3, 0, 0], buffer);
        Assert.Equal(new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0, More: true), Run(device, Read, buffer, 1));
        Assert.Equal([4, 5, 6, 7, 8], buffer);
    }

    [Fact]
    public async Task Read_backward_data_ends_at_the_end_of_the_buffer()
    {
        await using var server = new TestServer();
        using var device = server.Connect(0x0580, new() { DeviceArguments = server.Image("vol1") });
        Run(device, Write, [1, 2, 3], 0);

        var buffer = new byte[8];
        buffer.AsSpan().Fill(0xEE);
        var result = Run(device, ReadBackward, buffer, 0);

        Assert.Equal(new CcwResult(UnitStatus.ChannelEndDeviceEnd, 5), result);
        Assert.Equal([0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 1, 2, 3], buffer);
    }

    [Fact]
    public async Task Unit_check_brings_the_sense_bytes_and_Sense_reads_them_from_the_server()
    {
        await using var server = new TestServer();
        using var device = server.Connect(0x0581);
        using var local = new TapeDrive(TapeModel.Ibm3490, 0x0581);
        var expected = local.Execute(new CcwRequest(Read, CcwFlags.None, CcwFlags.None, 10, 0, 0), new byte[10]);

        var result = Run(device, Read, new byte[10], 0);

        Assert.Equal(UnitStatus.UnitCheck, result.Status & UnitStatus.UnitCheck);
        Assert.Equal(expected, result); // as the drive in this process answers it
        Assert.Equal(10, result.Residual);
        Assert.Equal(local.Sense.ToArray(), device.Sense.ToArray()); // intervention required: no volume
        Assert.Equal(0x40, device.Sense[0]);
        var sense = new byte[32];
        Assert.Equal(new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0), Run(device, SenseCommand, sense, 0));
        Assert.Equal(0x40, sense[0]);
        Assert.Equal(0, device.Sense[0]);
    }

    [Fact]
    public async Task Control_command_data_reaches_the_drive()
    {
        await using var server = new TestServer();
        using var device = server.Connect(0x0580, new() { DeviceArguments = server.Image("vol1") });
        for (var i = 0; i < 5; i++)
        {
            Run(device, Write, [(byte)i], i);
        }

        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(device, LocateBlock, [0, 0, 0, 2], 0).Status);

        var buffer = new byte[1];
        Run(device, Read, buffer, 0);
        Assert.Equal(2, buffer[0]);
    }

    [Fact]
    public async Task Channel_programs_start_at_sequence_0_and_end_at_the_next_start()
    {
        await using var server = new TestServer();
        using var device = server.Connect(0x0580, new() { DeviceArguments = server.Image("vol1") });

        Run(device, Write, [1], 0);
        Run(device, Write, [2], 1);
        Run(device, Write, [3], 0);

        Assert.Equal(2, server.Probe(0x0580).ProgramsStarted);
        Assert.Equal(1, server.Probe(0x0580).ProgramsEnded);
    }

    [Fact]
    public async Task Mount_presents_device_end_and_Query_shows_the_devlist_text()
    {
        await using var server = new TestServer();
        using var device = server.Connect(0x0581);
        var unsolicited = new List<UnitStatus>();
        using var seen = new SemaphoreSlim(0);
        device.UnsolicitedStatus += (_, status) =>
        {
            lock (unsolicited)
            {
                unsolicited.Add(status);
            }

            seen.Release();
        };
        Assert.Equal("* (unloaded)", device.Query());

        Assert.Equal(new MountReplyMessage(MountResult.Done, "tape9.aws [1:00000000] IBM 3490 R/O"), device.Mount($"{server.Image("tape9")} ro"));
        Assert.True(await seen.WaitAsync(RawPeer.Patience));
        Assert.Equal("tape9.aws [1:00000000] IBM 3490 R/O", device.Query());
        Assert.Equal(MountResult.Refused, device.Mount("bad.aws").Result);
        Assert.True(await seen.WaitAsync(RawPeer.Patience)); // a devinit that fails leaves the drive empty: device end
        Assert.Equal(MountResult.Done, device.Mount("*").Result);
        Assert.True(await seen.WaitAsync(RawPeer.Patience));

        Assert.Equal([UnitStatus.DeviceEnd, UnitStatus.DeviceEnd, UnitStatus.DeviceEnd], unsolicited);
        Assert.Equal("* (unloaded)", device.Query());
    }

    [Fact]
    public async Task Attach_refusals_say_why_and_leave_the_connection_open()
    {
        await using var server = new TestServer();
        using var owner = server.Connect(0x0580, s_noReconnect);

        Assert.Equal(AttachResult.NoSuchDrive, Assert.Throws<RemoteDeviceException>(() => server.Connect(0x0599)).Result);
        Assert.Equal(AttachResult.ModelMismatch, Assert.Throws<RemoteDeviceException>(() => server.Connect(0x0581, new() { Model = 0x3480 })).Result);
        Assert.Equal(AttachResult.VolumeRefused, Assert.Throws<RemoteDeviceException>(() => server.Connect(0x0581, new() { DeviceArguments = "bad.aws" })).Result);
        var busy = Assert.Throws<RemoteDeviceException>(() => server.Connect(0x0580));
        Assert.Equal(AttachResult.AttachedElsewhere, busy.Result);
        Assert.Contains("take-over", busy.Message);

        using var peer = await server.RawAsync();
        await peer.HelloAsync();
        Assert.Equal(AttachResult.NoSuchDrive, (await peer.AttachAsync(0x0599)).Result);
        var refusal = await peer.AttachAsync(0x0581, "bad.aws");
        Assert.Equal(AttachResult.VolumeRefused, refusal.Result);
        Assert.Contains("no such file", refusal.Message);
        Assert.Equal(AttachResult.Attached, (await peer.AttachAsync(0x0581, server.Image("good"))).Result);
        Assert.True(owner.IsConnected);
    }

    [Fact]
    public async Task Take_over_closes_the_old_connection_and_keeps_volume_and_position()
    {
        await using var server = new TestServer();
        using var first = server.Connect(0x0580, new() { DeviceArguments = server.Image("vol1"), Reconnect = false });
        Run(first, Write, [1], 0);
        Run(first, Write, [2], 1);

        using var second = server.Connect(0x0580, new() { TakeOver = true });

        server.Events.WaitFor<DriveTakenOver>(e => e.DeviceNumber == 0x0580);
        SpinWait.SpinUntil(() => !first.IsConnected, RawPeer.Patience);
        Assert.Contains("TakenOver", first.ConnectionFailure);
        Assert.Equal(UnitStatus.UnitCheck, Run(first, Write, [3], 0).Status);
        Assert.Equal(RemoteDevice.InterventionRequired, first.Sense[0]);
        Assert.Equal("vol1.aws [1:00000002] IBM 3490 R/W", second.Query());
        var buffer = new byte[1];
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(second, ReadBackward, buffer, 0).Status);
        Assert.Equal(2, buffer[0]);
        Assert.Equal(2, server.Blocks("vol1").Count);
    }

    [Fact]
    public async Task Attach_with_words_remounts_even_with_take_over()
    {
        await using var server = new TestServer();
        using var first = server.Connect(0x0580, new() { DeviceArguments = server.Image("vol1"), Reconnect = false });
        Run(first, Write, [1], 0);

        using var second = server.Connect(0x0580, new() { DeviceArguments = server.Image("vol2"), TakeOver = true });

        Assert.Equal("vol2.aws [1:00000000] IBM 3490 R/W", second.Query());
    }

    [Fact]
    public async Task Disconnect_in_the_middle_of_a_program_keeps_acknowledged_writes_and_position()
    {
        await using var server = new TestServer();
        using (var peer = await server.RawAsync())
        {
            await peer.HelloAsync();
            await peer.AttachAsync(0x0580, server.Image("vol1"));
            for (var i = 0; i < 3; i++)
            {
                await peer.SendAsync(FrameWriter.ToArray(new CcwMessage(Write, CcwFlags.ChainCommand,
                    i == 0 ? CcwFlags.None : CcwFlags.ChainCommand, (byte)(i == 0 ? 0 : 1), (uint)i, 4, [(byte)i, 0, 0, 0])));
                Assert.Equal(UnitStatus.ChannelEndDeviceEnd, CcwReplyMessage.Parse(await peer.ExpectAsync(MessageType.CcwReply)).Status);
            }

            peer.Socket.LingerState = new LingerOption(true, 0);
        }

        server.Events.WaitFor<DriveDetached>(e => e.DeviceNumber == 0x0580);
        Assert.Equal(1, server.Probe(0x0580).ProgramsEnded);
        using var again = server.Connect(0x0580, new() { TakeOver = true });
        Assert.Equal("vol1.aws [1:00000003] IBM 3490 R/W", again.Query());
        Assert.Equal([0, 1, 2], server.Blocks("vol1").Select(b => b![0]));
        var buffer = new byte[4];
        Run(again, ReadBackward, buffer, 0);
        Assert.Equal(2, buffer[0]);
    }

    [Fact]
    public async Task RemoteDevice_reconnects_with_take_over_and_continues_where_it_stopped()
    {
        await using var server = new TestServer(new TapeServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(200) });
        using var device = server.Connect(0x0580, new() { DeviceArguments = server.Image("vol1") });
        Run(device, Write, [1], 0);
        Run(device, Write, [2], 1);

        // The server drops the silent connection (Close reason 3); the next CCW reconnects first (§4).
        server.Events.WaitFor<ConnectionClosed>(e => e.Cause == CloseCause.IdleTimeout);
        SpinWait.SpinUntil(() => !device.IsConnected, RawPeer.Patience);
        var buffer = new byte[1];
        var result = Run(device, ReadBackward, buffer, 0);

        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, result.Status);
        Assert.Equal(2, buffer[0]);
        Assert.True(device.IsConnected);
        Assert.Equal(2, server.Blocks("vol1").Count);
        server.Events.WaitFor<DriveAttached>(e => e.DeviceNumber == 0x0580 && e.TakeOver);
    }

    [Fact]
    public async Task Drives_are_independent_and_a_drive_runs_one_CCW_at_a_time()
    {
        await using var server = new TestServer();
        using var blocked = server.Connect(0x0580, new() { DeviceArguments = server.Image("vol0") });
        var waiting = OnOwnThread(() => Run(blocked, ProbeDevice.WaitForHalt, [], 0));
        Assert.True(server.Probe(0x0580).WaitingForHalt.Wait(RawPeer.Patience));
        var images = new[] { (ushort)0x0581, (ushort)0x0582, (ushort)0x0583 }.ToDictionary(n => n, n => server.Image($"vol{n:X4}"));

        var others = images.Keys.Select(number => OnOwnThread(() =>
        {
            using var device = server.Connect(number, new() { DeviceArguments = images[number] });
            for (var i = 0; i < 50; i++)
            {
                Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(device, Write, new byte[1000], i).Status);
            }
        })).ToArray();
        await Task.WhenAll(others).WaitAsync(RawPeer.Patience);
        Assert.False(waiting.IsCompleted);

        // A host taking the busy drive over waits for the CCW in progress: never two CCWs on one drive.
        using var takeOver = server.Connect(0x0580, new() { TakeOver = true, Reconnect = false });
        var next = OnOwnThread(() => Run(takeOver, Write, [9], 0));
        await Task.Delay(50);
        Assert.False(next.IsCompleted);
        blocked.Halt();
        server.Probe(0x0580).Halt();

        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, (await next.WaitAsync(RawPeer.Patience)).Status);
        await waiting.WaitAsync(RawPeer.Patience);
        Assert.All([0x0580, 0x0581, 0x0582, 0x0583], n => Assert.False(server.Probe((ushort)n).OverlapSeen));
        Assert.Equal(50, server.Blocks("vol0581").Count);
    }

    [Fact]
    public async Task Halt_from_RemoteDevice_ends_the_outstanding_CCW()
    {
        await using var server = new TestServer();
        using var device = server.Connect(0x0581);
        var waiting = OnOwnThread(() => Run(device, ProbeDevice.WaitForHalt, [], 0));
        Assert.True(server.Probe(0x0581).WaitingForHalt.Wait(RawPeer.Patience));

        device.Halt();

        Assert.Equal(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitException, (await waiting.WaitAsync(RawPeer.Patience)).Status);
    }

    [Fact]
    public async Task Ping_is_answered_with_the_same_token_and_Close_ends_the_connection()
    {
        await using var server = new TestServer();
        using var peer = await server.RawAsync();
        await peer.HelloAsync();

        await peer.SendAsync(FrameWriter.ToArray(new PingMessage(0xFEEDFACE)));
        Assert.Equal(0xFEEDFACEul, PongMessage.Parse(await peer.ExpectAsync(MessageType.Pong)).Token);
        await peer.SendAsync(FrameWriter.ToArray(new CloseMessage(CloseReason.Normal, "bye")));

        Assert.Null(await peer.ReadAsync());
        server.Events.WaitFor<ConnectionClosed>(e => e.Cause == CloseCause.HostClosed && e.Detail.Contains("bye", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Idle_connection_is_closed_with_reason_3()
    {
        await using var server = new TestServer(new TapeServerOptions { IdleTimeout = TimeSpan.FromMilliseconds(300) });
        using var peer = await server.RawAsync();
        await peer.HelloAsync();
        await peer.AttachAsync(0x0580);

        var close = CloseMessage.Parse(await peer.ExpectAsync(MessageType.Close));

        Assert.Equal(CloseReason.IdleTimeout, close.Reason);
        Assert.Null(await peer.ReadAsync());
        server.Events.WaitFor<ConnectionClosed>(e => e.Cause == CloseCause.IdleTimeout);
    }

    [Fact]
    public async Task Shutdown_finishes_the_CCW_in_progress_sends_Close_1_and_closes_every_volume()
    {
        var server = new TestServer();
        using var peer = await server.RawAsync();
        await peer.HelloAsync();
        await peer.AttachAsync(0x0582, server.Image("vol"));
        await peer.SendAsync(FrameWriter.ToArray(new CcwMessage(ProbeDevice.WaitForHalt, CcwFlags.None, CcwFlags.None, 0, 0, 0, default)));
        Assert.True(server.Probe(0x0582).WaitingForHalt.Wait(RawPeer.Patience));

        var stopping = server.Server.StopAsync();
        await Task.Delay(50);
        Assert.False(stopping.IsCompleted);
        server.Probe(0x0582).Halt();

        Assert.Equal(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitException,
            CcwReplyMessage.Parse(await peer.ExpectAsync(MessageType.CcwReply)).Status);
        Assert.Equal(CloseReason.ShuttingDown, CloseMessage.Parse(await peer.ExpectAsync(MessageType.Close)).Reason);
        Assert.Null(await peer.ReadAsync());
        await stopping.WaitAsync(RawPeer.Patience);
        Assert.False(server.Drive(0x0582).Drive.IsLoaded); // flushed and closed
        server.Events.WaitFor<ServerStopped>();
        Assert.Equal(0, server.Server.ConnectionCount);
        await Assert.ThrowsAnyAsync<SocketException>(() => RawPeer.ConnectAsync(server.EndPoint));
    }

    [Fact]
    public async Task Peer_that_stops_reading_is_closed_and_does_not_stall_the_others()
    {
        await using var server = new TestServer(new TapeServerOptions
        {
            SendQueueLimit = 8,
            SendTimeout = TimeSpan.FromSeconds(1),
            SocketSendBufferSize = 4096,
        });
        using var worker = server.Connect(0x0580, new() { DeviceArguments = server.Image("vol1") });
        using var stalled = await server.RawAsync(receiveBufferSize: 4096);
        await stalled.HelloAsync();
        await stalled.AttachAsync(0x0581);

        // Pings whose Pongs are never read: the server's sends back up until it gives the peer up.
        var ping = FrameWriter.ToArray(new PingMessage(1));
        var flood = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < 1_000_000 && server.Server.ConnectionCount > 1; i++)
                {
                    await stalled.SendAsync(ping);
                }
            }
            catch (SocketException)
            {
                // The server closed the connection.
            }
        });
        for (var i = 0; !flood.IsCompleted; i++)
        {
            Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(worker, Write, new byte[100], i).Status);
        }

        await flood.WaitAsync(TimeSpan.FromSeconds(30));
        var closed = server.Events.WaitFor<ConnectionClosed>(e => e.Cause == CloseCause.PeerNotReading);
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, closed.Level);
        // The warning is logged when the server gives the peer up; the count drops once its close finishes.
        Assert.True(SpinWait.SpinUntil(() => server.Server.ConnectionCount == 1, RawPeer.Patience),
            $"{server.Server.ConnectionCount} connections still open");
        Assert.NotNull(worker.Ping());
    }

    [Fact]
    public async Task A_thousand_connections_opened_and_dropped_while_another_client_keeps_working()
    {
        await using var server = new TestServer();
        using var worker = server.Connect(0x0580, new() { DeviceArguments = server.Image("vol1") });
        using var stop = new CancellationTokenSource();
        var done = 0;
        var working = OnOwnThread(() =>
        {
            var block = new byte[4096];
            while (!stop.IsCancellationRequested)
            {
                Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(worker, Write, block, done).Status);
                done++;
            }
        });
        var hello = FrameWriter.ToArray(new HelloMessage(0, "churn"));

        for (var batch = 0; batch < 20; batch++)
        {
            await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(server.EndPoint);
                switch (i % 4)
                {
                    case 1:
                        await socket.SendAsync(hello.AsMemory(0, 7));
                        break;
                    case 2:
                        await socket.SendAsync(hello);
                        socket.LingerState = new LingerOption(true, 0);
                        break;
                    case 3:
                        await socket.SendAsync(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF });
                        break;
                }
            }));
        }

        // Every connection accepted (some may still sit in the listen backlog) and dropped again.
        SpinWait.SpinUntil(() => server.Events.All<ConnectionOpened>().Count >= 1001
            && server.Server.ConnectionCount == 1 && done > 0, TimeSpan.FromSeconds(30));
        stop.Cancel();
        await working.WaitAsync(RawPeer.Patience);
        Assert.Equal(1, server.Server.ConnectionCount);
        Assert.True(done > 0);
        Assert.True(server.Events.All<ConnectionOpened>().Count >= 1001);
        Assert.NotNull(worker.Ping());
    }

    /// <summary>
    /// Runs blocking client calls on a thread of their own: parked on the thread pool they would
    /// starve it (two threads on a 2-core machine) while the server and the client's receive loop
    /// need it, and the test would measure thread injection instead of the server.
    /// </summary>
    private static Task<T> OnOwnThread<T>(Func<T> work) => Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static Task OnOwnThread(Action work) => Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static CcwResult Run(RemoteDevice device, byte command, byte[] buffer, int sequence) =>
        device.Execute(new CcwRequest(command, CcwFlags.None, CcwFlags.None, buffer.Length, 0, sequence), buffer);
}
