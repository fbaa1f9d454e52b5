using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace ChannelTape.Management;

/// <summary>
/// Who may do what (docs/operations.md, "Access"): with a secret configured, every write needs it as a
/// bearer token, and so does every read from an address outside loopback; without one everything is open
/// to whoever reaches the address. The health checks and the page's own files (no data) are always open. A
/// write whose <c>Origin</c> is another site is refused whatever the token, so a web page in an operator's
/// browser cannot unload a drive behind their back.
/// </summary>
public sealed class ManagementAccess(string? secret)
{
    private readonly byte[]? _secretHash = secret is null ? null : SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>A secret is configured.</summary>
    public bool HasSecret => _secretHash is not null;

    /// <summary>Paths open to anyone: liveness, readiness and the status page's files.</summary>
    public static bool IsOpen(PathString path) =>
        path == "/" || path == "/healthz" || path == "/readyz" || path.StartsWithSegments("/page") || path == "/favicon.ico";

    /// <summary>A request that changes something.</summary>
    public static bool IsWrite(HttpRequest request) =>
        !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method));

    public static bool IsLoopback(IPAddress? address) =>
        address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    /// <summary>Null when <paramref name="context"/> may go on; else the problem to answer with.</summary>
    public IResult? Check(HttpContext context)
    {
        var request = context.Request;
        if (IsOpen(request.Path))
        {
            return null;
        }

        var write = IsWrite(request);
        if (write && request.Headers.Origin is { Count: > 0 } origin && !SameOrigin(origin.ToString(), request))
        {
            return Problems.Forbidden($"a write from the web page at {origin} is refused: only pages of this server may change the library");
        }

        if (_secretHash is null || (!write && IsLoopback(context.Connection.RemoteIpAddress)))
        {
            return null;
        }

        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Problems.Unauthorized(write
                ? "this server has a secret: writes need it as 'Authorization: Bearer SECRET'"
                : "this server has a secret: reads from outside loopback need it as 'Authorization: Bearer SECRET'");
        }

        var given = SHA256.HashData(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()));
        return CryptographicOperations.FixedTimeEquals(given, _secretHash) ? null : Problems.Unauthorized("the bearer token is not this server's secret");
    }

    private static bool SameOrigin(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
}
