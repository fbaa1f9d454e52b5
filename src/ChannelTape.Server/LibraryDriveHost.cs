using System.Diagnostics.CodeAnalysis;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using ChannelTape.Library;
using ChannelTape.Media;

namespace ChannelTape.Server;

/// <summary>
/// The drives of a library configuration (docs/config.md): one <see cref="TapeDrive"/> per configured
/// drive, all under a <see cref="LibraryManager"/> over the catalog in the storage root, so Load
/// Display mounts and Mount by volser go through the library, and Mount of an image path opens
/// that image as Hercules' <c>devinit</c> would.
/// </summary>
/// <summary>Builds the provider of special (administrative) volumes once the catalog, the library and the drives exist.</summary>
public delegate ISpecialVolumeProvider SpecialVolumeFactory(LibraryCatalog catalog, Func<LibraryManager> library, Func<IEnumerable<TapeDrive>> drives);

/// <summary>
/// What a composition root adds to the library's drives without the server knowing about it:
/// administrative volumes, and a wrapper around each drive's channel device (statistics, events).
/// </summary>
public sealed record LibraryHostExtensions(SpecialVolumeFactory? SpecialVolumes = null, Func<IChannelDevice, IChannelDevice>? WrapDevice = null);

public sealed class LibraryDriveHost : IDriveHost, IDisposable
{
    private readonly Dictionary<ushort, LibraryDrive> _drives = [];

    private LibraryDriveHost(LibraryConfiguration configuration, LibraryCatalog catalog, IServerLog log, ISpecialVolumeProvider? special, LibraryHostExtensions? extensions)
    {
        Configuration = configuration;
        Catalog = catalog;
        special ??= extensions?.SpecialVolumes?.Invoke(catalog, () => Manager!, () => _drives.Values.Select(d => d.TapeDrive).ToList());
        Manager = new LibraryManager(configuration, catalog, special);
        foreach (var config in configuration.Drives)
        {
            var tapeDrive = new TapeDrive(config.Model, config.DeviceNumber);
            var drive = new LibraryDrive(tapeDrive, extensions?.WrapDevice?.Invoke(tapeDrive) ?? tapeDrive, Manager, log);
            Manager.Attach(drive.TapeDrive, drive, () => drive.AttachedHost);
            _drives.Add(config.DeviceNumber, drive);
        }
    }

    public LibraryConfiguration Configuration { get; }

    public LibraryCatalog Catalog { get; }

    public LibraryManager Manager { get; }

    public IReadOnlyCollection<IServedDrive> Drives => _drives.Values;

    /// <summary>
    /// Opens the catalog in the configuration's storage root, brings it in line with the configuration
    /// and ends mounts left open by a previous run (no volume is on a drive after a restart).
    /// </summary>
    /// <param name="configuration">The library's configuration.</param>
    /// <param name="log">Where start-up and recovery are reported.</param>
    /// <param name="special">Provider of special volumes, or null (see also <paramref name="extensions"/>).</param>
    /// <param name="host">The drives, on success.</param>
    /// <param name="error">Why not, on failure.</param>
    /// <param name="extensions">Administrative volumes built once the library exists, and a wrapper for each drive's device.</param>
    public static bool TryCreate(LibraryConfiguration configuration, IServerLog log, ISpecialVolumeProvider? special,
        [NotNullWhen(true)] out LibraryDriveHost? host, [NotNullWhen(false)] out string? error, LibraryHostExtensions? extensions = null)
    {
        host = null;
        try
        {
            var catalog = LibraryCatalog.Open(configuration.Storage.Root);
            catalog.SyncFromConfiguration(configuration);
            // After a crash (kill -9) the images may hold more than the catalog recorded: rescan
            // them, then end the mounts left open (no volume is on a drive after a restart).
            var recovery = LibraryRecovery.Reconcile(catalog, configuration);
            if (recovery.MountsEnded > 0 || recovery.Rescanned.Count > 0 || recovery.MissingImages.Count > 0)
            {
                log.Write(LogLevel.Info, $"catalog: ended {recovery.MountsEnded} mount(s) left open by the previous run, rescanned {recovery.Rescanned.Count} image(s)"
                    + (recovery.MissingImages.Count > 0 ? $", images missing: {string.Join(' ', recovery.MissingImages.Select(v => v.Value))}" : ""));
            }

            host = new LibraryDriveHost(configuration, catalog, log, special, extensions);
            error = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
        {
            error = $"cannot open the catalog in {configuration.Storage.Root}: {e.Message}";
            return false;
        }
    }

    public bool TryGetDrive(ushort deviceNumber, [NotNullWhen(true)] out IServedDrive? drive)
    {
        drive = _drives.GetValueOrDefault(deviceNumber);
        return drive is not null;
    }

    public void Dispose()
    {
        foreach (var drive in _drives.Values)
        {
            drive.TapeDrive.Dispose();
        }
    }

    /// <summary>One configured drive: a <see cref="TapeDrive"/> and its library scheduling.</summary>
    private sealed class LibraryDrive(TapeDrive drive, IChannelDevice device, LibraryManager manager, IServerLog log) : IServedDrive, IDriveScheduler
    {
        private readonly Lock _postLock = new();
        private Task _posted = Task.CompletedTask;

        public TapeDrive TapeDrive { get; } = drive;

        public TapeDrive? Tape => TapeDrive;

        public string AttachedHost { get; private set; } = "local";

        public IChannelDevice Device => device;

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public ushort Model => (ushort)TapeDrive.Model;

        public ReadOnlySpan<byte> SenseId => DeviceIdentity.SenseId(TapeDrive.Model);

        public int SenseCount => SenseBuilder.SenseCount(TapeDrive.Model);

        public bool IsLoaded => TapeDrive.IsLoaded;

        /// <summary>Like Hercules' tape query: volume, [file:block id], model, R/O or R/W; <c>*</c> when empty.</summary>
        public string DeviceListText
        {
            get
            {
                if (TapeDrive.Media is not { } media)
                {
                    var pending = manager.State(TapeDrive.DeviceNumber)?.PendingRequest;
                    return pending is null ? "* (unloaded)" : $"* (unloaded) waiting for {pending}";
                }

                var name = manager.State(TapeDrive.DeviceNumber)?.VolumeSerial ?? Path.GetFileName(media.Path);
                return $"{name} [{media.Position.FileNumber}:{media.Position.BlockNumber:X8}] IBM {Model:X4} {(media.IsReadOnly ? "R/O" : "R/W")}";
            }
        }

        public void SetAttachedHost(string host) => AttachedHost = host;

        public bool TryMount(string arguments, out string message)
        {
            var words = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var deviceNumber = TapeDrive.DeviceNumber;
            if (words.Length == 0)
            {
                message = "nothing to mount";
                return false;
            }

            if (words[0] == "*")
            {
                var wasLoaded = TapeDrive.IsLoaded;
                manager.UnloadNow(deviceNumber);
                if (TapeDrive.IsLoaded || !wasLoaded)
                {
                    TapeDrive.Unload();
                }

                message = "unloaded";
                return true;
            }

            if (words.Length == 1 && IsVolumeSerial(words[0]))
            {
                var why = manager.MountNow(deviceNumber, words[0]);
                message = why ?? DeviceListText;
                return why is null;
            }

            if (!TapeImageOptions.TryParse(words.Skip(1), out var options, out var error))
            {
                message = error;
                return false;
            }

            if (manager.State(deviceNumber)?.VolumeSerial is not null)
            {
                manager.UnloadNow(deviceNumber);
            }

            if (!TapeImage.TryOpen(words[0], options, out var media, out error))
            {
                // Hercules' devinit with a file it cannot open leaves the drive empty.
                if (TapeDrive.IsLoaded)
                {
                    TapeDrive.Unload();
                }

                message = error;
                return false;
            }

            TapeDrive.Mount(media);
            message = DeviceListText;
            return true;
        }

        public void CloseVolume()
        {
            manager.UnloadNow(TapeDrive.DeviceNumber);
            TapeDrive.Dispose();
        }

        /// <summary>Runs library work after the CCW in progress, in the order posted, under the drive's gate.</summary>
        public void Post(Action work)
        {
            lock (_postLock)
            {
                _posted = _posted.ContinueWith(async _ =>
                {
                    await Gate.WaitAsync().ConfigureAwait(false);
                    try
                    {
                        work();
                    }
                    catch (Exception e)
                    {
                        log.Write(LogLevel.Error, $"drive {TapeDrive.DeviceNumber:X4}: library work failed: {e}");
                    }
                    finally
                    {
                        Gate.Release();
                    }
                }, TaskScheduler.Default).Unwrap();
            }
        }

        /// <summary>A lone word that is a volume serial and not the name of an image file.</summary>
        private static bool IsVolumeSerial(string word) =>
            VolumeSerial.TryParse(word, out _) && !File.Exists(word);
    }
}
