using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Store;

namespace ChannelTape.Library.Mounts;

/// <summary>
/// Start-up recovery of a library whose images are in a store (the counterpart of
/// <see cref="LibraryRecovery"/>, which rescans every image: here the cache holds other servers' old
/// versions, so only this server's own open mounts are looked at). A mount left open by this server's
/// previous run whose cached image changed since it was recalled (written before a crash, or a demount
/// whose upload never finished) is rescanned and uploaded before the mount ends — deferred and retried,
/// the volume mounted-dirty, when the store is away; the other open mounts end as after any restart.
/// </summary>
public static class StoreRecovery
{
    public static ReconcileResult Reconcile(LibraryCatalog catalog, LibraryConfiguration configuration, CachedStoreImages store, StoreUploads uploads)
    {
        var rescanned = new List<VolumeSerial>();
        var torn = new List<VolumeSerial>();
        int ended = 0;
        foreach (var mount in catalog.OpenMounts().Where(m => m.Server == catalog.ServerName))
        {
            if (catalog.FindVolume(mount.Serial) is not { } volume)
            {
                catalog.EndMount(mount.Id);
                continue;
            }

            var path = catalog.Layout.ImagePath(volume);
            if (store.ChangedHere(path))
            {
                if (VolumeScanner.CutTornTail(path) > 0)
                {
                    torn.Add(volume.Serial);
                }

                var summary = VolumeScanner.Scan(path, volume.Labels);
                catalog.RecordScan(volume.Serial, summary.ImageSize, summary.DataBlocks, summary.FirstDataSetName,
                    new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero));
                rescanned.Add(volume.Serial);
                store.Pin(volume.Serial);
                uploads.Upload(mount.DeviceNumber, volume.Serial, path, mount.Id);
                ended++;
                continue;
            }

            catalog.EndMount(mount.Id);
            ended++;
        }

        // A drive whose upload is still deferred keeps its open mount (and so its state) until the upload ends it.
        int drivesReset = uploads.Pending == 0 ? catalog.ResetDrives() : 0;
        int partials = 0;
        if (Directory.Exists(catalog.Layout.VolumesDirectory))
        {
            foreach (var partial in Directory.EnumerateFiles(catalog.Layout.VolumesDirectory, "*" + LibraryRecovery.PartialMarker + "*", new EnumerationOptions { AttributesToSkip = 0 }))
            {
                File.Delete(partial);
                partials++;
            }
        }

        int pruned = catalog.PruneMountHistory(configuration.Limits.MountHistory);
        return new ReconcileResult(ended, drivesReset, rescanned, [], partials, pruned, torn);
    }
}
