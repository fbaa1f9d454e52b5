using System.Collections.Concurrent;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;

namespace ChannelTape.Library.Store;

/// <summary>
/// Images in an S3 store with this server's data folder as a bounded cache of them. Beside each cached
/// image <c>volumes/VOLSER.aws</c> a version file <c>volumes/.VOLSER.version</c> names the object it was
/// recalled from or uploaded as; the image is current when that is the object the catalog names. Every
/// upload writes a new object (<c>PREFIX/volumes/VOLSER/TIME-ID.aws</c>) and the catalog switches to it in
/// one statement, so an upload never overwrites what another server may be reading, and an upload whose
/// mount was taken away (a server that lost its lease) leaves an object nothing names (deleted again). The
/// object a new upload superseded is deleted once the catalog names the new one. The cache keeps at
/// most <see cref="CacheLimit"/> bytes of images, evicting the least recently mounted ones that are in the
/// store and not in use here.
/// </summary>
public sealed class CachedStoreImages : VolumeImages, IDisposable
{
    private const string VersionSuffix = ".version";
    private readonly StorageLayout _layout;
    private readonly ConcurrentDictionary<string, int> _inUse = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> _recalls = new(StringComparer.Ordinal);
    private readonly Lock _evictLock = new();

    public CachedStoreImages(S3VolumeStore store, StorageLayout layout, long cacheLimit)
    {
        Store = store;
        _layout = layout;
        CacheLimit = cacheLimit;
    }

    public S3VolumeStore Store { get; }

    /// <summary>Bytes of images the cache keeps at most (images in use or not yet uploaded are never evicted).</summary>
    public long CacheLimit { get; }

    public override bool HasStore => true;

    public override string Description => $"{Store.Description}, cached in {_layout.VolumesDirectory}";

    public override StoredImage? Upload(VolumeSerial serial, string localPath)
    {
        var extension = Path.GetExtension(localPath).TrimStart('.');
        var key = $"{Store.Location.Prefix}volumes/{serial.Value}/{DateTime.UtcNow:yyyyMMddTHHmmssfff}-{Guid.NewGuid():N}.{extension}";
        var (etag, size, sha) = Store.Upload(key, localPath);
        return new StoredImage(key, etag, size, sha);
    }

    public override void Forget(string key)
    {
        try
        {
            Store.Delete(key);
        }
        catch (VolumeStoreException)
        {
            // An unnamed object costs space, not correctness (a bucket lifecycle rule can expire it).
        }
    }

    public override void Placed(VolumeSerial serial, string localPath, StoredImage? image)
    {
        var version = VersionPath(localPath);
        if (image is null)
        {
            if (Directory.Exists(Path.GetDirectoryName(version)))
            {
                File.Delete(version);
            }

            return;
        }

        File.WriteAllText(version, image.Key);
        // The version file is written after the image: an image newer than it was changed here since.
        File.SetLastWriteTimeUtc(version, File.GetLastWriteTimeUtc(localPath) > DateTime.UtcNow ? File.GetLastWriteTimeUtc(localPath) : DateTime.UtcNow);
    }

    /// <summary>True when the cached file is the catalog's current image of <paramref name="volume"/> (or it has none in the store).</summary>
    public bool IsCurrent(VolumeRecord volume, string localPath)
    {
        if (volume.Stored is not { } stored)
        {
            // Never uploaded: whatever is here is this server's own (or nothing, and it is created at first mount).
            return !File.Exists(VersionPath(localPath));
        }

        var version = VersionPath(localPath);
        return File.Exists(localPath) && File.Exists(version) && File.ReadAllText(version) == stored.Key
            && new FileInfo(localPath).Length == stored.Size;
    }

    /// <summary>True when the cached image was written here after it was last recalled or uploaded (a mount changed it).</summary>
    public bool ChangedHere(string localPath)
    {
        var version = VersionPath(localPath);
        return File.Exists(localPath) && (!File.Exists(version) || File.GetLastWriteTimeUtc(localPath) > File.GetLastWriteTimeUtc(version));
    }

    public override bool TryMakeCurrent(VolumeRecord volume, string localPath, out string? error)
    {
        error = null;
        if (IsCurrent(volume, localPath))
        {
            return true;
        }

        try
        {
            Recall(volume, localPath);
            return true;
        }
        catch (VolumeStoreException e)
        {
            error = e.Message;
            return false;
        }
    }

    /// <summary>
    /// Starts recalling <paramref name="volume"/> into <paramref name="localPath"/> in the background (or
    /// joins the recall already running); the task ends when the cache holds the current image.
    /// </summary>
    public Task BeginRecall(VolumeRecord volume, string localPath) =>
        _recalls.GetOrAdd(volume.Serial.Value, _ => Task.Run(() =>
        {
            try
            {
                Recall(volume, localPath);
            }
            finally
            {
                _recalls.TryRemove(volume.Serial.Value, out Task? _);
            }
        }));

    private void Recall(VolumeRecord volume, string localPath)
    {
        var stored = volume.Stored!;
        MakeRoom(stored.Size);
        Directory.CreateDirectory(Path.GetDirectoryName(localPath)!);
        File.Delete(VersionPath(localPath));
        Store.Download(stored.Key, stored.Size, stored.Sha256, localPath);
        Placed(volume.Serial, localPath, stored);
    }

    /// <summary>Drops the cached image of a volume that starts afresh (a scratch mount writes new labels; nothing old is read).</summary>
    public void Discard(string localPath)
    {
        if (!Directory.Exists(Path.GetDirectoryName(localPath)))
        {
            return; // nothing cached yet: a new server's first mount (File.Delete throws for a missing folder)
        }

        File.Delete(VersionPath(localPath));
        File.Delete(localPath);
    }

    /// <summary>The volume is mounted here (pinned in the cache until <see cref="Unpin"/>).</summary>
    public void Pin(VolumeSerial serial) => _inUse.AddOrUpdate(serial.Value, 1, (_, n) => n + 1);

    public void Unpin(VolumeSerial serial)
    {
        if (_inUse.AddOrUpdate(serial.Value, 0, (_, n) => n - 1) <= 0)
        {
            _inUse.TryRemove(serial.Value, out _);
        }
    }

    /// <summary>Evicts least recently used images (in the store, unchanged here, not in use) until <paramref name="needed"/> more bytes fit.</summary>
    public long MakeRoom(long needed)
    {
        lock (_evictLock)
        {
            if (!Directory.Exists(_layout.VolumesDirectory))
            {
                return 0;
            }

            var images = new DirectoryInfo(_layout.VolumesDirectory).EnumerateFiles()
                .Where(f => !f.Name.StartsWith('.') && f.Extension is ".aws" or ".het")
                .ToList();
            long total = images.Sum(f => f.Length);
            long evicted = 0;
            var candidates = images
                .Select(f => (Image: f, Version: new FileInfo(VersionPath(f.FullName))))
                .Where(c => c.Version.Exists && c.Image.LastWriteTimeUtc <= c.Version.LastWriteTimeUtc
                            && !_inUse.ContainsKey(Path.GetFileNameWithoutExtension(c.Image.Name)))
                .OrderBy(c => c.Version.LastWriteTimeUtc);
            foreach (var (image, version) in candidates)
            {
                if (total + needed <= CacheLimit)
                {
                    break;
                }

                total -= image.Length;
                evicted += image.Length;
                image.Delete();
                version.Delete();
            }

            return evicted;
        }
    }

    /// <summary>Marks the cached image of a volume as just used (least-recently-used order).</summary>
    public void Touch(string localPath)
    {
        var version = VersionPath(localPath);
        if (File.Exists(version) && !ChangedHere(localPath))
        {
            var now = DateTime.UtcNow;
            File.SetLastWriteTimeUtc(localPath, now);
            File.SetLastWriteTimeUtc(version, now);
        }
    }

    public void Dispose() => Store.Dispose();

    private static string VersionPath(string localPath) =>
        Path.Combine(Path.GetDirectoryName(localPath)!, "." + Path.GetFileNameWithoutExtension(localPath) + VersionSuffix);
}
