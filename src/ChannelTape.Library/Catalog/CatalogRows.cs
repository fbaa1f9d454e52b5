using System.Data.Common;
using ChannelTape.Labels;
using ChannelTape.Library.Configuration;

namespace ChannelTape.Library.Catalog;

/// <summary>
/// Rows as both catalog engines read them: the same columns in the same order (<c>VolumeColumns</c>,
/// <c>MountColumns</c> of each engine), checked the same way.
/// </summary>
internal static class CatalogRows
{
    public static VolumeRecord ReadVolume(DbDataReader reader)
    {
        var serial = ReadSerial(reader.GetString(0));
        var imagePath = reader.GetString(13);
        // The image path is derived from the serial; a row saying anything else was not written by us.
        if (imagePath != StorageLayout.RelativeImagePath(serial, ImageFileKind.Aws)
            && imagePath != StorageLayout.RelativeImagePath(serial, ImageFileKind.Het))
        {
            throw new InvalidDataException($"catalog volume {serial} has image path '{imagePath}', which is not derived from its serial");
        }

        return new VolumeRecord(
            serial,
            reader.GetString(1),
            ParseStatus(reader.GetString(2)),
            MediaTypes.TryParse(reader.GetString(3), out var media) ? media : throw new InvalidDataException($"catalog volume {serial} has unknown media '{reader.GetString(3)}'"),
            reader.GetInt64(4),
            reader.GetInt64(5),
            reader.GetInt64(6),
            reader.IsDBNull(7) ? null : reader.GetString(7),
            LabelTypes.TryParse(reader.GetString(8), out var labels) ? labels : throw new InvalidDataException($"catalog volume {serial} has unknown label type '{reader.GetString(8)}'"),
            CatalogTime.Parse(reader.GetString(9)),
            reader.IsDBNull(10) ? null : CatalogTime.Parse(reader.GetString(10)),
            reader.IsDBNull(11) ? null : CatalogTime.Parse(reader.GetString(11)),
            reader.GetInt32(12),
            imagePath,
            reader.GetBoolean(14),
            reader.IsDBNull(15) ? null : (ushort)reader.GetInt32(15),
            reader.IsDBNull(16) ? null : new StoredImage(reader.GetString(16), reader.GetString(17), reader.GetInt64(18), reader.GetString(19)),
            reader.GetBoolean(20),
            reader.IsDBNull(21) || reader.GetString(21).Length == 0 ? null : reader.GetString(21));
    }

    public static MountRecord ReadMount(DbDataReader reader) => new(
        reader.GetInt64(0),
        ReadSerial(reader.GetString(1)),
        (ushort)reader.GetInt32(2),
        CatalogTime.Parse(reader.GetString(3)),
        reader.IsDBNull(4) ? null : CatalogTime.Parse(reader.GetString(4)),
        reader.IsDBNull(5) ? null : CatalogTime.Parse(reader.GetString(5)),
        reader.GetBoolean(6),
        reader.GetString(7));

    public static VolumeSerial ReadSerial(string text) =>
        VolumeSerial.TryParse(text, out var serial, out var error, out _)
            ? serial
            : throw new InvalidDataException($"catalog holds an invalid volume serial: {error}");

    public static string StatusText(VolumeStatus status) => status switch
    {
        VolumeStatus.Scratch => "scratch",
        VolumeStatus.Private => "private",
        VolumeStatus.Mounted => "mounted",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static VolumeStatus ParseStatus(string text) => text switch
    {
        "scratch" => VolumeStatus.Scratch,
        "private" => VolumeStatus.Private,
        "mounted" => VolumeStatus.Mounted,
        _ => throw new InvalidDataException($"catalog holds unknown volume status '{text}'"),
    };
}
