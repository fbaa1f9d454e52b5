using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;

namespace ChannelTape.Client;

/// <summary>
/// A drive served by a ChannelTape server, driven through <see cref="IChannelDevice"/> so the
/// in-process channel runs the same channel programs over the wire (docs/protocol.md). Each
/// <see cref="Execute"/> sends one Ccw and waits for its CcwReply. When the server cannot be reached
/// every CCW ends with unit check, sense byte 0 <c>40</c> (intervention required), and the next CCW
/// first reconnects with the take-over flag (§4); a Sense right after such a unit check is answered
/// here. With <see cref="RemoteDeviceOptions.Features"/> Writes within the server's credit and Reads
/// the server sent ahead are answered without a round trip (§5, RemoteDevice.Streaming.cs).
/// </summary>
public sealed partial class RemoteDevice : IChannelDevice, IDisposable
{
    /// <summary>Sense byte 0 bit: intervention required (GA32-0127 3490 sense byte 0).</summary>
    public const byte InterventionRequired = 0x40;

    private readonly string _host;
    private readonly int _port;
    private readonly RemoteDeviceOptions _options;
    private readonly Lock _requestLock = new();
    private readonly Timer _keepAlive;
    private ServerLink? _link;
    private AttachReplyMessage _identity = AttachReplyMessage.Refusal(AttachResult.NoSuchDrive, "not attached");
    private byte[] _sense = new byte[32];
    private volatile bool _ccwOutstanding;
    private volatile bool _disposed;
    private ulong _pingToken;

    private RemoteDevice(string host, int port, ushort deviceNumber, RemoteDeviceOptions options)
    {
        _host = host;
        _port = port;
        _options = options;
        DeviceNumber = deviceNumber;
        _keepAlive = new Timer(_ => KeepAlive(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Connects, says Hello and attaches drive <paramref name="deviceNumber"/>. A refused attach or an
    /// unreachable server is a <see cref="RemoteDeviceException"/>.
    /// </summary>
    public static RemoteDevice Connect(string host, int port, ushort deviceNumber, RemoteDeviceOptions? options = null)
    {
        var device = new RemoteDevice(host, port, deviceNumber, options ?? new RemoteDeviceOptions());
        try
        {
            lock (device._requestLock)
            {
                device.Open(device._options.TakeOver, device._options.DeviceArguments);
            }
        }
        catch
        {
            device.Dispose();
            throw;
        }

        device._keepAlive.Change(device._options.KeepAlive, device._options.KeepAlive);
        return device;
    }

    /// <summary>The server's AttachReply: model, Sense ID, sense count, immediate commands, devlist text.</summary>
    public AttachReplyMessage Identity => _identity;

    /// <summary>Model the server reports (e.g. <c>0x3490</c>).</summary>
    public ushort Model => _identity.Model;

    /// <summary>True while the connection to the server is up.</summary>
    public bool IsConnected => _link is { IsFailed: false };

    /// <summary>Why the last connection ended, or null while it is up.</summary>
    public string? ConnectionFailure => _link is { IsFailed: true } link ? link.Failure : null;

    public ushort DeviceNumber { get; }

    public int MaxTransfer { get; private set; }

    public ReadOnlySpan<byte> Sense => _sense;

    public event Action<IChannelDevice, UnitStatus>? UnsolicitedStatus;

    public bool IsImmediate(byte command) => ImmediateCommandMap.IsImmediate(_identity.ImmediateCommands, command);

    public CcwResult Execute(in CcwRequest request, Span<byte> buffer)
    {
        lock (_requestLock)
        {
            // §5.2: a Read without data chaining that the read-ahead batch can answer.
            if (IsReadAheadCandidate(request) && !_localSense && TryTakeReadAhead(request, buffer, out var fromBatch))
            {
                return fromBatch;
            }

            if (TryWriteBehind(request, buffer, out var behind))
            {
                return behind;
            }

            if (_localSense)
            {
                // The unit check before this CCW came from here, not from the server: its sense is
                // ours to give, whether or not the server is back (§4).
                _localSense = false;
                if (request.Command == (byte)TapeCommand.Sense)
                {
                    return LocalSense(request, buffer);
                }
            }

            var wasConnected = IsConnected;
            var connected = EnsureConnected();
            // Buffered Writes the old connection never confirmed: this CCW reports them (§5.1).
            if (!wasConnected && TryDeferredLoss(request, out var deferred))
            {
                return deferred;
            }

            if (!connected)
            {
                return NotReady(request, buffer);
            }

            var link = _link!;
            EndReadAhead(link); // unused read-ahead blocks go back first (§5.2)
            var immediate = IsImmediate(request.Command);
            var data = CcwDataDirection.HasOutputData(request.Command, immediate)
                ? buffer[..request.Count]
                : ReadOnlySpan<byte>.Empty;
            var message = new CcwMessage(request.Command, request.Flags, request.PreviousFlags, request.PreviousCommand,
                (uint)request.Sequence, (uint)request.Count, data);
            _ccwOutstanding = true;
            try
            {
                if (!link.TryRequest(message, MessageType.CcwReply, _options.Timeout, out var reply))
                {
                    return Lost(request, buffer);
                }

                try
                {
                    return Apply(request, buffer, immediate, reply.Body.Span);
                }
                catch (ProtocolException e)
                {
                    link.Fail($"malformed CcwReply: {e.Message}");
                    return Lost(request, buffer);
                }
                finally
                {
                    link.ReleaseReply();
                }
            }
            finally
            {
                _ccwOutstanding = false;
            }
        }
    }

    public int TakeConcurrentSense(Span<byte> destination)
    {
        var length = Math.Min(destination.Length, _sense.Length);
        _sense.AsSpan(0, length).CopyTo(destination);
        Array.Clear(_sense);
        return length;
    }

    /// <summary>The server starts a channel program at the CCW with sequence number 0 (Ccw offset 4); nothing to send.</summary>
    public void StartChannelProgram()
    {
    }

    /// <summary>The server ends a channel program when the next one starts or the connection closes; nothing to send.</summary>
    public void EndChannelProgram()
    {
    }

    /// <summary>Sends Halt while a CCW is outstanding (called from another thread than <see cref="Execute"/>).</summary>
    public void Halt()
    {
        if (_ccwOutstanding && _link is { } link)
        {
            link.TrySend(new HaltMessage());
        }
    }

    /// <summary>
    /// <see cref="Connect"/> for tools that report instead of throw: attaches drive
    /// <paramref name="deviceNumber"/> of model <paramref name="model"/>, or says why not
    /// (<c>host:port: drive NNNN: reason</c>). <paramref name="features"/>: the §5 features to ask for.
    /// </summary>
    public static bool TryConnect(string host, int port, ushort deviceNumber, ushort model, string hostName,
        [NotNullWhen(true)] out RemoteDevice? device, [NotNullWhen(false)] out string? error,
        ProtocolFeatures features = ProtocolFeatures.None)
    {
        try
        {
            device = Connect(host, port, deviceNumber,
                new RemoteDeviceOptions { Model = model, HostName = hostName, Features = features });
        }
        catch (RemoteDeviceException e)
        {
            device = null;
            error = $"{host}:{port}: drive {deviceNumber:X4}: {e.Message}";
            return false;
        }

        if (device.Model != model)
        {
            error = $"{host}:{port}: drive {deviceNumber:X4} is a {device.Model:X4}, not a {model:X4}";
            device.Dispose();
            device = null;
            return false;
        }

        error = null;
        return true;
    }

    /// <summary><see cref="Mount"/>, answering null when done and the server's reason when refused.</summary>
    public string? MountOrRefusal(string arguments)
    {
        var reply = Mount(arguments);
        return reply.Result == MountResult.Done ? null : $"the server refused 'mount {arguments}': {reply.Message}";
    }

    /// <summary>Mounts <c>image [options]</c> or a volser, or unloads with <c>*</c> (Hercules <c>devinit</c>).</summary>
    public MountReplyMessage Mount(string arguments)
    {
        lock (_requestLock)
        {
            if (!EnsureConnected())
            {
                return new MountReplyMessage(MountResult.Refused, $"not connected: {ConnectionFailure}");
            }

            var link = _link!;
            // §5.2: the unused blocks go back before the Mount reaches the drive (a refused mount keeps the
            // volume and its position); a mount or unload then ends the batch and the credit (§5.1).
            EndReadAhead(link);
            EndVolumeStreaming();
            if (!link.TryRequest(new MountMessage(arguments), MessageType.MountReply, _options.Timeout, out var reply))
            {
                return new MountReplyMessage(MountResult.Refused, $"no reply: {link.Failure}");
            }

            try
            {
                return MountReplyMessage.Parse(reply.Body.Span);
            }
            catch (ProtocolException e)
            {
                link.Fail($"malformed MountReply: {e.Message}");
                return new MountReplyMessage(MountResult.Refused, $"malformed reply: {e.Message}");
            }
            finally
            {
                link.ReleaseReply();
            }
        }
    }

    /// <summary>The drive's <c>devlist</c> text, or null when the server cannot be reached.</summary>
    public string? Query()
    {
        lock (_requestLock)
        {
            if (!EnsureConnected())
            {
                return null;
            }

            var link = _link!;
            if (!link.TryRequest(new QueryMessage(), MessageType.QueryReply, _options.Timeout, out var reply))
            {
                return null;
            }

            try
            {
                return QueryReplyMessage.Parse(reply.Body.Span).Text;
            }
            catch (ProtocolException e)
            {
                link.Fail($"malformed QueryReply: {e.Message}");
                return null;
            }
            finally
            {
                link.ReleaseReply();
            }
        }
    }

    /// <summary>Round trip of a Ping, or null when the server cannot be reached.</summary>
    public TimeSpan? Ping()
    {
        lock (_requestLock)
        {
            return EnsureConnected() ? PingLocked(_link!) : null;
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _keepAlive.Dispose();
        if (_link is { } link)
        {
            // Unused read-ahead blocks go back, so whoever uses the drive next finds it where this host left it.
            if (_requestLock.TryEnter())
            {
                try
                {
                    EndReadAhead(link);
                }
                finally
                {
                    _requestLock.Exit();
                }
            }

            link.TrySend(new CloseMessage(CloseReason.Normal, "host closed the device"));
            link.Dispose();
        }

        CloseImage();
    }

    private TimeSpan? PingLocked(ServerLink link)
    {
        var token = ++_pingToken;
        var start = Stopwatch.GetTimestamp();
        if (!link.TryRequest(new PingMessage(token), MessageType.Pong, _options.Timeout, out var reply))
        {
            return null;
        }

        try
        {
            if (PongMessage.Parse(reply.Body.Span).Token != token)
            {
                link.Fail("Pong with a token that was not sent");
                return null;
            }
        }
        catch (ProtocolException e)
        {
            link.Fail($"malformed Pong: {e.Message}");
            return null;
        }
        finally
        {
            link.ReleaseReply();
        }

        return Stopwatch.GetElapsedTime(start);
    }

    private CcwResult Apply(in CcwRequest request, Span<byte> buffer, bool immediate, ReadOnlySpan<byte> body)
    {
        var reply = CcwReplyMessage.Parse(body);
        if (reply.Residual > (uint)request.Count)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                $"residual {reply.Residual} above the count {request.Count}");
        }

        var residual = (int)reply.Residual;
        var expected = CcwDataDirection.HasInputData(request.Command, immediate) ? request.Count - residual : 0;
        if (reply.Data.Length != expected)
        {
            throw new ProtocolException(ProtocolErrorCode.MalformedFrame,
                $"{reply.Data.Length} data bytes for command {request.Command:X2}, expected {expected}");
        }

        ConfirmWrites(reply);

        // Read Backward data ends at the end of the buffer (docs/protocol.md §3 CcwReply).
        reply.Data.CopyTo(CcwDataDirection.IsReadBackward(request.Command) ? buffer[residual..] : buffer);
        if ((reply.Status & UnitStatus.UnitCheck) != 0)
        {
            if (_sense.Length != reply.Sense.Length)
            {
                _sense = new byte[reply.Sense.Length];
            }

            reply.Sense.CopyTo(_sense);
        }
        else if (request.Command == 0x04)
        {
            // Sense (04) handed the pending sense to the channel; the server cleared it too.
            Array.Clear(_sense);
        }

        return new CcwResult(reply.Status, residual, (reply.Flags & CcwReplyFlags.More) != 0);
    }

    /// <summary>
    /// §4: a drive that cannot be reached is not ready: unit check, intervention required. Sense and
    /// Sense ID are answered as a drive that is not ready answers them (hercules/cthost.c local_not_ready).
    /// </summary>
    private CcwResult NotReady(in CcwRequest request, Span<byte> buffer)
    {
        if (request.Command == (byte)TapeCommand.Sense)
        {
            _localSense = false;
            return LocalSense(request, buffer);
        }

        if (request.Command == (byte)TapeCommand.SenseId && _identity.SenseId.Length > 0)
        {
            var n = Math.Min(request.Count, _identity.SenseId.Length);
            _identity.SenseId.AsSpan(0, n).CopyTo(buffer);
            return new CcwResult(UnitStatus.ChannelEndDeviceEnd, request.Count - n, request.Count < _identity.SenseId.Length);
        }

        SetNotReadySense(deferred: false);
        _localSense = true;
        return new CcwResult(UnitStatus.UnitCheck, request.Count);
    }

    /// <summary>
    /// Sense (04) after a unit check made here: the intervention-required sense, with the deferred unit
    /// check bit when that unit check was one (§4, §5.1). Sense hands the pending sense to the channel.
    /// </summary>
    private CcwResult LocalSense(in CcwRequest request, Span<byte> buffer)
    {
        SetNotReadySense(_localDeferred);
        _localDeferred = false;
        var n = Math.Min(request.Count, _sense.Length);
        _sense.AsSpan(0, n).CopyTo(buffer);
        var result = new CcwResult(UnitStatus.ChannelEndDeviceEnd, request.Count - n, request.Count < _sense.Length);
        Array.Clear(_sense);
        return result;
    }

    /// <summary>Sense byte 0 intervention required (GA32-0127 3490 sense byte 0), and deferred unit check if asked.</summary>
    private void SetNotReadySense(bool deferred)
    {
        if (_sense.Length == 0)
        {
            _sense = new byte[24];
        }

        Array.Clear(_sense);
        _sense[0] = (byte)(InterventionRequired | (deferred ? DeferredUnitCheck : 0));
    }

    private bool EnsureConnected()
    {
        if (_disposed)
        {
            return false;
        }

        if (_link is { IsFailed: false })
        {
            return true;
        }

        if (_link is { ServerClose.Reason: CloseReason.TakenOver } || !_options.Reconnect)
        {
            return false;
        }

        try
        {
            // Empty words: the server keeps the volume and position this host left (§2 Disconnects).
            Open(takeOver: true, deviceArguments: "");
            return true;
        }
        catch (RemoteDeviceException)
        {
            return false;
        }
    }

    /// <summary>Connects, Hello, Attach. Called with the request lock held.</summary>
    private void Open(bool takeOver, string deviceArguments)
    {
        _link?.Dispose();
        var link = ServerLink.Connect(_host, _port, _options.Timeout, _options);
        link.Unsolicited += status =>
        {
            OnUnsolicitedStreaming(status);
            UnsolicitedStatus?.Invoke(this, status);
        };
        _link = link;
        try
        {
            // §2, §2.1: Hello, and the proof of the secret when the options name one.
            var hello = ClientHandshake.Run(link, _options, $"{_host}:{_port}");
            if (hello.Version is not (HelloMessage.CurrentVersion or HelloMessage.AuthenticatedVersion) || hello.MaxFrameLength < Frame.MinimumMaxLength)
            {
                throw new RemoteDeviceException(
                    $"server {hello.ServerName} speaks version {hello.Version} with frames up to {hello.MaxFrameLength}");
            }

            link.MaxFrameLength = (int)Math.Min(hello.MaxFrameLength, Frame.DefaultMaxLength);
            BeginConnection(link, hello.Features);
            var attach = new AttachMessage(DeviceNumber, _options.Model, takeOver ? AttachFlags.TakeOver : AttachFlags.None,
                deviceArguments);
            if (!link.TryRequest(attach, MessageType.AttachReply, _options.Timeout, out var attachFrame))
            {
                throw new RemoteDeviceException($"no AttachReply from {_host}:{_port}: {link.Failure}");
            }

            AttachReplyMessage identity;
            try
            {
                identity = AttachReplyMessage.Parse(attachFrame.Body.Span);
            }
            finally
            {
                link.ReleaseReply();
            }

            if (identity.Result != AttachResult.Attached)
            {
                throw new RemoteDeviceException(
                    $"attach of {DeviceNumber:X4} refused ({identity.Result}): {identity.Message}", identity.Result);
            }

            _identity = identity;
            _sense = new byte[identity.SenseCount];
            MaxTransfer = link.MaxFrameLength - 1 - CcwReplyMessage.FixedSize - identity.SenseCount;
        }
        catch (ProtocolException e)
        {
            link.Fail(e.Message);
            throw new RemoteDeviceException($"malformed reply from {_host}:{_port}: {e.Message}", inner: e);
        }
        catch
        {
            link.Fail("attach failed");
            throw;
        }
    }

    private void KeepAlive()
    {
        if (!_requestLock.TryEnter())
        {
            return;
        }

        try
        {
            if (_link is { IsFailed: false } link
                && Environment.TickCount64 - link.LastSent >= _options.KeepAlive.TotalMilliseconds * 0.9)
            {
                PingLocked(link);
            }
        }
        finally
        {
            _requestLock.Exit();
        }
    }
}
