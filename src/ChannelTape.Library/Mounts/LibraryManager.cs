using ChannelTape.Device;
using ChannelTape.Library.Configuration;
using ChannelTape.Runtime;
using ChannelTape.Runtime.Events;

namespace ChannelTape.Library.Mounts;

/// <summary>
/// The library around the drives (the robot): mounts the volume a Load Display asks for
/// (docs/reference/labels-and-libraries.md §4; docs/reference/hercules-tape.md §4.3: 'M' + volser + label character, SCRTCH or PRIVAT
/// for any scratch volume of the drive's pool), gives it back on Rewind Unload or a demount message,
/// and keeps a request it cannot satisfy pending and visible, as an operator would see it, mounting it
/// when the volume it waits for is given back. Volumes come from an <see cref="IVolumeResolver"/> (the
/// catalog, with administrative volumes in front); each drive's part of the state lives in its
/// <see cref="DriveRuntime.Volume"/>. Every change runs under the drive's executor: work a Load Display
/// or a Rewind Unload asks for is posted to run after that CCW. Giving a volume back after Rewind Unload
/// (the catalog's synchronised commit, a command volume's processing) runs after the drive is free again,
/// as a real library files a volume away while its drive answers the host; a mount of that volume waits for it.
/// </summary>
public sealed class LibraryManager : IDriveLibrary
{
    private readonly LibraryView _view;
    private readonly IVolumeResolver _resolver;
    private readonly TimeProvider _time;
    private readonly List<PendingRelease> _releasing = [];

    public LibraryManager(LibraryView view, IVolumeResolver resolver, TimeProvider? time = null)
    {
        _view = view;
        _resolver = resolver;
        _time = time ?? TimeProvider.System;
        foreach (var drive in view.Drives)
        {
            drive.JoinLibrary(this);
            drive.Drive.LoadDisplayReceived += (_, message) => OnLoadDisplay(drive, message);
            // The volume is given back after the drive is free again: the host's Sense after its Rewind Unload
            // must not wait for the catalog's synchronised commit or a command volume's processing.
            drive.Drive.VolumeUnloaded += _ => drive.Executor.PostWithFollowUp(() =>
                TakeBack(drive, unloadDrive: false, MountSource.RewindUnload) is { } release ? () => GiveBack(release) : null);
        }
    }

    /// <summary>The library's drives, catalog and configuration.</summary>
    public LibraryView View => _view;

    public VolumeRefusal? MountNow(DriveRuntime drive, VolumeSerialRequest serial)
    {
        if (drive.Drive.IsLoaded)
        {
            Release(drive, unloadDrive: true, MountSource.Operator);
        }
        else if (drive.Volume.VolumeSerial is not null)
        {
            // The host's Rewind Unload emptied the drive and posted the volume's release, which may still wait
            // behind this mount: an automatic operator answers the OS's next mount message (IEF233A) within
            // milliseconds of the unload. Give the volume back now; the posted release then finds nothing.
            Release(drive, unloadDrive: false, MountSource.RewindUnload);
        }

        // SCRTCH or PRIVAT is what the operator was asked to mount for a non-specific request (IEF233A M 480,PRIVAT
        // on a console without a Load Display): a scratch volume of the drive's pool, as for the Load Display's.
        var requested = serial.Serial.Trim();
        drive.Volume.Wait(requested, scratch: Labels.VolumeSerial.IsNonSpecificRequest(requested), serial.Labels);
        if (TryMountPending(drive, MountSource.Operator, serial.Options, serial.Requester))
        {
            return null;
        }

        // An operator is told at once; unlike a host's request, a refused operator mount does not stay pending
        // (but one whose volume is being recalled from the store is in progress: it completes when the image is here).
        var refusal = drive.Volume.PendingRefusal;
        if (refusal?.Reason != VolumeRefusalReason.Recalling)
        {
            drive.Volume.StopWaiting();
        }

        return refusal;
    }

    /// <summary>
    /// Tries again the request the drive at <paramref name="deviceNumber"/> waits for, after the drive's work in
    /// progress: its volume was recalled from the store, or an upload freed what it waited for.
    /// </summary>
    public void RetryPending(ushort deviceNumber)
    {
        if (_view.Drive(deviceNumber) is not { } drive)
        {
            return;
        }

        drive.Executor.Post(() =>
        {
            if (drive.Volume.PendingRequest is not null && !drive.Drive.IsLoaded)
            {
                TryMountPending(drive, MountSource.LoadDisplay, new Media.TapeImageOptions());
            }
        });
    }

    public string? UnloadNow(DriveRuntime drive, MountSource source)
    {
        drive.Volume.StopWaiting();
        return Release(drive, unloadDrive: true, source);
    }

    private void OnLoadDisplay(DriveRuntime drive, LoadDisplayMessage message)
    {
        var mount = message.Request == DisplayRequestKind.Mount ? message : message.FollowingMount;
        if (message.Request is DisplayRequestKind.Demount or DisplayRequestKind.Keep or DisplayRequestKind.Retain)
        {
            // The host is done with the volume (MVS shows the demount after unloading, or asks the
            // library to take it out). Release a volume still loaded, if it is the one named.
            string? named = message.VolumeSerial;
            drive.Executor.Post(() =>
            {
                if (drive.Volume.VolumeSerial is { } current && (named is null || named.Length == 0 || named == current))
                {
                    Release(drive, unloadDrive: true, MountSource.LoadDisplay);
                }

                if (mount?.VolumeSerial is { Length: > 0 } next)
                {
                    RequestMount(drive, next, mount.IsScratchRequest, LabelsOf(mount));
                }
            });
            return;
        }

        if (mount?.VolumeSerial is { Length: > 0 } serial)
        {
            drive.Executor.Post(() => RequestMount(drive, serial, mount.IsScratchRequest, LabelsOf(mount)));
        }
    }

    private void RequestMount(DriveRuntime drive, string serial, bool scratch, Labels.LabelType? labels)
    {
        if (drive.Drive.IsLoaded)
        {
            return; // MVS suppresses the mount message when the drive is ready; a loaded drive keeps its volume
        }

        drive.Volume.Wait(serial, scratch, labels);
        TryMountPending(drive, MountSource.LoadDisplay, new Media.TapeImageOptions());
    }

    /// <summary>
    /// The labels a Load Display's mount asks for: its label character (docs/reference/hercules-tape.md §4.3, 'S'
    /// standard, 'A' ANSI, 'N' none: the values of <see cref="Labels.LabelType"/>); null for any other or none.
    /// </summary>
    private static Labels.LabelType? LabelsOf(LoadDisplayMessage? mount) =>
        mount?.LabelType is { } character && Enum.IsDefined((Labels.LabelType)character) ? (Labels.LabelType)character : null;

    /// <summary>Mounts the drive's pending request if it can; leaves it pending with the refusal if not.</summary>
    private bool TryMountPending(DriveRuntime drive, MountSource source, Media.TapeImageOptions options, HostAuthority? requester = null)
    {
        var state = drive.Volume;
        var serial = state.PendingRequest!;
        drive.Publish(new MountRequested(drive.DeviceNumber, serial, source));
        var request = new VolumeRequest(serial, state.PendingScratch, state.PendingScratch ? ScratchPoolOf(drive) : null,
            drive.DeviceNumber, drive.AttachedHost, options, requester ?? drive.AttachedBy, state.PendingLabels);
        if (!request.Scratch)
        {
            WaitForGiveBack(serial);
        }

        var resolution = _resolver.Resolve(request);
        if (!resolution.Resolved)
        {
            state.Refused(resolution.Refusal);
            drive.Publish(new MountRefused(drive.DeviceNumber, serial, source, resolution.Refusal, Pending: source == MountSource.LoadDisplay));
            return false;
        }

        var lease = resolution.Lease;
        if (request.Scratch)
        {
            drive.Publish(new ScratchAllocated(drive.DeviceNumber, serial, lease.Serial, request.ScratchPool));
        }

        drive.Drive.Mount(lease.Media);
        state.Mounted(lease, _time.GetUtcNow(), WrittenSoFar(drive.Drive));
        drive.Publish(new VolumeMounted(drive.DeviceNumber, lease.Serial, lease.Media.IsReadOnly, source));
        return true;
    }

    /// <summary>The pool a drive's scratch requests take from: its own, else the first scratch pool.</summary>
    private string? ScratchPoolOf(DriveRuntime drive) =>
        _view.Configuration.FindDrive(drive.DeviceNumber)?.Pool ?? _view.Configuration.Pools.FirstOrDefault(p => p.Scratch)?.Name;

    /// <summary>Ends the drive's library mount: gives the volume back with what was written, unloads the drive if asked; the serial given back, or null.</summary>
    private string? Release(DriveRuntime drive, bool unloadDrive, MountSource source) =>
        TakeBack(drive, unloadDrive, source) is { } release ? GiveBack(release) : null;

    /// <summary>
    /// The drive's part of ending its library mount, under its executor: unloads it if asked and takes the lease
    /// out of its state. The volume counts as being given back until <see cref="GiveBack"/> ran; null when the
    /// drive held no library volume.
    /// </summary>
    private PendingRelease? TakeBack(DriveRuntime drive, bool unloadDrive, MountSource source)
    {
        if (unloadDrive && drive.Drive.IsLoaded)
        {
            drive.Drive.Unload();
        }

        var written = WrittenSoFar(drive.Drive) - drive.Volume.WrittenAtMount;
        if (drive.Volume.Released() is not { } lease)
        {
            return null;
        }

        var release = new PendingRelease(drive, lease, new VolumeRelease(drive.DeviceNumber, drive.AttachedHost, written, drive.AttachedBy), source);
        lock (_releasing)
        {
            _releasing.Add(release);
        }

        return release;
    }

    /// <summary>
    /// Gives a volume taken back to the library (the catalog records what was written and ends the mount; a command
    /// volume's requests are processed) and lets a request that waited for it go. Needs no drive: it may run while
    /// the drive it came from runs CCWs. Returns the serial.
    /// </summary>
    private string GiveBack(PendingRelease release)
    {
        var (drive, lease, what, source) = (release.Drive, release.Lease, release.What, release.Source);
        try
        {
            lease.Release(what);
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or UnauthorizedAccessException)
        {
            // The drive is empty all the same; recovery ends the mount at the next start (the image is the truth).
            drive.Publish(new CatalogWriteFailed(drive.DeviceNumber, lease.Serial, "the unload could not be recorded", e.Message));
        }
        finally
        {
            lock (_releasing)
            {
                _releasing.Remove(release);
            }

            release.Done.TrySetResult();
        }

        drive.Publish(new VolumeUnloaded(drive.DeviceNumber, lease.Serial, source));

        // A request that waited for this volume can go now.
        foreach (var other in _view.Drives)
        {
            if (other != drive && other.Volume.PendingRequest == lease.Serial && !other.Drive.IsLoaded)
            {
                other.Executor.Post(() =>
                {
                    if (other.Volume.PendingRequest == lease.Serial && !other.Drive.IsLoaded)
                    {
                        TryMountPending(other, MountSource.LoadDisplay, new Media.TapeImageOptions());
                    }
                });
            }
        }

        return lease.Serial;
    }

    /// <summary>
    /// Waits until every volume <paramref name="serial"/> taken back from a drive is given back: the next step of a
    /// job asks for the volume its last step unloaded moments ago, and the catalog must have ended that mount first.
    /// </summary>
    private void WaitForGiveBack(string serial)
    {
        PendingRelease[] pending;
        lock (_releasing)
        {
            pending = _releasing.Where(r => string.Equals(r.Lease.Serial, serial, StringComparison.Ordinal)).ToArray();
        }

        foreach (var release in pending)
        {
            release.Done.Task.Wait();
        }
    }

    /// <summary>A volume taken back from a drive and not yet given back to the library.</summary>
    private sealed record PendingRelease(DriveRuntime Drive, VolumeLease Lease, VolumeRelease What, MountSource Source)
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static long WrittenSoFar(TapeDrive drive) => drive.Counters.BlocksWritten + drive.Counters.TapeMarksWritten;
}
