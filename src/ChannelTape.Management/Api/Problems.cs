using System.Globalization;
using System.Text.Json;
using ChannelTape.Labels;
using Microsoft.AspNetCore.Http;

namespace ChannelTape.Management;

/// <summary>
/// Every refusal of the API as RFC 9457 problem details (<c>application/problem+json</c>): a title that
/// names the kind of problem and a detail that says what to do. Nothing a client sends crashes the server:
/// bad device numbers, serials, JSON and values are answered here.
/// </summary>
public static class Problems
{
    public static IResult BadRequest(string detail) => Problem(StatusCodes.Status400BadRequest, "bad request", detail);

    public static IResult NotFound(string detail) => Problem(StatusCodes.Status404NotFound, "not found", detail);

    public static IResult Conflict(string title, string detail, IDictionary<string, object?>? extensions = null) =>
        Problem(StatusCodes.Status409Conflict, title, detail, extensions);

    public static IResult Forbidden(string detail) => Problem(StatusCodes.Status403Forbidden, "forbidden", detail);

    public static IResult Unavailable(string detail) => Problem(StatusCodes.Status503ServiceUnavailable, "not ready", detail);

    /// <summary>401 with <c>WWW-Authenticate: Bearer</c>.</summary>
    public static IResult Unauthorized(string detail) => new WithBearerChallenge(Problem(StatusCodes.Status401Unauthorized, "unauthorized", detail));

    public static IResult Problem(int status, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        Results.Problem(detail: detail, statusCode: status, title: title, extensions: extensions);

    /// <summary>A device number as the API writes it: 1-4 hex digits (<c>0580</c>, <c>580</c>).</summary>
    public static bool TryDevice(string text, out ushort device, out IResult? problem)
    {
        problem = null;
        if (text.Length is >= 1 and <= 4 && ushort.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out device))
        {
            return true;
        }

        device = 0;
        problem = BadRequest($"'{Shorten(text)}' is not a device number: 1 to 4 hex digits, such as 0580");
        return false;
    }

    /// <summary>A volume serial: six of A-Z 0-9 # @ $.</summary>
    public static bool TrySerial(string? text, out VolumeSerial serial, out IResult? problem)
    {
        problem = null;
        string? error = null;
        if (text is not null && VolumeSerial.TryParse(text, out serial, out error, out _))
        {
            return true;
        }

        serial = default;
        problem = BadRequest(text is null ? "a volume serial is needed" : $"'{Shorten(text)}' is not a volume serial: {error}");
        return false;
    }

    /// <summary>
    /// The request's JSON body as <typeparamref name="T"/>; a missing, malformed or wrongly typed body is a
    /// problem that says which. <paramref name="optional"/>: an empty body gives null without a problem.
    /// </summary>
    public static async Task<(T? Body, IResult? Problem)> ReadBodyAsync<T>(HttpRequest request, JsonSerializerOptions json, bool optional = false)
        where T : class
    {
        if (request.ContentLength == 0 || (request.ContentLength is null && !request.Headers.TransferEncoding.Any()))
        {
            return optional ? (null, null) : (null, BadRequest($"a JSON body is needed ({typeof(T).Name})"));
        }

        if (request.ContentType is { } type && !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problem(StatusCodes.Status415UnsupportedMediaType, "unsupported media type", $"the body must be application/json, not {Shorten(type)}"));
        }

        try
        {
            var body = await JsonSerializer.DeserializeAsync<T>(request.Body, json, request.HttpContext.RequestAborted).ConfigureAwait(false);
            return body is null ? (null, BadRequest("the body is JSON null; an object is needed")) : (body, null);
        }
        catch (JsonException e)
        {
            return (null, BadRequest($"the body is not the JSON expected ({typeof(T).Name}): {e.Message}"));
        }
        catch (Exception e) when (e is BadHttpRequestException or NotSupportedException or ArgumentException)
        {
            return (null, BadRequest($"the body cannot be read: {e.Message}"));
        }
    }

    public static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "...";

    private sealed class WithBearerChallenge(IResult inner) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => StatusCodes.Status401Unauthorized;

        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.WWWAuthenticate = "Bearer realm=\"ctape\"";
            return inner.ExecuteAsync(httpContext);
        }
    }
}
