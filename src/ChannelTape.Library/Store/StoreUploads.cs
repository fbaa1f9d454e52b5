using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Runtime.Events;

namespace ChannelTape.Library.Store;

/// <summary>
/// Uploads of changed images after a demount. The mount stays open in the catalog (the volume held by this
/// server) until its image is in the store and the catalog names it; only then is the mount ended and the
/// volume free for other servers. An upload that fails marks the volume mounted-dirty and is retried with a
/// growing pause (1 s doubling to 30 s) until it succeeds, so nothing the host was told is written is lost
/// while the store is away; a restart finds the dirty volume's open mount and uploads it then
/// (<see cref="Mounts.StoreRecovery"/>). Once the catalog names the new object the one it superseded is deleted.
/// </summary>
public sealed class StoreUploads(LibraryCatalog catalog, CachedStoreImages store, TapeEventHub? events) : IAsyncDisposable
{
    private static readonly TimeSpan s_firstPause = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan s_longestPause = TimeSpan.FromSeconds(30);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _lock = new();
    private readonly List<Task> _retries = [];

    /// <summary>Volumes waiting for an upload to succeed (mounted-dirty).</summary>
    public int Pending
    {
        get
        {
            lock (_lock)
            {
                _retries.RemoveAll(t => t.IsCompleted);
                return _retries.Count;
            }
        }
    }

    /// <summary>Uploads now; when that fails, keeps the volume mounted-dirty and retries in the background.</summary>
    public void Upload(ushort deviceNumber, VolumeSerial serial, string path, long mountId)
    {
        if (TryUpload(deviceNumber, serial, path, mountId, attempt: 1, out var failure))
        {
            return;
        }

        Defer(deviceNumber, serial, path, mountId, 1, failure);
    }

    private void Defer(ushort deviceNumber, VolumeSerial serial, string path, long mountId, int attempts, string failure)
    {
        try
        {
            catalog.SetDirty(serial, dirty: true);
        }
        catch (System.Data.Common.DbException)
        {
            // The catalog is away too: the open mount still holds the volume; the retry marks nothing, it uploads.
        }

        var pause = Pause(attempts);
        events?.Publish(new VolumeUploadDeferred(deviceNumber, serial.Value, attempts, pause, failure));
        var retry = Task.Run(async () =>
        {
            for (int attempt = attempts + 1; !_stop.IsCancellationRequested; attempt++)
            {
                try
                {
                    await Task.Delay(Pause(attempt - 1), _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return; // stopping: the volume stays mounted-dirty, the next start uploads it
                }

                if (TryUpload(deviceNumber, serial, path, mountId, attempt, out var again))
                {
                    return;
                }

                events?.Publish(new VolumeUploadDeferred(deviceNumber, serial.Value, attempt, Pause(attempt), again));
            }
        });
        lock (_lock)
        {
            _retries.RemoveAll(t => t.IsCompleted);
            _retries.Add(retry);
        }
    }

    private static TimeSpan Pause(int attempts) =>
        TimeSpan.FromTicks(Math.Min(s_longestPause.Ticks, s_firstPause.Ticks << Math.Min(attempts - 1, 10)));

    private bool TryUpload(ushort deviceNumber, VolumeSerial serial, string path, long mountId, int attempt, out string failure)
    {
        failure = "";
        StoredImage image;
        try
        {
            image = store.Upload(serial, path)!;
        }
        catch (Exception e) when (e is VolumeStoreException or IOException)
        {
            failure = e.Message;
            return false;
        }

        try
        {
            if (!catalog.RecordStoredImage(serial, image, mountId, out var superseded))
            {
                // Another server ended this mount (our lease ran out): what was written here is not the volume's.
                store.Forget(image.Key);
                var kept = KeepAside(serial, path, mountId);
                store.Unpin(serial);
                events?.Publish(new VolumeWritesFenced(deviceNumber, serial.Value, kept));
                return true;
            }

            if (superseded is not null)
            {
                // Nothing names the previous version any more (a recall by another server needs the mount this one
                // holds). Deleted before the mount ends: a retry after a failure below would not know its key.
                store.Forget(superseded);
            }

            store.Placed(serial, path, image);
            catalog.EndMount(mountId);
        }
        catch (System.Data.Common.DbException e)
        {
            failure = $"catalog: {e.Message}";
            return false;
        }

        store.Unpin(serial);
        events?.Publish(new VolumeUploaded(deviceNumber, serial.Value, image.Size, attempt));
        return true;
    }

    private static string KeepAside(VolumeSerial serial, string path, long mountId)
    {
        var folder = Path.Combine(Path.GetDirectoryName(path)!, "fenced");
        Directory.CreateDirectory(folder);
        var kept = Path.Combine(folder, $"{serial.Value}.mount{mountId}{Path.GetExtension(path)}");
        if (File.Exists(path))
        {
            File.Move(path, kept, overwrite: true);
        }

        return kept;
    }

    /// <summary>Waits up to <paramref name="patience"/> for pending uploads (a clean stop), then stops retrying.</summary>
    public async Task DrainAsync(TimeSpan patience)
    {
        Task[] pending;
        lock (_lock)
        {
            pending = [.. _retries];
        }

        await Task.WhenAny(Task.WhenAll(pending), Task.Delay(patience)).ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
