using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace ChannelTape.Client.Management;

/// <summary>
/// The management API of a running <c>ctape serve</c> (docs/operations.md) from .NET: typed reads of drives,
/// mounts, volumes, pools, events and statistics, and the operator's actions. Every refusal the server
/// answers with (problem details) becomes a <see cref="ManagementException"/> carrying the server's message.
/// </summary>
public sealed class ManagementClient : IDisposable
{
    private static readonly JsonSerializerOptions s_json = new(JsonSerializerDefaults.Web);

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <param name="baseAddress">The API's address, e.g. <c>http://127.0.0.1:7491/</c>.</param>
    /// <param name="token">The server's secret, sent as a bearer token; null when the server has none.</param>
    public ManagementClient(Uri baseAddress, string? token = null)
        : this(new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(10) }, token, ownsHttp: true)
    {
    }

    /// <param name="http">A client whose <see cref="HttpClient.BaseAddress"/> is the API's address.</param>
    /// <param name="token">The server's secret, sent as a bearer token; null when the server has none.</param>
    public ManagementClient(HttpClient http, string? token = null)
        : this(http, token, ownsHttp: false)
    {
    }

    private ManagementClient(HttpClient http, string? token, bool ownsHttp)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _ownsHttp = ownsHttp;
        if (_http.BaseAddress is null)
        {
            throw new ArgumentException("the HttpClient needs a BaseAddress (the management API's address)", nameof(http));
        }

        Token = token;
    }

    /// <summary>The bearer token sent with every request; null for none.</summary>
    public string? Token { get; }

    /// <summary>The API's address.</summary>
    public Uri BaseAddress => _http.BaseAddress!;

    /// <summary>The API's address from an <c>ADDR:PORT</c> as <c>ctape serve --http</c> takes it.</summary>
    public static Uri AddressOf(string hostAndPort) =>
        Uri.TryCreate($"http://{hostAndPort}/", UriKind.Absolute, out var uri) ? uri : throw new FormatException($"'{hostAndPort}' is not ADDR:PORT");

    public Task<ServerInfo> ServerAsync(CancellationToken cancellation = default) => GetAsync<ServerInfo>("api/server", cancellation);

    public Task<IReadOnlyList<DriveStatus>> DrivesAsync(CancellationToken cancellation = default) =>
        GetAsync<IReadOnlyList<DriveStatus>>("api/drives", cancellation);

    public Task<DriveStatus> DriveAsync(ushort device, CancellationToken cancellation = default) =>
        GetAsync<DriveStatus>($"api/drives/{Hex(device)}", cancellation);

    public Task<MountsInfo> MountsAsync(CancellationToken cancellation = default) => GetAsync<MountsInfo>("api/mounts", cancellation);

    /// <summary>The catalog's mount history, newest first, of one drive and/or one volume, at most <paramref name="limit"/>.</summary>
    public Task<IReadOnlyList<MountHistoryEntry>> MountHistoryAsync(ushort? device = null, string? volser = null, int limit = 100,
        CancellationToken cancellation = default) =>
        GetAsync<IReadOnlyList<MountHistoryEntry>>(
            $"api/mounts/history{Query(("device", device is { } d ? Hex(d) : null), ("volser", volser), ("limit", Number(limit)))}", cancellation);

    /// <summary>Volumes in serial order, of one pool and/or status (scratch, private, mounted), <paramref name="limit"/> from <paramref name="offset"/>.</summary>
    public Task<VolumePage> VolumesAsync(string? pool = null, string? status = null, int offset = 0, int limit = 100,
        CancellationToken cancellation = default) =>
        GetAsync<VolumePage>(
            $"api/volumes{Query(("pool", pool), ("status", status), ("offset", Number(offset)), ("limit", Number(limit)))}", cancellation);

    public Task<VolumeInfo> VolumeAsync(string volser, CancellationToken cancellation = default) =>
        GetAsync<VolumeInfo>($"api/volumes/{Uri.EscapeDataString(volser)}", cancellation);

    public Task<IReadOnlyList<PoolInfo>> PoolsAsync(CancellationToken cancellation = default) =>
        GetAsync<IReadOnlyList<PoolInfo>>("api/pools", cancellation);

    /// <summary>Recent events, newest first: of one drive, after event <paramref name="after"/>, at most <paramref name="limit"/>.</summary>
    public Task<IReadOnlyList<EventInfo>> EventsAsync(ushort? device = null, long? after = null, int limit = 100, CancellationToken cancellation = default) =>
        GetAsync<IReadOnlyList<EventInfo>>(
            $"api/events{Query(("device", device is { } d ? Hex(d) : null), ("after", after?.ToString(CultureInfo.InvariantCulture)), ("limit", Number(limit)))}",
            cancellation);

    public Task<StatisticsInfo> StatisticsAsync(CancellationToken cancellation = default) => GetAsync<StatisticsInfo>("api/statistics", cancellation);

    /// <summary>Mounts the library volume <paramref name="volser"/> on the drive (as the wire protocol's Mount); the drive after it.</summary>
    public Task<DriveStatus> MountAsync(ushort device, string volser, bool readOnly = false, CancellationToken cancellation = default) =>
        PostAsync<DriveStatus>($"api/drives/{Hex(device)}/mount", new MountRequestBody(volser, readOnly), cancellation);

    /// <summary>Unloads the drive (its library volume goes back to the catalog); the drive after it.</summary>
    public Task<DriveStatus> UnloadAsync(ushort device, CancellationToken cancellation = default) =>
        PostAsync<DriveStatus>($"api/drives/{Hex(device)}/unload", null, cancellation);

    public Task<AddVolumesResult> AddVolumesAsync(AddVolumesBody volumes, CancellationToken cancellation = default) =>
        PostAsync<AddVolumesResult>("api/volumes", volumes, cancellation);

    public Task<VolumeInfo> ScratchAsync(string volser, CancellationToken cancellation = default) =>
        PostAsync<VolumeInfo>($"api/volumes/{Uri.EscapeDataString(volser)}/scratch", null, cancellation);

    public Task<VolumeInfo> UnscratchAsync(string volser, CancellationToken cancellation = default) =>
        PostAsync<VolumeInfo>($"api/volumes/{Uri.EscapeDataString(volser)}/unscratch", null, cancellation);

    public Task<VolumeInfo> MoveAsync(string volser, string pool, CancellationToken cancellation = default) =>
        PostAsync<VolumeInfo>($"api/volumes/{Uri.EscapeDataString(volser)}/move", new MoveBody(pool), cancellation);

    public Task<TransferResult> ImportAsync(string volser, ImportBody import, CancellationToken cancellation = default) =>
        PostAsync<TransferResult>($"api/volumes/{Uri.EscapeDataString(volser)}/import", import, cancellation);

    public Task<TransferResult> ExportAsync(string volser, ExportBody export, CancellationToken cancellation = default) =>
        PostAsync<TransferResult>($"api/volumes/{Uri.EscapeDataString(volser)}/export", export, cancellation);

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private async Task<T> GetAsync<T>(string path, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        return await SendAsync<T>(request, cancellation).ConfigureAwait(false);
    }

    private async Task<T> PostAsync<T>(string path, object? body, CancellationToken cancellation)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = body is null ? null : JsonContent.Create(body, body.GetType(), options: s_json),
        };
        return await SendAsync<T>(request, cancellation).ConfigureAwait(false);
    }

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellation)
    {
        if (Token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }

        using var response = await _http.SendAsync(request, cancellation).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ManagementException.FromAsync(response, cancellation).ConfigureAwait(false);
        }

        return await response.Content.ReadFromJsonAsync<T>(s_json, cancellation).ConfigureAwait(false)
            ?? throw new ManagementException(response.StatusCode, "empty answer", $"{request.RequestUri} answered without a body", null);
    }

    private static string Hex(ushort device) => device.ToString("X4", CultureInfo.InvariantCulture);

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var given = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return given.Count == 0 ? "" : "?" + string.Join("&", given);
    }
}

/// <summary>The management API refused a request; <see cref="Exception.Message"/> is the server's explanation.</summary>
/// <param name="status">The HTTP status.</param>
/// <param name="title">The problem's title (e.g. "volume mounted").</param>
/// <param name="detail">What the server said.</param>
/// <param name="refusal">For a refused mount, the refusal's reason (e.g. <c>VolumeMounted</c>); otherwise null.</param>
public sealed class ManagementException(HttpStatusCode status, string title, string detail, string? refusal)
    : Exception(string.IsNullOrEmpty(detail) ? title : detail)
{
    public HttpStatusCode Status { get; } = status;

    public string Title { get; } = title;

    public string? Refusal { get; } = refusal;

    internal static async Task<ManagementException> FromAsync(HttpResponseMessage response, CancellationToken cancellation)
    {
        var text = await response.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false);
        try
        {
            using var problem = JsonDocument.Parse(text);
            var root = problem.RootElement;
            return new ManagementException(response.StatusCode, Text(root, "title") ?? response.ReasonPhrase ?? "refused",
                Text(root, "detail") ?? "", Text(root, "refusal"));
        }
        catch (JsonException)
        {
            return new ManagementException(response.StatusCode, response.ReasonPhrase ?? "refused",
                $"HTTP {(int)response.StatusCode}: {(text.Length > 200 ? text[..200] : text)}", null);
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
