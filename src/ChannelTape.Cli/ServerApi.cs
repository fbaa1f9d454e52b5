using System.Net;
using ChannelTape.Client;
using ChannelTape.Client.Management;

namespace ChannelTape.Cli;

/// <summary>
/// The management API of the server a command names with <c>--server HOST:PORT</c> (docs/operations.md): its
/// address is the one the tape server announces in its HelloReply (a Hello and a Close, no drive taken, so it
/// works while Hercules holds every drive), or <c>--api URL</c>. The token is the secret of
/// <c>--secret-file</c> (or <c>$CTAPE_SECRET_FILE</c>). A server without the API (<c>http none</c>) is reached
/// in-band through a free drive instead, as a mainframe host reaches it (<see cref="ServerLibrary"/>).
/// </summary>
internal static class ServerApi
{
    /// <summary>A client of the server's API, or null when the server announces none.</summary>
    public static ManagementClient? TryOpen(ServerTarget target)
    {
        var options = target.DeviceOptions(new RemoteDeviceOptions { HostName = "ctape", Reconnect = false, Timeout = TimeSpan.FromSeconds(10) });
        var address = target.Api;
        if (address is null)
        {
            string? announced;
            try
            {
                announced = ServerGreeting.Greet(target.Address.Host, target.Address.Port, options).ManagementAddress;
            }
            catch (RemoteDeviceException e)
            {
                throw new CommandFailedException($"server {target.Address}: {e.Message}");
            }

            if (announced is null || !Uri.TryCreate(announced, UriKind.Absolute, out address))
            {
                return null;
            }

            address = Reachable(address, target.Address.Host);
        }

        return new ManagementClient(address, Token(options.SecretFile));
    }

    /// <summary>Runs one request; a refusal or an unreachable API is a failure with the server's words.</summary>
    public static T Call<T>(ManagementClient api, Func<ManagementClient, Task<T>> request)
    {
        try
        {
            return request(api).GetAwaiter().GetResult();
        }
        catch (ManagementException e)
        {
            throw new CommandFailedException(e.Message);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
        {
            throw new CommandFailedException($"management API {api.BaseAddress}: {e.Message}");
        }
    }

    /// <summary>
    /// An API listening on every address (<c>http 0.0.0.0:7491</c>) announces that address: reach it at the
    /// host the tape server was reached at.
    /// </summary>
    private static Uri Reachable(Uri announced, string serverHost)
    {
        if (!IPAddress.TryParse(announced.Host.Trim('[', ']'), out var ip) || !(ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)))
        {
            return announced;
        }

        return new UriBuilder(announced) { Host = serverHost.Trim('[', ']') }.Uri;
    }

    /// <summary>The secret as the API compares it: the file's content without its trailing line end; null without a file.</summary>
    private static string? Token(string? secretFile)
    {
        if (secretFile is null)
        {
            return null;
        }

        try
        {
            return File.ReadAllText(secretFile).TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CommandFailedException($"secret file {secretFile}: {e.Message}");
        }
    }
}
