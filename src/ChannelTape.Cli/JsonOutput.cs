using System.Globalization;
using System.Text;
using System.Text.Json;
using ChannelTape.Admin.Reports;
using ChannelTape.Labels;
using ChannelTape.Library;
using ChannelTape.Library.Catalog;

namespace ChannelTape.Cli;

/// <summary>
/// The JSON every <c>--json</c> output follows (docs/json.md, a JSON Schema per output in docs/json/):
/// exactly one document per command; device numbers as 4 hex digits in a string ("0580"); counts and sizes
/// as numbers; times as ISO 8601 UTC strings, dates as yyyy-MM-dd; absent values as null; the same field
/// names whether the command read the catalog or a running server.
/// </summary>
public static class JsonOutput
{
    /// <summary>Writes one indented document and a newline.</summary>
    public static void Write(TextWriter output, Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            body(json);
        }

        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    public static string Device(int device) => device.ToString("X4", CultureInfo.InvariantCulture);

    public static void StringOrNull(this Utf8JsonWriter json, string name, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            json.WriteNull(name);
        }
        else
        {
            json.WriteString(name, value);
        }
    }

    public static void TimeOrNull(this Utf8JsonWriter json, string name, DateTimeOffset? value)
    {
        if (value is { } time)
        {
            json.WriteString(name, time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }
        else
        {
            json.WriteNull(name);
        }
    }

    public static void DateOrNull(this Utf8JsonWriter json, string name, DateOnly? value)
    {
        if (value is { } day)
        {
            json.WriteString(name, day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}

/// <summary>A volume as <c>volume list</c>, <c>volume show</c> and <c>lms volumes</c> print it, from the catalog or from a server's VOLUMES report.</summary>
/// <param name="MountedBy">
/// Shared library: the server holding the volume while it is mounted (from a server's VOLUMES report, the first
/// <see cref="VolumeStatusRow.ServerWidth"/> characters of its name); null otherwise.
/// </param>
public sealed record VolumeView(
    string Volser, string Pool, string Status, string Media, string Labels, bool ReadOnly, long Capacity, long BytesUsed,
    long Blocks, long MountCount, DateOnly? CreatedOn, DateOnly? LastMountedOn, string? DataSetName, ushort? MountedOn, string? MountedBy = null)
{
    public static VolumeView Of(VolumeRecord v) => new(
        v.Serial.Value, v.Pool, v.Status.ToString().ToLowerInvariant(), MediaTypes.Name(v.Media), LabelTypes.Name(v.Labels), v.ReadOnly,
        v.Capacity, v.BytesUsed, v.Blocks, v.MountCount, Day(v.CreatedAt), v.LastMountedAt is { } m ? Day(m) : null, v.DataSetName, v.MountedOn,
        v.Status == VolumeStatus.Mounted && !string.IsNullOrEmpty(v.MountedBy) ? v.MountedBy : null);

    /// <param name="v">The volume's row of the VOLUMES report.</param>
    /// <param name="mountedOn">The drive the DRIVES report shows it on, if any (the VOLUMES report does not say).</param>
    public static VolumeView Of(VolumeStatusRow v, ushort? mountedOn = null) => new(
        v.VolumeSerial, v.Pool, v.Status.ToLowerInvariant(), v.Media, v.Label, v.ReadOnly, v.Capacity, v.Used, v.Blocks, v.Mounts,
        v.Created is { } c ? Day(c) : null, v.LastMounted is { } m ? Day(m) : null, v.DataSetName.Length == 0 ? null : v.DataSetName,
        v.Status == "MOUNTED" ? mountedOn : null, v.Status == "MOUNTED" && v.Server.Length > 0 ? v.Server : null);

    /// <param name="v">A volume as the management API reports it (<c>/api/volumes</c>).</param>
    public static VolumeView Of(Client.Management.VolumeInfo v) => new(
        v.Volser, v.Pool, v.Status, v.Media, v.Labels, v.ReadOnly, v.Capacity, v.BytesUsed, v.Blocks, v.MountCount,
        Day(v.CreatedAt), v.LastMountedAt is { } m ? Day(m) : null, v.DataSetName,
        v.MountedOn is { } device ? ushort.Parse(device, NumberStyles.HexNumber, CultureInfo.InvariantCulture) : null);

    public void WriteTo(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("volser", Volser);
        json.WriteString("pool", Pool);
        json.WriteString("status", Status);
        json.WriteString("media", Media);
        json.WriteString("labels", Labels);
        json.WriteBoolean("readOnly", ReadOnly);
        json.WriteNumber("capacity", Capacity);
        json.WriteNumber("bytesUsed", BytesUsed);
        json.WriteNumber("blocks", Blocks);
        json.WriteNumber("mountCount", MountCount);
        json.DateOrNull("createdOn", CreatedOn);
        json.DateOrNull("lastMountedOn", LastMountedOn);
        json.StringOrNull("dataSetName", DataSetName);
        json.StringOrNull("mountedOn", MountedOn is { } device ? JsonOutput.Device(device) : null);
        json.StringOrNull("mountedBy", MountedBy);
        json.WriteEndObject();
    }

    private static DateOnly Day(DateTimeOffset time) => DateOnly.FromDateTime(time.UtcDateTime);
}

/// <summary>A drive as <c>status</c> prints it, from the catalog or from a server's DRIVES report.</summary>
/// <param name="State">empty, mounting (a volume asked for, not ready yet), loaded, or fenced.</param>
/// <param name="Since">When the volume was mounted, or the mount asked for; null when there is none.</param>
/// <param name="Server">
/// Shared library: the server the drive belongs to, so the server that holds its volume (the catalog lists every
/// server's drives); null in an embedded library and from a server's DRIVES report (those are that server's drives).
/// </param>
public sealed record DriveView(ushort Device, string Model, string State, string? Volser, DateTimeOffset? Since, string? Server = null)
{
    public static DriveView Of(DriveRecord drive, MountRecord? mount) => new(
        drive.DeviceNumber, ((int)drive.Model).ToString("X4", CultureInfo.InvariantCulture), drive.State.ToString().ToLowerInvariant(),
        drive.Volume?.Value ?? mount?.Serial.Value, mount is null ? null : mount.MountedAt ?? mount.RequestedAt,
        drive.Server.Length == 0 ? null : drive.Server);

    /// <param name="drive">A drive as the management API reports it (<c>/api/drives</c>).</param>
    public static DriveView Of(Client.Management.DriveStatus drive) => new(
        ushort.Parse(drive.Device, NumberStyles.HexNumber, CultureInfo.InvariantCulture), drive.Model,
        drive.State == "waiting" ? "mounting" : drive.State,
        drive.State == "waiting" ? drive.Pending?.Request : drive.Volume?.Volser,
        drive.State == "waiting" ? null : drive.Volume?.MountedAt);

    public static DriveView Of(DriveStatusRow row) => new(
        (ushort)row.DeviceNumber, row.Model,
        row.State switch { "READY" => "loaded", "NOTREADY" => "mounting", "FENCED" => "fenced", _ => "empty" },
        row.State == "NOTREADY" ? NullIfBlank(row.Request) : NullIfBlank(row.VolumeSerial),
        row.Mounted);

    public void WriteTo(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("device", JsonOutput.Device(Device));
        json.WriteString("model", Model);
        json.WriteString("state", State);
        json.StringOrNull("volser", Volser);
        json.TimeOrNull("since", Since);
        json.StringOrNull("server", Server);
        json.WriteEndObject();
    }

    private static string? NullIfBlank(string text) => text.Length == 0 ? null : text;
}

/// <summary>A pool's volume counts as <c>status</c> prints them.</summary>
public sealed record PoolView(string Pool, long Volumes, long Scratch, long Private, long Mounted)
{
    public static PoolView Of(PoolCounts pool) => new(pool.Pool, pool.Total, pool.Scratch, pool.Private, pool.Mounted);

    public static PoolView Of(PoolStatusRow pool) => new(pool.Pool, pool.Volumes, pool.Scratch, pool.Private, pool.Mounted);

    public static PoolView Of(Client.Management.PoolInfo pool) => new(pool.Name, pool.Volumes, pool.Scratch, pool.Private, pool.Mounted);

    public void WriteTo(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("pool", Pool);
        json.WriteNumber("volumes", Volumes);
        json.WriteNumber("scratch", Scratch);
        json.WriteNumber("private", Private);
        json.WriteNumber("mounted", Mounted);
        json.WriteEndObject();
    }
}
