using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;
using ChannelTape.Runtime.Events;

namespace ChannelTape.Runtime;

/// <summary>
/// Who holds a drive: the server's session of the host that attached it. It receives the drive's
/// unsolicited status (device end at ready, attention) and hears when another holder took the drive over.
/// </summary>
public interface IDriveHolder
{
    /// <summary>For log lines: the connection number and peer.</summary>
    string Name { get; }

    /// <summary>The drive presented status on its own.</summary>
    void OnUnsolicitedStatus(UnitStatus status);
}

/// <summary>What an attach found: attached, or why not.</summary>
public enum DriveAttach
{
    Attached,
    /// <summary>Another holder has the drive and take-over was not asked for.</summary>
    AttachedElsewhere,
    /// <summary>Another host holds the drive and this one may not take drives over.</summary>
    TakeOverNotAllowed,
}

/// <summary>
/// One drive, everything about it in one place (AGENTS.md, "Layers": the drive runtime): the
/// <see cref="TapeDrive"/> and the <see cref="Device"/> CCWs run on (the drive, or a decorator such as the
/// statistics recorder), the <see cref="Executor"/> that runs everything done to the drive one at a time,
/// who holds it and whose channel program is open, its identity, the library's part
/// (<see cref="Volume"/>), and mounts from parsed mount words. Outlives connections: a host that
/// reconnects finds the drive as it left it (docs/protocol.md §2 Disconnects).
/// </summary>
public sealed class DriveRuntime : IDisposable
{
    private readonly Lock _holderLock = new();
    private IDriveHolder? _holder;

    /// <param name="drive">The drive.</param>
    /// <param name="executor">Serialises the drive: <see cref="GatedDriveExecutor"/> for a server, <see cref="InlineDriveExecutor"/> for one thread.</param>
    /// <param name="events">Where mounts and unloads are published.</param>
    /// <param name="decorate">Puts a device in front of the drive for every CCW (statistics); null for none.</param>
    public DriveRuntime(TapeDrive drive, IDriveExecutor executor, TapeEventHub events, Func<IChannelDevice, IChannelDevice>? decorate = null)
    {
        Drive = drive ?? throw new ArgumentNullException(nameof(drive));
        Executor = executor ?? throw new ArgumentNullException(nameof(executor));
        Events = events ?? throw new ArgumentNullException(nameof(events));
        Device = new OutcomeReporter(this, decorate?.Invoke(drive) ?? drive);
        ChannelDevice = new SerializedDevice(this);
        Device.UnsolicitedStatus += OnUnsolicitedStatus;
    }

    /// <summary>A drive alone, for tests and tools: its own inline executor and event hub, mounting image paths.</summary>
    public static DriveRuntime Standalone(TapeModel model, ushort deviceNumber, Func<IChannelDevice, IChannelDevice>? decorate = null) =>
        new(new TapeDrive(model, deviceNumber), new InlineDriveExecutor(), new TapeEventHub(), decorate);

    /// <summary>The tape drive (CCW interpreter and volume).</summary>
    public TapeDrive Drive { get; }

    /// <summary>What CCWs run on: <see cref="Drive"/> or the decorator in front of it. Use under <see cref="Executor"/>.</summary>
    public IChannelDevice Device { get; }

    /// <summary>
    /// <see cref="Device"/> for a caller on its own thread (the in-process channel, the LMS over a local
    /// drive): every CCW runs under <see cref="Executor"/>, so library work the CCW posts runs after it.
    /// </summary>
    public IChannelDevice ChannelDevice { get; }

    /// <summary>Runs everything done to the drive, one thing at a time.</summary>
    public IDriveExecutor Executor { get; }

    /// <summary>Where the drive's mounts and unloads are published.</summary>
    public TapeEventHub Events { get; }

    public ushort DeviceNumber => Drive.DeviceNumber;

    public TapeModel Model => Drive.Model;

    /// <summary>The model as BCD-like hex, e.g. <c>0x3490</c> (the protocol's AttachReply).</summary>
    public ushort ModelNumber => (ushort)Drive.Model;

    /// <summary>Sense ID bytes the guest sees (<c>FF 3490 50 3490 50</c>); empty for a 3420, which has no Sense ID.</summary>
    public ReadOnlySpan<byte> SenseId => DeviceIdentity.SenseId(Drive.Model);

    /// <summary>Sense bytes the drive reports (24 or 32).</summary>
    public int SenseCount => SenseBuilder.SenseCount(Drive.Model);

    /// <summary>The library's part of the drive: the volume it mounted or the request it waits for.</summary>
    public DriveVolumeState Volume { get; } = new();

    /// <summary>The library the drive belongs to; null for a drive that only mounts image paths.</summary>
    public IDriveLibrary? Library { get; private set; }

    /// <summary>The address of the host that attached the drive last (command-volume authorisation); "local" before.</summary>
    public string AttachedHost => AttachedBy.Address;

    /// <summary>Who attached the drive last and what it may do; <see cref="HostAuthority.Local"/> before any host did.</summary>
    public HostAuthority AttachedBy { get; private set; } = HostAuthority.Local;

    /// <summary>
    /// Where images may be mounted by path: <see cref="ImageConfinement.Unconfined"/> for a drive of a tool or
    /// a test; a server's drives share the configuration's (<see cref="Confine"/>).
    /// </summary>
    public ImageConfinement Confinement { get; private set; } = ImageConfinement.Unconfined;

    /// <summary>Puts the drive under <paramref name="confinement"/> (the composition root, once, before serving).</summary>
    public void Confine(ImageConfinement confinement) => Confinement = confinement ?? throw new ArgumentNullException(nameof(confinement));

    /// <summary>Who holds the drive now; null when no host is attached.</summary>
    public IDriveHolder? Holder
    {
        get
        {
            lock (_holderLock)
            {
                return _holder;
            }
        }
    }

    /// <summary>Whose channel program is open (StartChannelProgram called, EndChannelProgram not); under <see cref="Executor"/>.</summary>
    public object? ProgramOwner { get; private set; }

    /// <summary>Unsolicited status of the drive, for whoever else listens (the holder is told first).</summary>
    public event Action<DriveRuntime, UnitStatus>? UnsolicitedStatus;

    /// <summary>Publishes <paramref name="driveEvent"/> with the host that attached the drive last (<see cref="AttachedHost"/>).</summary>
    public void Publish(DriveEvent driveEvent) => Events.Publish(driveEvent with { Host = AttachedHost });

    /// <summary>Puts the drive under <paramref name="library"/> (the library manager calls this once).</summary>
    public void JoinLibrary(IDriveLibrary library)
    {
        ArgumentNullException.ThrowIfNull(library);
        if (Library is not null)
        {
            throw new InvalidOperationException($"drive {DeviceNumber:X4} already belongs to a library");
        }

        Library = library;
    }

    /// <summary>True when <paramref name="holder"/> may attach: the drive is free, already its, or take-over is asked.</summary>
    public bool IsAvailableTo(IDriveHolder holder, bool takeOver)
    {
        lock (_holderLock)
        {
            return _holder is null || _holder == holder || takeOver;
        }
    }

    /// <summary>
    /// Attaches <paramref name="holder"/> for the host at <paramref name="host"/>. Fails when another holder has
    /// the drive and <paramref name="takeOver"/> is not set; with it, returns that holder in <paramref name="previous"/>.
    /// </summary>
    public bool TryAttach(IDriveHolder holder, string host, bool takeOver, out IDriveHolder? previous) =>
        TryAttach(holder, HostAuthority.Local with { Name = host, Address = host }, takeOver, out previous);

    /// <summary>
    /// Attaches <paramref name="holder"/> for <paramref name="authority"/>. Fails when another holder has the drive
    /// and <paramref name="takeOver"/> is not set; with it, returns that holder in <paramref name="previous"/>.
    /// </summary>
    public bool TryAttach(IDriveHolder holder, HostAuthority authority, bool takeOver, out IDriveHolder? previous) =>
        Attach(holder, authority, takeOver, out previous, checkOnly: false) == DriveAttach.Attached;

    /// <summary>
    /// Whether <paramref name="holder"/> of <paramref name="authority"/> may attach now (nothing changes): the drive
    /// is free or already its; or <paramref name="takeOver"/> is asked and the host holding it is the same host
    /// (a reconnect) or <paramref name="authority"/> may take drives over (docs/security.md).
    /// </summary>
    public DriveAttach CanAttach(IDriveHolder holder, HostAuthority authority, bool takeOver) =>
        Attach(holder, authority, takeOver, out _, checkOnly: true);

    /// <summary>As <see cref="CanAttach"/>, and attaches when it may; the holder taken over in <paramref name="previous"/>.</summary>
    public DriveAttach Attach(IDriveHolder holder, HostAuthority authority, bool takeOver, out IDriveHolder? previous) =>
        Attach(holder, authority, takeOver, out previous, checkOnly: false);

    private DriveAttach Attach(IDriveHolder holder, HostAuthority authority, bool takeOver, out IDriveHolder? previous, bool checkOnly)
    {
        lock (_holderLock)
        {
            previous = _holder;
            if (_holder is not null && _holder != holder)
            {
                if (!takeOver)
                {
                    return DriveAttach.AttachedElsewhere;
                }

                if (!authority.IsSameHost(AttachedBy) && !authority.May(HostPermissions.TakeOver))
                {
                    return DriveAttach.TakeOverNotAllowed;
                }
            }

            if (!checkOnly)
            {
                _holder = holder;
                AttachedBy = authority;
            }

            return DriveAttach.Attached;
        }
    }

    /// <summary>The authority of the host that holds the drive now; null when no host holds it.</summary>
    public HostAuthority? HolderAuthority
    {
        get
        {
            lock (_holderLock)
            {
                return _holder is null ? null : AttachedBy;
            }
        }
    }

    /// <summary>Detaches <paramref name="holder"/> if it still holds the drive.</summary>
    public void Detach(IDriveHolder holder)
    {
        lock (_holderLock)
        {
            if (_holder == holder)
            {
                _holder = null;
            }
        }
    }

    /// <summary>
    /// Starts a channel program for <paramref name="owner"/> (Hercules <c>start</c>) for a CCW with sequence
    /// number 0, or when another owner's program is the open one (docs/protocol.md §2). Under <see cref="Executor"/>.
    /// </summary>
    public void StartProgram(object owner, bool sequenceZero)
    {
        if (!sequenceZero && ProgramOwner == owner)
        {
            return;
        }

        if (ProgramOwner is not null)
        {
            Device.EndChannelProgram();
        }

        Device.StartChannelProgram();
        ProgramOwner = owner;
    }

    /// <summary>Ends <paramref name="owner"/>'s channel program if it is the open one (a host that went away). Under <see cref="Executor"/>.</summary>
    public void EndProgram(object owner)
    {
        if (ProgramOwner == owner)
        {
            Device.EndChannelProgram();
            ProgramOwner = null;
        }
    }

    /// <summary>
    /// Mounts what <paramref name="words"/> ask for, as Hercules' <c>devinit</c> does (see <see cref="MountRequest"/>);
    /// a mount or unload that is done presents device end through the unsolicited status. Under <see cref="Executor"/>.
    /// </summary>
    public MountOutcome Mount(string words, MountSource source) => Mount(words, source, null);

    /// <summary>
    /// Mounts what <paramref name="words"/> ask for on behalf of <paramref name="requester"/> (null = an in-process
    /// caller): an operator mount of a library volume needs <see cref="HostPermissions.OperatorMounts"/> and one of
    /// the host's pools, an image by path <see cref="HostPermissions.MountByPath"/> and the drive's
    /// <see cref="Confinement"/>. On a drive of a library a six-character volume serial always names a library
    /// volume, never a file of that name. Under <see cref="Executor"/>.
    /// </summary>
    public MountOutcome Mount(string words, MountSource source, HostAuthority? requester) =>
        MountRequest.TryParse(words, out var request, out var refusal, volumesFirst: Library is not null || Confinement.IsConfined)
            ? Mount(request, source, requester)
            : Refuse(words, source, refusal);

    /// <inheritdoc cref="Mount(string, MountSource)"/>
    public MountOutcome Mount(MountRequest request, MountSource source) => Mount(request, source, null);

    /// <inheritdoc cref="Mount(string, MountSource, HostAuthority?)"/>
    public MountOutcome Mount(MountRequest request, MountSource source, HostAuthority? requester)
    {
        switch (request)
        {
            case MountRequest.Unload:
                var wasLoaded = Drive.IsLoaded;
                var name = VolumeName;
                var released = Library?.UnloadNow(this, source);
                if (Drive.IsLoaded || !wasLoaded)
                {
                    // An image mounted by path, or an empty drive: devinit * presents device end all the same.
                    Drive.Unload();
                }


                if (released is null)
                {
                    Publish(new VolumeUnloaded(DeviceNumber, wasLoaded ? name : null, source));
                }

                return new MountOutcome(true, "unloaded");

            case MountRequest.Volume volume:
                if (Library is null)
                {
                    return Refuse(volume.Serial, source,
                        new VolumeRefusal(VolumeRefusalReason.NoLibrary, $"drive {DeviceNumber:X4} has no library: mount an image by its path"));
                }

                if (requester is not null && !requester.May(HostPermissions.OperatorMounts))
                {
                    return Refuse(volume.Serial, source, new VolumeRefusal(VolumeRefusalReason.NotAuthorised,
                        $"host {requester} may not mount volumes as an operator"));
                }

                var refusal = Library.MountNow(this, new VolumeSerialRequest(volume.Serial, volume.Options, requester, volume.Labels));
                return refusal is null ? new MountOutcome(true, DeviceListText) : new MountOutcome(false, refusal.Message, refusal);

            case MountRequest.Image image:
                if (requester is not null && !requester.May(HostPermissions.MountByPath))
                {
                    return Refuse(image.Path, source, new VolumeRefusal(VolumeRefusalReason.NotAuthorised,
                        $"host {requester} may not mount images by path; mount a library volume by its serial"));
                }

                return MountImage(image, source);

            default:
                throw new InvalidOperationException($"unknown mount request {request}");
        }
    }

    /// <summary>Like Hercules' tape query: volume, [file:block id], model, R/O or R/W; <c>*</c> when empty.</summary>
    public string DeviceListText
    {
        get
        {
            if (Drive.Media is not { } media)
            {
                var pending = Volume.PendingRequest;
                return pending is null ? "* (unloaded)" : $"* (unloaded) waiting for {pending}";
            }

            var position = media.Position;
            return $"{Volume.VolumeSerial ?? Path.GetFileName(media.Path)} [{position.FileNumber}:{position.BlockNumber:X8}] IBM {ModelNumber:X4} {(media.IsReadOnly ? "R/O" : "R/W")}";
        }
    }

    /// <summary>Flushes and closes the volume, giving a library volume back (server shutdown). Under <see cref="Executor"/>.</summary>
    public void CloseVolume()
    {
        var name = VolumeName;
        if (Library?.UnloadNow(this, MountSource.Shutdown) is null && name is not null)
        {
            Publish(new VolumeUnloaded(DeviceNumber, name, MountSource.Shutdown));
        }

        Drive.Dispose();
    }

    public void Dispose() => Drive.Dispose();

    /// <summary>What the log calls the volume on the drive: its serial, or the image path.</summary>
    private string? VolumeName => Volume.VolumeSerial ?? Drive.Media?.Path;

    private MountOutcome MountImage(MountRequest.Image image, MountSource source)
    {
        if (!Confinement.TryAdmit(image.Path, out var path, out var refused))
        {
            return Refuse(image.Path, source, refused!);
        }

        if (!Confinement.TryClaim(path, this, out var holder))
        {
            return Refuse(image.Path, source, new VolumeRefusal(VolumeRefusalReason.VolumeMounted,
                $"{image.Path} is mounted on drive {holder:X4}"));
        }

        if (Volume.Lease is not null)
        {
            Library!.UnloadNow(this, source);
        }

        if (!TapeImage.TryOpen(path, image.Options, out var media, out var error))
        {
            // Hercules' devinit with a file it cannot open leaves the drive empty.
            if (Drive.IsLoaded)
            {
                Drive.Unload();
            }

            return Refuse(image.Path, source, new VolumeRefusal(VolumeRefusalReason.CannotOpen, error));
        }

        // A server's images are written as its library volumes are: a tape mark and the unload are synchronisation points.
        Drive.Mount(Confinement.IsConfined && !media.IsReadOnly ? new SynchronizingMedia(media, SyncPoints.TapeMark | SyncPoints.Close) : media);
        Publish(new VolumeMounted(DeviceNumber, image.Path, media.IsReadOnly, source));
        return new MountOutcome(true, DeviceListText);
    }

    private MountOutcome Refuse(string request, MountSource source, VolumeRefusal refusal)
    {
        Publish(new MountRefused(DeviceNumber, request, source, refusal, Pending: false));
        return new MountOutcome(false, refusal.Message, refusal);
    }

    private void OnUnsolicitedStatus(IChannelDevice device, UnitStatus status)
    {
        Holder?.OnUnsolicitedStatus(status);
        UnsolicitedStatus?.Invoke(this, status);
    }

    /// <summary>
    /// In front of the drive (and its decorators): publishes what a guest's CCW ended with that an operator
    /// should hear of, a unit check with its sense and the end-of-tape marker passed (once per mount). A CCW
    /// that ends with neither costs one test of its status.
    /// </summary>
    private sealed class OutcomeReporter(DriveRuntime runtime, IChannelDevice inner) : ChannelDeviceDecorator(inner)
    {
        private long _endOfTapeSaidFor = -1;

        public override CcwResult Execute(in CcwRequest request, Span<byte> buffer)
        {
            var result = Inner.Execute(request, buffer);
            if ((result.Status & (UnitStatus.UnitCheck | UnitStatus.UnitException)) != 0)
            {
                Report(request.Command, result.Status);
            }

            return result;
        }

        private void Report(byte command, UnitStatus status)
        {
            var volume = runtime.VolumeName;
            if ((status & UnitStatus.UnitCheck) != 0)
            {
                var sense = Inner.Sense;
                var era = sense.Length > SenseBuilder.EraOffset ? sense[SenseBuilder.EraOffset] : (byte)0;
                // docs/reference/hercules-tape.md §1.2: every Rewind Unload ends CE+DE+UC, with environmental data on a
                // 3480/3490 and intervention required (nothing else) on a 3420; neither is news to an operator.
                bool unloaded = command == (byte)TapeCommand.RewindUnload && (status & UnitStatus.DeviceEnd) != 0
                    && (runtime.Drive.Model == TapeModel.Ibm3420 ? sense.Length > 0 && sense[0] == SenseBuilder.Sense0InterventionRequired : era == SenseBuilder.EraEnvironmentalDataPresent);
                if (!unloaded)
                {
                    runtime.Publish(new UnitCheckPresented(runtime.DeviceNumber, volume, command, Convert.ToHexString(sense), era));
                }
            }
            else if (command is (byte)TapeCommand.Write or (byte)TapeCommand.WriteTapeMark or (byte)TapeCommand.EraseGap
                && runtime.Drive.Media is { IsPastEarlyWarning: true } && _endOfTapeSaidFor != runtime.Drive.VolumeGeneration)
            {
                _endOfTapeSaidFor = runtime.Drive.VolumeGeneration;
                runtime.Publish(new EndOfTapeReached(runtime.DeviceNumber, volume, command));
            }
        }
    }

    /// <summary><see cref="Device"/> with every CCW run under the executor (see <see cref="ChannelDevice"/>).</summary>
    private sealed class SerializedDevice(DriveRuntime runtime) : ChannelDeviceDecorator(runtime.Device)
    {
        public override CcwResult Execute(in CcwRequest request, Span<byte> buffer) =>
            runtime.Executor.RunExclusive(new Call(Inner, request, buffer), static call => call.Device.Execute(call.Request, call.Buffer));

        private readonly ref struct Call(IChannelDevice device, CcwRequest request, Span<byte> buffer)
        {
            public IChannelDevice Device { get; } = device;

            public CcwRequest Request { get; } = request;

            public Span<byte> Buffer { get; } = buffer;
        }
    }
}
