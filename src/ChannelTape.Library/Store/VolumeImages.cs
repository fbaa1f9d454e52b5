using ChannelTape.Labels;
using ChannelTape.Library.Catalog;

namespace ChannelTape.Library.Store;

/// <summary>
/// Where a library's volume images live. <see cref="LocalVolumeImages"/>: in the data folder and nowhere
/// else (the embedded default). <see cref="CachedStoreImages"/>: in an object store (S3), with the data
/// folder as this server's cache of them; the catalog names the current object of every volume.
/// </summary>
public abstract class VolumeImages
{
    /// <summary>True when images are kept in a store beyond the data folder.</summary>
    public virtual bool HasStore => false;

    /// <summary>Where the images are, for messages.</summary>
    public abstract string Description { get; }

    /// <summary>
    /// Uploads the complete image at <paramref name="localPath"/> as a new object for <paramref name="serial"/>
    /// (checksummed), or null without a store. The catalog names it only once the caller commits.
    /// </summary>
    public abstract StoredImage? Upload(VolumeSerial serial, string localPath);

    /// <summary>
    /// Removes the object <paramref name="key"/>, which no catalog row names: an upload the catalog never came
    /// to name (a refused import, a fenced upload), or the version a newer upload superseded.
    /// </summary>
    public abstract void Forget(string key);

    /// <summary>The file at <paramref name="localPath"/> is now the image <paramref name="image"/> (the cache remembers which).</summary>
    public abstract void Placed(VolumeSerial serial, string localPath, StoredImage? image);

    /// <summary>
    /// Makes the file at <paramref name="localPath"/> the volume's current image, recalling it from the store
    /// when the cache lacks it or holds another version; true when the file is current (or the volume has
    /// no image yet: it is created at its first mount).
    /// </summary>
    public abstract bool TryMakeCurrent(VolumeRecord volume, string localPath, out string? error);
}

/// <summary>Images in the data folder only: nothing to upload or recall.</summary>
public sealed class LocalVolumeImages : VolumeImages
{
    public override string Description => "the data folder";

    public override StoredImage? Upload(VolumeSerial serial, string localPath) => null;

    public override void Forget(string key)
    {
    }

    public override void Placed(VolumeSerial serial, string localPath, StoredImage? image)
    {
    }

    public override bool TryMakeCurrent(VolumeRecord volume, string localPath, out string? error)
    {
        error = null;
        return true;
    }
}
