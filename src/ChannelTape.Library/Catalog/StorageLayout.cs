using ChannelTape.Labels;
using ChannelTape.Library.Configuration;

namespace ChannelTape.Library.Catalog;

/// <summary>
/// Files under a data directory: <c>catalog.db</c> and <c>volumes/VOLSER.aws|het</c>. Image file
/// names come only from a validated <see cref="VolumeSerial"/> (A-Z 0-9 # @ $), so no path can be
/// smuggled in through a serial.
/// </summary>
public sealed class StorageLayout(string dataDirectory)
{
    public const string CatalogFileName = "catalog.db";
    public const string ReserveFileName = "catalog.reserve";

    /// <summary>Size of the space the catalog keeps for commits on a full disk.</summary>
    public const int ReserveBytes = 4 * 1024 * 1024;
    public const string VolumesDirectoryName = "volumes";

    /// <summary>Absolute data directory.</summary>
    public string DataDirectory { get; } = Path.GetFullPath(dataDirectory);

    public string CatalogPath => Path.Combine(DataDirectory, CatalogFileName);

    /// <summary>A file of zeros the catalog deletes when a commit that must happen finds the disk full (an unload).</summary>
    public string ReservePath => Path.Combine(DataDirectory, ReserveFileName);

    public string VolumesDirectory => Path.Combine(DataDirectory, VolumesDirectoryName);

    /// <summary>Image path relative to the data directory, with '/' separators (as stored in the catalog).</summary>
    public static string RelativeImagePath(VolumeSerial serial, ImageFileKind kind) =>
        $"{VolumesDirectoryName}/{serial.Value}.{(kind == ImageFileKind.Aws ? "aws" : "het")}";

    /// <summary>Absolute image path of <paramref name="serial"/>.</summary>
    public string ImagePath(VolumeSerial serial, ImageFileKind kind) =>
        Path.Combine(DataDirectory, RelativeImagePath(serial, kind));

    /// <summary>Absolute image path of a catalog record.</summary>
    public string ImagePath(VolumeRecord volume) => Path.Combine(DataDirectory, volume.ImagePath);
}
