using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library;
using ChannelTape.Library.Configuration;

namespace ChannelTape.Testing;

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualTime(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}

/// <summary>Catalog fixtures for tests: a start time, serials and ranges, new-volume settings, a catalog with drives.</summary>
public static class CatalogTestSupport
{
    public static readonly DateTimeOffset Start = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    public static VolumeSerial Serial(string text) => VolumeSerial.Parse(text);

    public static VolumeRange Range(string text)
    {
        return VolumeRange.TryParse(text, out var range, out var error) ? range! : throw new FormatException(error);
    }

    public static NewVolumes Scratch(string pool = "SCRATCH") =>
        new(pool, MediaType.Eccst, 800L * 1024 * 1024, LabelType.Standard, Scratch: true, ImageFileKind.Aws);

    /// <summary>Catalog with drives 0580-0587 (from a configuration without pools).</summary>
    public static LibraryCatalog OpenWithDrives(string directory, TimeProvider? time = null)
    {
        var catalog = LibraryCatalog.Open(directory, time);
        var configuration = ConfigurationParser.ParseText("drive 0580-0587;", "drives.conf", directory).Configuration!;
        catalog.SyncFromConfiguration(configuration);
        return catalog;
    }
}
