using System.Text.Json;
using System.Text.Json.Serialization;
using ChannelTape.Library.Store;

namespace ChannelTape.Library.Catalog;

/// <summary>
/// Which shared library a data folder belongs to: the PostgreSQL catalog and the S3 store that
/// <c>ctape serve --catalog ... --store ...</c> (or the configuration's <c>storage</c> block) named, kept in
/// <c>DATA/library.json</c> so that <c>ctape volume</c> and <c>ctape status</c> on the same folder work on the
/// same library. Without it a data folder is an embedded library (SQLite, images in the folder).
/// </summary>
/// <param name="Catalog">Npgsql connection string of the shared catalog, or null for the folder's SQLite catalog.</param>
/// <param name="Store">S3 location (<c>s3://BUCKET[/PREFIX]</c>), or null when images stay in the folder.</param>
/// <param name="S3Endpoint">S3 endpoint URL (Ceph RGW, MinIO), or null for AWS.</param>
/// <param name="CacheLimit">Bytes of images the folder keeps as a cache of the store.</param>
public sealed record LibraryBinding(string? Catalog, string? Store, string? S3Endpoint, long CacheLimit)
{
    public const string FileName = "library.json";

    /// <summary>Default cache bound: 20 GiB of images.</summary>
    public const long DefaultCacheLimit = 20L << 30;

    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static string PathIn(string dataDirectory) => Path.Combine(Path.GetFullPath(dataDirectory), FileName);

    /// <summary>The binding of <paramref name="dataDirectory"/>, or null when it has none.</summary>
    public static LibraryBinding? Read(string dataDirectory)
    {
        var path = PathIn(dataDirectory);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<LibraryBinding>(File.ReadAllText(path), s_json)
                ?? throw new InvalidDataException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} does not say which library the folder belongs to: {e.Message}", e);
        }
    }

    /// <summary>Writes the binding into <paramref name="dataDirectory"/> (readable by its owner only: the connection string may hold a password).</summary>
    public void Write(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = PathIn(dataDirectory);
        var partial = path + ".partial";
        File.WriteAllText(partial, JsonSerializer.Serialize(this, s_json));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(partial, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(partial, path, overwrite: true);
    }

    /// <summary>
    /// Opens the library: its catalog (PostgreSQL for <paramref name="serverName"/>, or the folder's SQLite)
    /// with the store's images in front of the folder when there is a store. Throws <see cref="ArgumentException"/>
    /// for a connection string or location that does not parse, <see cref="System.Data.Common.DbException"/> for a
    /// catalog that cannot be reached, <see cref="VolumeStoreException"/> for a store that cannot be reached.
    /// </summary>
    public LibraryCatalog Open(string dataDirectory, TimeProvider? time = null, string serverName = "")
    {
        S3VolumeStore? store = null;
        if (Store is not null)
        {
            if (!S3Location.TryParse(Store, out var location, out var error))
            {
                throw new ArgumentException(error);
            }

            store = new S3VolumeStore(location, S3Endpoint);
        }

        try
        {
            store?.EnsureBucket();
            LibraryCatalog catalog = Catalog is null
                ? SqliteCatalog.Open(dataDirectory, time)
                : PostgresCatalog.Open(Catalog, dataDirectory, serverName, time);
            if (store is not null)
            {
                catalog.UseImages(new CachedStoreImages(store, catalog.Layout, CacheLimit));
            }

            return catalog;
        }
        catch
        {
            store?.Dispose();
            throw;
        }
    }
}
