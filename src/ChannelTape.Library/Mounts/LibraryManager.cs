using System.Collections.Concurrent;
using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Media;

namespace ChannelTape.Library.Mounts;

/// <summary>What a drive looks like to the library: its volume or the request it waits for.</summary>
public sealed record DriveLibraryState(
    ushort DeviceNumber,
    TapeModel Model,
    string? VolumeSerial,
    bool ReadOnly,
    string? PendingRequest,
    string? PendingReason,
    DateTimeOffset? MountedAt,
    bool SpecialVolume);

/// <summary>
/// The library around the drives (issue 4, item 3): mounts the volume a Load Display asks for
/// (labels-and-libraries.md §4; hercules-tape.md §4.3: 'M' + volser + label character, SCRTCH or
/// PRIVAT for any scratch volume of the drive's pool), releases it on Rewind Unload or a demount
/// message, records every mount in the catalog, creates a volume's image with its labels on first
/// use, and keeps a request it cannot satisfy pending and visible, as an operator would see it.
/// </summary>
public sealed class LibraryManager
{
    private readonly LibraryConfiguration _configuration;
    private readonly LibraryCatalog _catalog;
    private readonly ISpecialVolumeProvider? _special;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<ushort, DriveEntry> _drives = new();

    public LibraryManager(LibraryConfiguration configuration, LibraryCatalog catalog, ISpecialVolumeProvider? special = null, TimeProvider? time = null)
    {
        _configuration = configuration;
        _catalog = catalog;
        _special = special;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Raised after every mount, release or pending request change (for logs and tests).</summary>
    public event Action<DriveLibraryState>? StateChanged;

    /// <summary>
    /// Takes a drive under library control. The caller owns the drive's serialisation and runs
    /// posted work through <paramref name="scheduler"/>; <paramref name="host"/> names who is
    /// attached (for command-volume authorisation).
    /// </summary>
    public void Attach(TapeDrive drive, IDriveScheduler scheduler, Func<string>? host = null)
    {
        var entry = new DriveEntry(drive, scheduler, host ?? (() => "local"));
        if (!_drives.TryAdd(drive.DeviceNumber, entry))
        {
            throw new InvalidOperationException($"drive {drive.DeviceNumber:X4} is already attached to the library");
        }

        drive.LoadDisplayReceived += (d, message) => OnLoadDisplay(entry, message);
        drive.VolumeUnloaded += _ => scheduler.Post(() => Release(entry, unloadDrive: false));
    }

    public IReadOnlyList<DriveLibraryState> States() =>
        _drives.Values.OrderBy(e => e.Drive.DeviceNumber).Select(e => e.State()).ToList();

    public DriveLibraryState? State(ushort deviceNumber) => _drives.TryGetValue(deviceNumber, out var entry) ? entry.State() : null;

    /// <summary>
    /// Operator mount (<c>ctape mount</c>, or <c>devinit CUU volser</c> through the bridge): mounts a
    /// catalog or administrative volume now. Must run serialised with the drive (the caller's
    /// scheduler or drive lock). Returns null on success, else why not.
    /// </summary>
    public string? MountNow(ushort deviceNumber, string volumeSerial)
    {
        if (!_drives.TryGetValue(deviceNumber, out var entry))
        {
            return $"drive {deviceNumber:X4} is not in the library";
        }

        if (entry.Drive.IsLoaded)
        {
            Release(entry, unloadDrive: true);
        }

        entry.PendingRequest = volumeSerial.Trim();
        entry.PendingReason = null;
        return TryMountPending(entry, scratch: false) ? null : entry.PendingReason;
    }

    /// <summary>Operator unload: releases and unloads the drive's volume, and forgets a pending request.</summary>
    public void UnloadNow(ushort deviceNumber)
    {
        if (_drives.TryGetValue(deviceNumber, out var entry))
        {
            entry.PendingRequest = null;
            entry.PendingReason = null;
            Release(entry, unloadDrive: true);
        }
    }

    private void OnLoadDisplay(DriveEntry entry, LoadDisplayMessage message)
    {
        var mount = message.Request == DisplayRequestKind.Mount ? message : message.FollowingMount;
        if (message.Request is DisplayRequestKind.Demount or DisplayRequestKind.Keep or DisplayRequestKind.Retain)
        {
            // The host is done with the volume (MVS shows the demount after unloading, or asks the
            // library to take it out). Release a volume still loaded, if it is the one named.
            string? named = message.VolumeSerial;
            entry.Scheduler.Post(() =>
            {
                if (entry.VolumeSerial is { } current && (named is null || named.Length == 0 || named == current))
                {
                    Release(entry, unloadDrive: true);
                }

                if (mount?.VolumeSerial is { Length: > 0 } next)
                {
                    RequestMount(entry, next, mount.IsScratchRequest);
                }
            });
            return;
        }

        if (mount?.VolumeSerial is { Length: > 0 } serial)
        {
            entry.Scheduler.Post(() => RequestMount(entry, serial, mount.IsScratchRequest));
        }
    }

    private void RequestMount(DriveEntry entry, string serial, bool scratch)
    {
        if (entry.Drive.IsLoaded)
        {
            return; // MVS suppresses the mount message when the drive is ready; a loaded drive keeps its volume
        }

        entry.PendingRequest = serial;
        entry.PendingReason = null;
        TryMountPending(entry, scratch);
    }

    /// <summary>Mounts the pending request if it can; leaves it pending with a reason if not.</summary>
    private bool TryMountPending(DriveEntry entry, bool scratch)
    {
        string serial = entry.PendingRequest!;
        ushort device = entry.Drive.DeviceNumber;
        if (_special is not null && _special.TryOpen(serial, device, entry.Host(), out var special, out string? specialError))
        {
            if (special is null)
            {
                entry.PendingReason = specialError ?? "administrative volume could not be built";
                Changed(entry);
                return false;
            }

            entry.Drive.Mount(special);
            entry.VolumeSerial = serial;
            entry.Special = true;
            entry.MountId = null;
            entry.MountedAt = _time.GetUtcNow();
            entry.PendingRequest = null;
            Changed(entry);
            return true;
        }

        MountStart start;
        if (scratch)
        {
            string? pool = _configuration.FindDrive(device)?.Pool ?? _configuration.Pools.FirstOrDefault(p => p.Scratch)?.Name;
            if (pool is null)
            {
                entry.PendingReason = "no scratch pool for this drive";
                Changed(entry);
                return false;
            }

            start = _catalog.TryAllocateScratch(pool, device);
        }
        else if (!VolumeSerial.TryParse(serial, out var parsed))
        {
            entry.PendingReason = $"'{serial}' is not a volume serial";
            Changed(entry);
            return false;
        }
        else
        {
            start = _catalog.BeginMount(parsed, device);
        }

        if (!start.Started)
        {
            entry.PendingReason = start.Refusal switch
            {
                MountRefusal.UnknownVolume => $"volume {serial} is not in the library",
                MountRefusal.VolumeMounted => $"volume {serial} is mounted on drive {start.Volume?.MountedOn:X4}",
                MountRefusal.NoScratchVolume => "no scratch volume left in the pool",
                MountRefusal.DriveBusy => "the drive has a mount in progress",
                MountRefusal.UnknownDrive => "the drive is not in the catalog",
                _ => start.Refusal.ToString(),
            };
            Changed(entry);
            return false;
        }

        var volume = start.Volume!;
        if (!TryOpenImage(volume, out var media, out string? error))
        {
            _catalog.EndMount(start.MountId);
            entry.PendingReason = $"volume {volume.Serial.Value} cannot be opened: {error}";
            Changed(entry);
            return false;
        }

        entry.Drive.Mount(media!);
        _catalog.CompleteMount(start.MountId);
        entry.VolumeSerial = volume.Serial.Value;
        entry.Special = false;
        entry.MountId = start.MountId;
        entry.MountedAt = _time.GetUtcNow();
        entry.WrittenAtMount = entry.Drive.Counters.BlocksWritten + entry.Drive.Counters.TapeMarksWritten;
        entry.PendingRequest = null;
        Changed(entry);
        return true;
    }

    /// <summary>Opens a catalog volume's image, creating and labelling it on first use (as <c>hetinit</c> would).</summary>
    private bool TryOpenImage(VolumeRecord volume, out ITapeMedia? media, out string? error)
    {
        string path = _catalog.Layout.ImagePath(volume);
        var options = new TapeImageOptions { ReadOnly = volume.ReadOnly, MaxSize = volume.Capacity };
        if (File.Exists(path))
        {
            return TapeImage.TryOpen(path, options, out media, out error);
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var format = path.EndsWith(".het", StringComparison.OrdinalIgnoreCase) ? TapeImageFormat.Het : TapeImageFormat.Aws;
        if (format == TapeImageFormat.Het)
        {
            var storage = _configuration.Storage.Format;
            options = options with
            {
                Compress = storage.Compression != Configuration.HetCompression.None,
                Method = storage.Compression == Configuration.HetCompression.Bzip2 ? Media.HetCompression.Bzip2 : Media.HetCompression.Zlib,
                Level = storage.Level == 0 ? ImageFormat.DefaultLevel : storage.Level,
            };
        }

        if (!TapeImage.TryCreate(path, format, options with { ReadOnly = false }, out media, out error))
        {
            return false;
        }

        LabelledVolumeWriter.Initialize(media!, volume.Serial.Value, "", volume.Labels);
        media!.Synchronize();
        if (volume.ReadOnly)
        {
            media.Dispose();
            return TapeImage.TryOpen(path, options, out media, out error);
        }

        return true;
    }

    /// <summary>Ends the current mount: records what was written, frees the volume, unloads the drive if asked.</summary>
    private void Release(DriveEntry entry, bool unloadDrive)
    {
        string? serial = entry.VolumeSerial;
        if (unloadDrive && entry.Drive.IsLoaded)
        {
            entry.Drive.Unload();
        }

        if (serial is null)
        {
            return;
        }

        if (entry.Special)
        {
            _special?.OnUnloaded(serial, entry.Drive.DeviceNumber, entry.Host());
        }
        else if (entry.MountId is { } mountId)
        {
            long written = entry.Drive.Counters.BlocksWritten + entry.Drive.Counters.TapeMarksWritten - entry.WrittenAtMount;
            if (written > 0 && VolumeSerial.TryParse(serial, out var parsed) && _catalog.FindVolume(parsed) is { } volume)
            {
                var summary = VolumeScanner.Scan(_catalog.Layout.ImagePath(volume), volume.Labels);
                _catalog.RecordWrite(parsed, summary.ImageSize, summary.DataBlocks, summary.FirstDataSetName);
            }

            _catalog.EndMount(mountId);
        }

        entry.VolumeSerial = null;
        entry.MountId = null;
        entry.Special = false;
        entry.MountedAt = null;
        Changed(entry);

        // A request that waited for this volume can go now.
        foreach (var other in _drives.Values)
        {
            if (other != entry && other.PendingRequest == serial && !other.Drive.IsLoaded)
            {
                other.Scheduler.Post(() =>
                {
                    if (other.PendingRequest == serial && !other.Drive.IsLoaded)
                    {
                        TryMountPending(other, scratch: false);
                    }
                });
            }
        }
    }

    private void Changed(DriveEntry entry) => StateChanged?.Invoke(entry.State());

    private sealed class DriveEntry(TapeDrive drive, IDriveScheduler scheduler, Func<string> host)
    {
        public TapeDrive Drive { get; } = drive;
        public IDriveScheduler Scheduler { get; } = scheduler;
        public Func<string> Host { get; } = host;
        public string? VolumeSerial { get; set; }
        public bool Special { get; set; }
        public long? MountId { get; set; }
        public DateTimeOffset? MountedAt { get; set; }
        public long WrittenAtMount { get; set; }
        public string? PendingRequest { get; set; }
        public string? PendingReason { get; set; }

        public DriveLibraryState State() => new(
            Drive.DeviceNumber, Drive.Model, VolumeSerial, Drive.Media?.IsReadOnly ?? false, PendingRequest, PendingReason, MountedAt, Special);
    }
}
