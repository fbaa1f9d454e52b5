using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;

namespace ChannelTape.Server;

/// <summary>
/// One host connection (docs/protocol.md §2): reads frames in order, runs each request against the
/// attached drive, and sends replies through a bounded queue drained by one writer, so a peer that
/// stops reading only ever stalls itself. Any protocol error closes only this connection.
/// </summary>
internal sealed class Connection
{
    private enum Phase
    {
        AwaitingHello,
        AwaitingAttach,
        Attached,
    }

    private enum StopReason
    {
        None,
        IdleTimeout,
        ShuttingDown,
        TakenOver,
        Aborted,
    }

    private readonly TapeServer _server;
    private readonly Socket _socket;
    private readonly PipeReader _pipe;
    private readonly FrameReader _frames;
    private readonly System.Threading.Channels.Channel<OutgoingFrame> _sendQueue;
    private readonly CancellationTokenSource _readCancel = new();
    private readonly Lock _sendLock = new();
    private Phase _phase = Phase.AwaitingHello;
    private int _maxFrameLength;
    // §5 counts for the detach log line (read loop and the drive gate only).
    private long _bufferedWrites;
    private long _readAheadSent;
    private long _readAheadReferred;
    private long _readAheadReturned;
    private string _hostName = "";
    private DriveSlot? _slot;
    private ProtocolFeatures _features;
    // Write credit the host has left (§5.1): set by each CcwReply, spent by BufferedCcw. Written by
    // the CCW task before it clears _ccwOutstanding, read by the read loop only when none is outstanding.
    private long _writeCredit;
    // Read-ahead by reference (§5.3): whether the host asked to stop it (ReadAheadEnd flag 02), and the
    // drive's VolumeGeneration whose image was last named in ReadAheadImage. Used by the CCW task only,
    // except _referencesStopped, set by the read loop while no CCW is outstanding.
    private bool _referencesStopped;
    private long _announcedVolume = -1;
    private Task _ccwTask = Task.CompletedTask;
    private volatile bool _ccwOutstanding;
    private bool _farewellQueued;
    private int _stopReason;
    private long _lastReceived = Environment.TickCount64;

    public Connection(TapeServer server, Socket socket, long id)
    {
        _server = server;
        _socket = socket;
        _maxFrameLength = server.Options.MaxFrameLength;
        _pipe = PipeReader.Create(new NetworkStream(socket, ownsSocket: false), Frame.ReaderOptions);
        _frames = new FrameReader(_pipe) { MaxFrameLength = _maxFrameLength };
        _sendQueue = System.Threading.Channels.Channel.CreateBounded<OutgoingFrame>(new BoundedChannelOptions(server.Options.SendQueueLimit)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        Name = $"#{id} {socket.RemoteEndPoint}";
        var address = (socket.RemoteEndPoint as System.Net.IPEndPoint)?.Address;
        RemoteAddress = address?.ToString() ?? "unknown";
        IsLoopbackPeer = address is not null && PeerAddress.IsLoopback(address);
    }

    /// <summary>Number and peer address, for log lines.</summary>
    public string Name { get; }

    /// <summary>The peer's IP address.</summary>
    public string RemoteAddress { get; }

    /// <summary>The peer is on this machine (127.0.0.0/8, ::1, or ::ffff:127.x.x.x): only it may read images by reference (§5.3).</summary>
    public bool IsLoopbackPeer { get; }

    /// <summary>Completes when the connection is closed and the drive detached.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    private StopReason Reason => (StopReason)Volatile.Read(ref _stopReason);

    public void Start() => Completion = RunAsync();

    /// <summary>Orderly shutdown: finish the CCW in progress, send Close reason 1, close.</summary>
    public void Shutdown() => Stop(StopReason.ShuttingDown);

    /// <summary>Called by the idle sweep: closes the connection with Close reason 3 if it has been silent too long.</summary>
    public void CheckIdle(long now, long idleMilliseconds)
    {
        if (!_ccwOutstanding && now - Volatile.Read(ref _lastReceived) > idleMilliseconds)
        {
            Stop(StopReason.IdleTimeout);
        }
    }

    /// <summary>Another connection attached this one's drive with the take-over flag.</summary>
    public void TakenOverBy(Connection other, DriveSlot slot)
    {
        _server.Log.Write(LogLevel.Info, $"{Name}: drive {slot.Name} taken over by {other.Name}; closing");
        SendFarewell(new CloseMessage(CloseReason.TakenOver, $"drive {slot.Name} taken over by another connection"));
        Stop(StopReason.TakenOver);
    }

    /// <summary>Unsolicited status from the attached drive (device end at ready, attention).</summary>
    public void SendUnsolicited(UnitStatus status)
    {
        lock (_sendLock)
        {
            if (_phase == Phase.Attached && !_farewellQueued)
            {
                Enqueue(new UnsolicitedMessage(status));
            }
        }
    }

    private async Task RunAsync()
    {
        var writer = Task.Run(WriteLoopAsync);
        try
        {
            await ReadLoopAsync().ConfigureAwait(false);
        }
        catch (ProtocolException e)
        {
            _server.Log.Write(LogLevel.Warning,
                $"{Name}: protocol error {(ushort)e.Code} ({e.Code}): {e.Message}; closing the connection");
            SendFarewell(new ErrorMessage(e.Code, e.Message));
        }
        catch (OperationCanceledException) when (Reason != StopReason.None)
        {
            await OnStoppedAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            if (Reason == StopReason.None)
            {
                _server.Log.Write(LogLevel.Info, $"{Name}: connection lost: {e.Message}");
            }
        }
        catch (Exception e)
        {
            _server.Log.Write(LogLevel.Error, $"{Name}: internal error, closing the connection: {e}");
        }
        finally
        {
            await CloseAsync(writer).ConfigureAwait(false);
        }
    }

    private async Task OnStoppedAsync()
    {
        switch (Reason)
        {
            case StopReason.ShuttingDown:
                await WaitForCcwAsync().ConfigureAwait(false);
                SendFarewell(new CloseMessage(CloseReason.ShuttingDown, "server shutting down"));
                break;
            case StopReason.IdleTimeout:
                _server.Log.Write(LogLevel.Info,
                    $"{Name}: nothing received for {_server.Options.IdleTimeout.TotalSeconds:0.###} s; closing");
                SendFarewell(new CloseMessage(CloseReason.IdleTimeout,
                    $"nothing received for {_server.Options.IdleTimeout.TotalSeconds:0.###} s"));
                break;
        }
    }

    private async Task CloseAsync(Task writer)
    {
        await WaitForCcwAsync().ConfigureAwait(false);
        await DetachAsync().ConfigureAwait(false);
        lock (_sendLock)
        {
            _farewellQueued = true;
            _sendQueue.Writer.TryComplete();
        }

        await writer.ConfigureAwait(false);
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed by the peer or by Abort.
        }

        _socket.Dispose();
        await _pipe.CompleteAsync().ConfigureAwait(false);
        _readCancel.Dispose();
        _server.Forget(this);
    }

    private async Task WaitForCcwAsync()
    {
        try
        {
            await _ccwTask.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _server.Log.Write(LogLevel.Error, $"{Name}: CCW task failed: {e}");
        }
    }

    private async Task DetachAsync()
    {
        if (_slot is not { } slot)
        {
            return;
        }

        slot.Detach(this);
        await slot.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (slot.ProgramOwner == this)
            {
                slot.Drive.Device.EndChannelProgram();
                slot.ProgramOwner = null;
            }
        }
        finally
        {
            slot.Gate.Release();
        }

        _server.Log.Write(LogLevel.Info, $"{Name}: detached drive {slot.Name}{StreamingSummary()}");
    }

    private void Stop(StopReason reason)
    {
        if (Interlocked.CompareExchange(ref _stopReason, (int)reason, (int)StopReason.None) != (int)StopReason.None
            && reason != StopReason.Aborted)
        {
            return;
        }

        try
        {
            _readCancel.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The connection finished closing meanwhile.
        }
    }

    /// <summary>The peer cannot be talked to any more (not reading, socket failed): drop it now.</summary>
    private void Abort()
    {
        Stop(StopReason.Aborted);
        lock (_sendLock)
        {
            _farewellQueued = true;
            _sendQueue.Writer.TryComplete();
        }

        _socket.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        while (true)
        {
            var frame = await _frames.ReadAsync(_readCancel.Token).ConfigureAwait(false);
            if (frame is not { } received)
            {
                _server.Log.Write(LogLevel.Info, $"{Name}: peer closed the connection");
                return;
            }

            Volatile.Write(ref _lastReceived, Environment.TickCount64);
            if (!await HandleAsync(received).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Handles one frame; false when the peer asked to close.</summary>
    private async ValueTask<bool> HandleAsync(Frame frame)
    {
        switch (frame.Type)
        {
            case MessageType.Hello:
                Require(_phase == Phase.AwaitingHello, frame.Type, "Hello was already received");
                OnHello(HelloMessage.Parse(frame.Body.Span));
                return true;
            case MessageType.Attach:
                Require(_phase == Phase.AwaitingAttach, frame.Type,
                    _phase == Phase.AwaitingHello ? "Hello must come first" : "a drive is already attached");
                await OnAttachAsync(AttachMessage.Parse(frame.Body.Span)).ConfigureAwait(false);
                return true;
            case MessageType.Ccw:
                RequireRequestAllowed(frame.Type);
                OnCcw(frame.Body.Span);
                return true;
            case MessageType.BufferedCcw:
                RequireRequestAllowed(frame.Type);
                Require(Granted(ProtocolFeatures.WriteBehind), frame.Type, "write-behind is not in effect (HelloReply did not grant it)");
                await OnBufferedCcwAsync(TakeBufferedWrite(frame.Body)).ConfigureAwait(false);
                _bufferedWrites++;
                return true;
            case MessageType.ReadAheadEnd:
                RequireRequestAllowed(frame.Type);
                Require(Granted(ProtocolFeatures.ReadAhead), frame.Type, "read-ahead is not in effect (HelloReply did not grant it)");
                await OnReadAheadEndAsync(ReadAheadEndMessage.Parse(frame.Body.Span)).ConfigureAwait(false);
                return true;
            case MessageType.Halt:
                Require(_phase == Phase.Attached, frame.Type, "no drive is attached");
                if (_ccwOutstanding)
                {
                    _slot!.Drive.Device.Halt();
                }

                return true;
            case MessageType.Mount:
                RequireRequestAllowed(frame.Type);
                await OnMountAsync(MountMessage.Parse(frame.Body.Span)).ConfigureAwait(false);
                return true;
            case MessageType.Query:
                RequireRequestAllowed(frame.Type);
                await OnQueryAsync().ConfigureAwait(false);
                return true;
            case MessageType.Ping:
                Require(_phase != Phase.AwaitingHello, frame.Type, "Hello must come first");
                Require(!_ccwOutstanding, frame.Type, "a Ccw is outstanding (only Halt may be sent)");
                Enqueue(new PongMessage(PingMessage.Parse(frame.Body.Span).Token));
                return true;
            case MessageType.Pong:
                Require(_phase != Phase.AwaitingHello, frame.Type, "Hello must come first");
                PongMessage.Parse(frame.Body.Span);
                return true;
            case MessageType.Close:
                var close = CloseMessage.Parse(frame.Body.Span);
                _server.Log.Write(LogLevel.Info, $"{Name}: host closed ({close.Reason}): {close.Text}");
                return false;
            default:
                throw new ProtocolException(ProtocolErrorCode.NotAllowedNow,
                    $"{frame.Type} is sent by the server, not by a host");
        }
    }

    private static void Require(bool allowed, MessageType type, string why)
    {
        if (!allowed)
        {
            throw new ProtocolException(ProtocolErrorCode.NotAllowedNow, $"{type} not allowed now: {why}");
        }
    }

    private void RequireRequestAllowed(MessageType type)
    {
        Require(_phase == Phase.Attached, type, _phase == Phase.AwaitingHello ? "Hello must come first" : "no drive is attached");
        Require(!_ccwOutstanding, type, "a Ccw is outstanding (only Halt may be sent)");
    }

    private void OnHello(HelloMessage hello)
    {
        if (hello.Magic != HelloMessage.ExpectedMagic)
        {
            throw new ProtocolException(ProtocolErrorCode.WrongMagicOrVersion,
                $"wrong magic 0x{hello.Magic:X8} (expected 0x{HelloMessage.ExpectedMagic:X8}, 'CTAP')");
        }

        if (hello.Version != HelloMessage.CurrentVersion)
        {
            throw new ProtocolException(ProtocolErrorCode.WrongMagicOrVersion,
                $"protocol version {hello.Version} not spoken (this server speaks {HelloMessage.CurrentVersion})");
        }

        var hostMax = hello.MaxFrameLength == 0 ? Frame.DefaultMaxLength : hello.MaxFrameLength;
        if (hostMax < Frame.MinimumMaxLength)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                $"largest frame length {hostMax} is below the minimum {Frame.MinimumMaxLength}");
        }

        _hostName = hello.HostName;
        // §5: the features in effect are those asked for that this server grants (unknown bits are dropped);
        // §5.3: by reference only with read-ahead, and only for a host that can open the server's files.
        _features = ProtocolFeatureRules.Agree(hello.Features, _server.Options.Features);
        if (!IsLoopbackPeer)
        {
            _features &= ~ProtocolFeatures.ReadAheadByReference;
        }

        lock (_sendLock)
        {
            Enqueue(new HelloReplyMessage(HelloMessage.CurrentVersion,
                (uint)Math.Min(hostMax, (uint)_server.Options.MaxFrameLength), _server.Options.ServerName, _features));
            _maxFrameLength = (int)Math.Min(hostMax, (uint)_server.Options.MaxFrameLength);
            _frames.MaxFrameLength = _maxFrameLength;
            _phase = Phase.AwaitingAttach;
        }

        _server.Log.Write(LogLevel.Info, $"{Name}: hello from '{_hostName}', frames up to {_maxFrameLength} bytes, features {_features}");
    }

    private async Task OnAttachAsync(AttachMessage attach)
    {
        var device = $"{attach.DeviceNumber:X4}";
        if (!_server.TryGetSlot(attach.DeviceNumber, out var slot))
        {
            Refuse(AttachResult.NoSuchDrive, $"no drive {device} is configured");
            return;
        }

        var drive = slot.Drive;
        if (attach.Model != 0 && attach.Model != drive.Model)
        {
            Refuse(AttachResult.ModelMismatch, $"drive {device} is a {drive.Model:X4}, not a {attach.Model:X4}");
            return;
        }

        var takeOver = (attach.Flags & AttachFlags.TakeOver) != 0;
        if (!slot.IsAvailableTo(this, takeOver))
        {
            Refuse(AttachResult.AttachedElsewhere, AttachedElsewhereText(slot));
            return;
        }

        AttachReplyMessage reply;
        Connection? previous = null;
        var arguments = attach.DeviceArguments.Trim();

        // Empty words keep the drive's volume and position: a host reconnecting after a lost socket
        // attaches that way (§2 Disconnects) and must not wait for a CCW its old connection left
        // running. Words re-apply the device statement, as devinit does, so they wait for the drive.
        var mounting = arguments.Length != 0;
        if (mounting)
        {
            await slot.Gate.WaitAsync().ConfigureAwait(false);
        }

        try
        {
            if (mounting && !drive.TryMount(arguments, out var why))
            {
                reply = AttachReplyMessage.Refusal(AttachResult.VolumeRefused, why);
            }
            else if (!slot.TryAttach(this, takeOver, out previous))
            {
                reply = AttachReplyMessage.Refusal(AttachResult.AttachedElsewhere, AttachedElsewhereText(slot));
            }
            else
            {
                drive.SetAttachedHost(RemoteAddress);
                reply = new AttachReplyMessage(AttachResult.Attached, drive.Model, drive.SenseId.ToArray(),
                    (byte)drive.SenseCount, ImmediateCommandMap.Build(drive.Device.IsImmediate), drive.IsLoaded,
                    drive.DeviceListText);
            }
        }
        finally
        {
            if (mounting)
            {
                slot.Gate.Release();
            }
        }

        if (reply.Result != AttachResult.Attached)
        {
            Refuse(reply.Result, reply.Message);
            return;
        }

        if (previous is not null && previous != this)
        {
            previous.TakenOverBy(this, slot);
        }

        _slot = slot;
        lock (_sendLock)
        {
            Enqueue(reply);
            _phase = Phase.Attached;
        }

        _server.Log.Write(LogLevel.Info, $"{Name}: attached drive {device} ({drive.Model:X4}){(takeOver ? " with take-over" : "")}: {reply.Message}");
    }

    private static string AttachedElsewhereText(DriveSlot slot) =>
        $"drive {slot.Name} is attached by connection {slot.Owner?.Name}; attach with the take-over flag to replace it";

    private void Refuse(AttachResult result, string message)
    {
        _server.Log.Write(LogLevel.Info, $"{Name}: attach refused ({result}): {message}");
        Enqueue(AttachReplyMessage.Refusal(result, message));
    }

    private void OnCcw(ReadOnlySpan<byte> body)
    {
        var ccw = CcwMessage.Parse(body);
        var slot = _slot!;
        // The reply must fit a frame; a count the drive does not take is the drive's answer to give.
        var limit = _maxFrameLength - 1 - CcwReplyMessage.FixedSize - slot.Drive.SenseCount;
        if (ccw.Count > (uint)limit)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                $"Ccw count {ccw.Count} is above {limit}, the most a CcwReply of this connection can carry");
        }

        var count = (int)ccw.Count;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(count, 1));
        if (ccw.Data.IsEmpty)
        {
            // Input area: never hand the device, or the host, bytes left from someone else's frame.
            buffer.AsSpan(0, count).Clear();
        }
        else
        {
            ccw.Data.CopyTo(buffer);
        }

        var request = new CcwRequest(ccw.Command, ccw.Flags, ccw.PreviousFlags, count, ccw.PreviousCommand,
            (int)Math.Min(ccw.Sequence, int.MaxValue));
        _ccwOutstanding = true;
        _ccwTask = Task.Run(() => ExecuteCcwAsync(slot, request, buffer));
    }

    private async Task ExecuteCcwAsync(DriveSlot slot, CcwRequest request, byte[] buffer)
    {
        OutgoingFrame reply = default;
        OutgoingFrame? readAhead = null;
        OutgoingFrame? image = null;
        Exception? failure = null;
        await slot.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            reply = ExecuteUnderGate(slot, request, buffer, out readAhead, out image);
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            slot.Gate.Release();
            ArrayPool<byte>.Shared.Return(buffer);
        }

        _ccwOutstanding = false;
        if (failure is not null)
        {
            _server.Log.Write(LogLevel.Error,
                $"{Name}: drive {slot.Name} failed on CCW {request.Command:X2}; closing the connection: {failure}");
            Abort();
            return;
        }

        // §5.3: the image a batch refers to is named before it; §5.2: the batch goes immediately before
        // the CcwReply of the Read it follows.
        if (image is { } named)
        {
            EnqueueFrame(named);
        }

        if (readAhead is { } batch)
        {
            EnqueueFrame(batch);
        }

        EnqueueFrame(reply);
    }

    private OutgoingFrame ExecuteUnderGate(DriveSlot slot, in CcwRequest request, byte[] buffer, out OutgoingFrame? readAhead,
        out OutgoingFrame? image)
    {
        readAhead = null;
        image = null;
        var device = slot.Drive.Device;
        var tape = slot.Drive.Tape;
        EndReadAheadBatch(slot, tape);
        if (slot.DeferredSense is { } deferred)
        {
            // §5.1 Deferred unit check: this Ccw is not run; it reports the buffered Write's failure.
            slot.DeferredSense = null;
            slot.DeferredDropLogged = false;
            _server.Log.Write(LogLevel.Info,
                $"{Name}: drive {slot.Name}: CCW {request.Command:X2} not run, it reports the deferred unit check");
            return ReplyFrame(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck, CcwReplyFlags.None, request.Count, deferred, default, credit: 0);
        }

        StartProgramIfNeeded(slot, request.Sequence == 0);
        var result = device.Execute(in request, buffer.AsSpan(0, request.Count));
        var residual = Math.Clamp(result.Residual, 0, request.Count);
        var sense = (result.Status & UnitStatus.UnitCheck) != 0 ? device.Sense : default;
        ReadOnlySpan<byte> data = default;
        if (CcwDataDirection.HasInputData(request.Command, device.IsImmediate(request.Command)))
        {
            var length = request.Count - residual;
            data = CcwDataDirection.IsReadBackward(request.Command)
                ? buffer.AsSpan(residual, length)
                : buffer.AsSpan(0, length);
        }

        // §5.2: after a Read with no data chaining into or out of it that ended with exactly CE+DE.
        if (Granted(ProtocolFeatures.ReadAhead) && tape is not null && request.Command == (byte)TapeCommand.Read
            && ((request.Flags | request.PreviousFlags) & CcwFlags.ChainData) == 0
            && result.Status == UnitStatus.ChannelEndDeviceEnd)
        {
            readAhead = ReadAheadFrame(slot, tape, out image);
        }

        var credit = Granted(ProtocolFeatures.WriteBehind) && tape is not null ? Streaming.WriteCredit.For(tape, _server.Options.WriteCreditLimit) : 0;
        return ReplyFrame(result.Status, result.More ? CcwReplyFlags.More : CcwReplyFlags.None, residual, sense, data, credit);
    }

    /// <summary>A CcwReply; with write-behind in effect it carries <paramref name="credit"/> (flag 02) and the host's credit becomes it.</summary>
    private OutgoingFrame ReplyFrame(UnitStatus status, CcwReplyFlags flags, int residual, ReadOnlySpan<byte> sense, ReadOnlySpan<byte> data, long credit)
    {
        if (Granted(ProtocolFeatures.WriteBehind))
        {
            flags |= CcwReplyFlags.WriteCredit;
            _writeCredit = credit;
        }

        return Serialize(new CcwReplyMessage(status, flags, (uint)residual, sense, data, (uint)Math.Min(credit, uint.MaxValue)));
    }

    private bool Granted(ProtocolFeatures feature) => (_features & feature) != 0;

    /// <summary>
    /// Starts a channel program (Hercules <c>start</c>) for a CCW with sequence number 0, or when another
    /// connection's program is the open one (§2). Under the gate.
    /// </summary>
    private void StartProgramIfNeeded(DriveSlot slot, bool sequenceZero)
    {
        if (!sequenceZero && slot.ProgramOwner == this)
        {
            return;
        }

        var device = slot.Drive.Device;
        if (slot.ProgramOwner is not null)
        {
            device.EndChannelProgram();
        }

        device.StartChannelProgram();
        slot.ProgramOwner = this;
    }

    /// <summary>
    /// A frame that reaches the drive without a ReadAheadEnd before it means the host used the batch
    /// up (§5.2): the next batch may be twice as large.
    /// </summary>
    private static void EndReadAheadBatch(DriveSlot slot, TapeDrive? tape)
    {
        if (tape is not null)
        {
            slot.ReadAhead.BatchUsedUp(tape);
        }
    }

    /// <summary>
    /// Reads up to the drive's window of following data blocks (at most 1 MiB of data carried inline and
    /// what fits one frame of this connection) into a ReadAhead frame; null when the next block is not a
    /// data block. With read-ahead by reference in effect (§5.3) a block stored in one uncompressed piece
    /// is referred to by its offset in the image instead (not counted toward the 1 MiB), and
    /// <paramref name="image"/> is a ReadAheadImage naming it when this connection has not named this
    /// volume's image yet.
    /// </summary>
    private OutgoingFrame? ReadAheadFrame(DriveSlot slot, TapeDrive tape, out OutgoingFrame? image)
    {
        image = null;
        var refer = Granted(ProtocolFeatures.ReadAheadByReference) && !_referencesStopped;
        var room = Math.Min(_maxFrameLength - 1 - ReadAheadMessage.FixedSize, Streaming.ReadAheadBatcher.MaxEntriesLength);
        var entries = ArrayPool<byte>.Shared.Rent(room);
        try
        {
            var batch = slot.ReadAhead.Fill(tape, refer, entries.AsSpan(0, room));
            if (batch.Referred > 0 && tape.VolumeGeneration != _announcedVolume && tape.Media is { } media)
            {
                // §5.3: before the first batch that refers to an image, and again after every mount or unload.
                image = Serialize(new ReadAheadImageMessage(Path.GetFullPath(media.Path)));
                _announcedVolume = tape.VolumeGeneration;
            }

            _readAheadSent += batch.Blocks;
            _readAheadReferred += batch.Referred;
            return batch.Blocks == 0 ? null : Serialize(new ReadAheadMessage((ushort)batch.Blocks, entries.AsSpan(0, batch.EncodedLength)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(entries);
        }
    }

    /// <summary>
    /// Checks a BufferedCcw (§5.1: a Write within the credit) and spends its credit; returns the request
    /// and its data, still in the frame. Anything else is a protocol error (Error 1).
    /// </summary>
    private (CcwRequest Request, ReadOnlyMemory<byte> Data) TakeBufferedWrite(ReadOnlyMemory<byte> body)
    {
        var ccw = BufferedCcwMessage.Parse(body.Span).Ccw;
        if (ccw.Command != (byte)TapeCommand.Write)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                $"BufferedCcw with command {ccw.Command:X2}: only Write (01) may be buffered");
        }

        var cost = (long)ccw.Count + WriteAllowance.PerBlock;
        if (cost > _writeCredit)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                $"BufferedCcw Write of {ccw.Count} bytes needs {cost} bytes of credit, {_writeCredit} left");
        }

        _writeCredit -= cost;
        var count = (int)ccw.Count;
        // The block stays in the frame reader's buffer: the write runs before the next frame is read.
        return (new CcwRequest(ccw.Command, ccw.Flags, ccw.PreviousFlags, count, ccw.PreviousCommand,
            (int)Math.Min(ccw.Sequence, int.MaxValue)), body.Slice(CcwMessage.DataOffset, ccw.Data.Length));
    }

    /// <summary>
    /// Runs a buffered Write in the read loop, so frames stay in order (§2, §5.1). One that does not end
    /// with exactly CE+DE, residual 0 becomes the drive's deferred unit check: its sense, with byte 0
    /// bit 02, is kept for the next Ccw, and later BufferedCcw frames are dropped until then.
    /// </summary>
    private async Task OnBufferedCcwAsync((CcwRequest Request, ReadOnlyMemory<byte> Data) write)
    {
        var (request, data) = write;
        var slot = _slot!;
        await slot.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (slot.DeferredSense is not null)
            {
                if (!slot.DeferredDropLogged)
                {
                    slot.DeferredDropLogged = true;
                    _server.Log.Write(LogLevel.Info,
                        $"{Name}: drive {slot.Name}: buffered Writes after the deferred unit check are dropped until the next Ccw");
                }

                return;
            }

            var tape = slot.Drive.Tape;
            EndReadAheadBatch(slot, tape);
            StartProgramIfNeeded(slot, request.Sequence == 0);
            var device = slot.Drive.Device;
            // A Write only reads its buffer; the frame's own bytes serve, without a copy.
            var result = device.Execute(in request, MemoryMarshal.AsMemory(data).Span);
            if (result != new CcwResult(UnitStatus.ChannelEndDeviceEnd, 0))
            {
                tape?.MarkDeferredUnitCheck();
                var sense = device.Sense.ToArray();
                if (sense.Length > 0)
                {
                    sense[0] |= SenseBuilder.Sense0DeferredUnitCheck;
                }

                slot.DeferredSense = sense;
                _server.Log.Write(LogLevel.Warning,
                    $"{Name}: drive {slot.Name}: buffered Write of {request.Count} bytes ended with status {(byte)result.Status:X2}, "
                    + $"residual {result.Residual}, sense {Convert.ToHexString(sense)}; deferred unit check at the next Ccw");
            }
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    /// <summary>
    /// ReadAheadEnd (§5.2): moves the drive back over the blocks the host did not use and, for flag 01,
    /// starts a new channel program as a Ccw with sequence number 0 would have.
    /// </summary>
    private async Task OnReadAheadEndAsync(ReadAheadEndMessage end)
    {
        var slot = _slot!;
        var tape = slot.Drive.Tape;
        await slot.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var outstanding = tape is null ? 0 : slot.ReadAhead.Outstanding(tape);
            if (outstanding == 0)
            {
                if (end.UnusedBlocks > 0)
                {
                    // A server restart, or a mount the host had not heard of yet, ended the batch.
                    _server.Log.Write(LogLevel.Info,
                        $"{Name}: drive {slot.Name}: ReadAheadEnd with {end.UnusedBlocks} unused blocks, but no batch is known; ignored");
                }
            }
            else if (end.UnusedBlocks > (uint)outstanding)
            {
                throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                    $"ReadAheadEnd with {end.UnusedBlocks} unused blocks, the last batch had {outstanding}");
            }
            else
            {
                slot.ReadAhead.GiveBack(tape!, (int)end.UnusedBlocks);
                _readAheadReturned += end.UnusedBlocks;
            }

            if ((end.Flags & ReadAheadEndFlags.StopReferences) != 0 && !_referencesStopped)
            {
                // §5.3: the host could not read a referred block; every later block of this connection goes inline.
                _referencesStopped = true;
                _server.Log.Write(LogLevel.Info,
                    $"{Name}: drive {slot.Name}: the host cannot read blocks from the image{(tape?.Media is { } media ? $" {media.Path}" : "")}; "
                    + "read-ahead carries every block inline from now on");
            }

            if ((end.Flags & ReadAheadEndFlags.ProgramStarted) != 0)
            {
                StartProgramIfNeeded(slot, sequenceZero: true);
                tape?.ResetChannelProgramSettings();
            }
        }
        finally
        {
            slot.Gate.Release();
        }
    }

    private async Task OnMountAsync(MountMessage mount)
    {
        var slot = _slot!;
        bool mounted;
        string message;
        await slot.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            mounted = slot.Drive.TryMount(mount.Arguments.Trim(), out message);
        }
        finally
        {
            slot.Gate.Release();
        }

        _server.Log.Write(LogLevel.Info,
            $"{Name}: drive {slot.Name} mount '{mount.Arguments}' {(mounted ? "done" : "refused")}: {message}");
        Enqueue(new MountReplyMessage(mounted ? MountResult.Done : MountResult.Refused, message));
    }

    private async Task OnQueryAsync()
    {
        var slot = _slot!;
        string text;
        await slot.Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            text = slot.Drive.DeviceListText;
        }
        finally
        {
            slot.Gate.Release();
        }

        Enqueue(new QueryReplyMessage(text));
    }

    /// <summary>What §5 did on this connection, for the detach log line (empty when nothing).</summary>
    private string StreamingSummary() =>
        _bufferedWrites + _readAheadSent == 0
            ? ""
            : $"; write-behind: {_bufferedWrites} blocks; read-ahead: {_readAheadSent} blocks sent ({_readAheadReferred} by reference), {_readAheadReturned} given back";

    private OutgoingFrame Serialize<T>(scoped in T message)
        where T : IMessage, allows ref struct
    {
        var size = FrameWriter.FrameSize(message);
        var buffer = ArrayPool<byte>.Shared.Rent(size);
        FrameWriter.Write(buffer.AsSpan(), message, _maxFrameLength);
        return new OutgoingFrame(buffer, size);
    }

    private void Enqueue<T>(scoped in T message)
        where T : IMessage, allows ref struct => EnqueueFrame(Serialize(message));

    /// <summary>Queues the last frame this connection sends (Error or Close); later frames are dropped.</summary>
    private void SendFarewell<T>(scoped in T message)
        where T : IMessage, allows ref struct
    {
        var frame = Serialize(message);
        lock (_sendLock)
        {
            if (!_farewellQueued)
            {
                EnqueueFrame(frame);
                _farewellQueued = true;
            }
        }
    }

    private void EnqueueFrame(OutgoingFrame frame)
    {
        bool full;
        lock (_sendLock)
        {
            if (_farewellQueued)
            {
                ArrayPool<byte>.Shared.Return(frame.Buffer);
                return;
            }

            if (_sendQueue.Writer.TryWrite(frame))
            {
                return;
            }

            ArrayPool<byte>.Shared.Return(frame.Buffer);
            full = true;
        }

        if (full)
        {
            _server.Log.Write(LogLevel.Warning,
                $"{Name}: peer is not reading: {_server.Options.SendQueueLimit} frames waiting to be sent; closing the connection");
            Abort();
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _sendQueue.Reader;
        using var timeout = new CancellationTokenSource();
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var frame))
                {
                    try
                    {
                        timeout.CancelAfter(_server.Options.SendTimeout);
                        var pending = frame.Buffer.AsMemory(0, frame.Length);
                        while (!pending.IsEmpty)
                        {
                            var sent = await _socket.SendAsync(pending, SocketFlags.None, timeout.Token).ConfigureAwait(false);
                            pending = pending[sent..];
                        }
                    }
                    finally
                    {
                        ArrayPool<byte>.Shared.Return(frame.Buffer);
                    }

                    timeout.CancelAfter(Timeout.InfiniteTimeSpan);
                }
            }
        }
        catch (OperationCanceledException)
        {
            _server.Log.Write(LogLevel.Warning,
                $"{Name}: peer stopped reading: a send made no progress for {_server.Options.SendTimeout.TotalSeconds:0.###} s; closing the connection");
            Abort();
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            if (Reason == StopReason.None)
            {
                _server.Log.Write(LogLevel.Info, $"{Name}: connection lost while sending: {e.Message}");
            }

            Abort();
        }
        finally
        {
            while (reader.TryRead(out var left))
            {
                ArrayPool<byte>.Shared.Return(left.Buffer);
            }
        }
    }


    private readonly record struct OutgoingFrame(byte[] Buffer, int Length);
}
