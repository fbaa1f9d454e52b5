using System.Buffers;
using ChannelTape.Channel;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;
using ChannelTape.Runtime;
using ChannelTape.Runtime.Events;
using ChannelTape.Server.Streaming;

namespace ChannelTape.Server.Sessions;

/// <summary>The session's drive: attaching it (with take-over), and running CCWs on it.</summary>
internal sealed partial class HostSession
{
    /// <summary>Another session attached this one's drive with the take-over flag.</summary>
    private void TakenOverBy(HostSession other, ServedDrive drive)
    {
        Ended(CloseCause.TakenOver, $"drive {drive.Name} taken over by {other.Name}; closing");
        Events.Publish(new DriveTakenOver(Name, drive.Runtime.DeviceNumber, other.Name));
        _outbox.SendFarewell(new CloseMessage(CloseReason.TakenOver, $"drive {drive.Name} taken over by another connection"));
        Stop(StopReason.TakenOver);
    }

    private async Task OnAttachAsync(AttachMessage attach)
    {
        if (!_server.TryGetDrive(attach.DeviceNumber, out var drive))
        {
            Refuse(attach.DeviceNumber, AttachResult.NoSuchDrive, $"no drive {attach.DeviceNumber:X4} is configured");
            return;
        }

        var runtime = drive.Runtime;
        if (attach.Model != 0 && attach.Model != runtime.ModelNumber)
        {
            Refuse(attach.DeviceNumber, AttachResult.ModelMismatch, $"drive {drive.Name} is a {runtime.ModelNumber:X4}, not a {attach.Model:X4}");
            return;
        }

        // docs/security.md: who the host is decides which drives it attaches and whether it takes one over.
        if (_authority is not { } authority)
        {
            Refuse(attach.DeviceNumber, AttachResult.NotAuthorised,
                $"no host entry of the server's configuration matches this host (address {Peer.Address}); it may attach no drive");
            return;
        }

        if (!authority.MayAttach(attach.DeviceNumber))
        {
            Refuse(attach.DeviceNumber, AttachResult.NotAuthorised, $"host {authority} may not attach drive {drive.Name}");
            return;
        }

        var takeOver = (attach.Flags & AttachFlags.TakeOver) != 0;
        if (AttachRefusal(drive, runtime.CanAttach(this, authority, takeOver)) is { } refusal)
        {
            Refuse(attach.DeviceNumber, refusal.Result, refusal.Message);
            return;
        }

        // Empty words keep the drive's volume and position: a host reconnecting after a lost socket
        // attaches that way (§2 Disconnects) and must not wait for a CCW its old connection left
        // running. Words re-apply the device statement, as devinit does, so they wait for the drive;
        // they are an operator's mount, checked against the host's permissions, and only after the
        // host was found to be allowed the drive at all.
        var words = attach.DeviceArguments.Trim();
        var (reply, previous) = words.Length == 0
            ? AttachNow(drive, authority, takeOver, mounted: null)
            : await runtime.Executor.RunExclusiveAsync(() =>
                runtime.CanAttach(this, authority, takeOver) != DriveAttach.Attached
                    ? AttachNow(drive, authority, takeOver, mounted: null)
                    : AttachNow(drive, authority, takeOver, runtime.Mount(words, MountSource.Operator, authority))).ConfigureAwait(false);
        if (reply.Result != AttachResult.Attached)
        {
            Refuse(attach.DeviceNumber, reply.Result, reply.Message);
            return;
        }

        if (previous is HostSession other && other != this)
        {
            other.TakenOverBy(this, drive);
        }

        _drive = drive;
        _outbox.Send(reply, () => _phase = Phase.Attached);
        Events.Publish(new DriveAttached(Name, runtime.DeviceNumber, runtime.ModelNumber, takeOver, reply.Message) { Host = authority.ToString() });
    }

    /// <summary>Attaches the drive unless the mount the Attach asked for was refused; the reply, and the holder taken over.</summary>
    private (AttachReplyMessage Reply, IDriveHolder? Previous) AttachNow(ServedDrive drive, HostAuthority authority, bool takeOver, MountOutcome? mounted)
    {
        var runtime = drive.Runtime;
        if (mounted is { Done: false } refused)
        {
            return (AttachReplyMessage.Refusal(
                refused.Refusal?.Reason == VolumeRefusalReason.NotAuthorised ? AttachResult.NotAuthorised : AttachResult.VolumeRefused, refused.Message), null);
        }

        if (AttachRefusal(drive, runtime.Attach(this, authority, takeOver, out var previous)) is { } refusal)
        {
            return (AttachReplyMessage.Refusal(refusal.Result, refusal.Message), null);
        }

        return (new AttachReplyMessage(AttachResult.Attached, runtime.ModelNumber, runtime.SenseId.ToArray(), (byte)runtime.SenseCount,
            ImmediateCommandMap.Build(runtime.Device.IsImmediate), runtime.Drive.IsLoaded, runtime.DeviceListText), previous);
    }

    private (AttachResult Result, string Message)? AttachRefusal(ServedDrive drive, DriveAttach outcome) => outcome switch
    {
        DriveAttach.Attached => null,
        DriveAttach.AttachedElsewhere => (AttachResult.AttachedElsewhere, AttachedElsewhereText(drive)),
        _ => (AttachResult.NotAuthorised,
            $"host {_authority} may not take over drive {drive.Name} from host {drive.Runtime.HolderAuthority?.ToString() ?? "?"} (connection {drive.Runtime.Holder?.Name})"),
    };

    private static string AttachedElsewhereText(ServedDrive drive) =>
        $"drive {drive.Name} is attached by connection {drive.Runtime.Holder?.Name}; attach with the take-over flag to replace it";

    private void Refuse(ushort deviceNumber, AttachResult result, string message)
    {
        Events.Publish(new AttachRefused(Name, deviceNumber, result, message));
        _outbox.Send(AttachReplyMessage.Refusal(result, message));
    }

    private void OnCcw(ReadOnlySpan<byte> body)
    {
        var ccw = CcwMessage.Parse(body);
        var drive = _drive!;
        // The reply must fit a frame; a count the drive does not take is the drive's answer to give.
        var limit = _outbox.MaxFrameLength - 1 - CcwReplyMessage.FixedSize - drive.Runtime.SenseCount;
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
        _ccwTask = Task.Run(() => ExecuteCcwAsync(drive, request, buffer));
    }

    private async Task ExecuteCcwAsync(ServedDrive drive, CcwRequest request, byte[] buffer)
    {
        CcwFrames frames;
        try
        {
            frames = await drive.Runtime.Executor.RunExclusiveAsync((this, drive, request, buffer),
                static call => call.Item1.Execute(call.drive, call.request, call.buffer)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _ccwOutstanding = false;
            Ended(CloseCause.InternalError, $"drive {drive.Name} failed on CCW {request.Command:X2}; closing the connection");
            Events.Publish(new CcwFailed(Name, drive.Runtime.DeviceNumber, request.Command, e));
            Abort();
            return;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        _ccwOutstanding = false;
        // §5.3: the image a batch refers to is named before it; §5.2: the batch goes immediately before
        // the CcwReply of the Read it follows.
        if (frames.Image is { } image)
        {
            _outbox.Send(image);
        }

        if (frames.Batch is { } batch)
        {
            _outbox.Send(batch);
        }

        _outbox.Send(frames.Reply);
    }

    /// <summary>Runs one Ccw under the drive's executor and serialises what the host gets back.</summary>
    private CcwFrames Execute(ServedDrive drive, in CcwRequest request, byte[] buffer)
    {
        var runtime = drive.Runtime;
        var device = runtime.Device;
        drive.Streaming.ReadAhead.BatchUsedUp(runtime.Drive);
        if (drive.Streaming.TakeDeferred() is { } deferred)
        {
            // §5.1 Deferred unit check: this Ccw is not run; it reports the buffered Write's failure.
            Events.Publish(new DeferredUnitCheckReported(Name, runtime.DeviceNumber, request.Command));
            return new CcwFrames(_outbox.Serialize(new CcwReplyMessage(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck,
                _streaming.NoCredit(), (uint)request.Count, deferred, default, 0)), null, null);
        }

        runtime.StartProgram(this, request.Sequence == 0);
        var result = device.Execute(in request, buffer.AsSpan(0, request.Count));
        var residual = Math.Clamp(result.Residual, 0, request.Count);
        var sense = (result.Status & UnitStatus.UnitCheck) != 0 ? device.Sense : default;
        ReadOnlySpan<byte> data = default;
        if (CcwDataDirection.HasInputData(request.Command, device.IsImmediate(request.Command)))
        {
            var length = request.Count - residual;
            data = CcwDataDirection.IsReadBackward(request.Command) ? buffer.AsSpan(residual, length) : buffer.AsSpan(0, length);
        }

        var (image, batch) = _streaming.ReadAheadAfter(drive, request, result, _outbox);
        var (creditFlag, credit) = _streaming.ReplyCredit(runtime.Drive);
        var flags = (result.More ? CcwReplyFlags.More : CcwReplyFlags.None) | creditFlag;
        var reply = _outbox.Serialize(new CcwReplyMessage(result.Status, flags, (uint)residual, sense, data, (uint)Math.Min(credit, uint.MaxValue)));
        return new CcwFrames(reply, image, batch);
    }

    /// <summary>
    /// Runs a buffered Write in the read loop, so frames stay in order (§2, §5.1); its data stays in the
    /// frame reader's buffer, which is valid until the next read.
    /// </summary>
    private async Task OnBufferedCcwAsync((CcwRequest Request, ReadOnlyMemory<byte> Data) write)
    {
        var drive = _drive!;
        await drive.Runtime.Executor.RunExclusiveAsync((this, drive, write),
            static call =>
            {
                call.Item1._streaming.RunBufferedWrite(call.drive, call.Item1, call.write.Request, call.write.Data);
                return true;
            }).ConfigureAwait(false);
    }

    /// <summary>What a Ccw sends back: the CcwReply, and before it a ReadAheadImage and a ReadAhead batch.</summary>
    private readonly record struct CcwFrames(OutgoingFrame Reply, OutgoingFrame? Image, OutgoingFrame? Batch);
}
