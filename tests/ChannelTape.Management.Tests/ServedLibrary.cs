using System.Net.Http.Headers;
using ChannelTape.Client.Management;
using ChannelTape.Hosting;
using ChannelTape.Library.Configuration;
using ChannelTape.Testing;

namespace ChannelTape.Management.Tests;

/// <summary>
/// A library served as <c>ctape serve</c> serves it (the embedded default: drives 0580-0587, pool SCRATCH
/// T00000-T00099) with its management API on 127.0.0.1 port 0, in a folder of its own.
/// </summary>
public sealed class ServedLibrary : IAsyncDisposable
{
    private ServedLibrary(string root, LibraryServer server)
    {
        Root = root;
        Server = server;
        Http = new HttpClient { BaseAddress = server.ManagementAddress };
        Client = new ManagementClient(Http);
    }

    public string Root { get; }

    public LibraryServer Server { get; }

    public HttpClient Http { get; }

    public ManagementClient Client { get; }

    public LibraryHost Host => Server.Host;

    /// <summary>
    /// The default configuration with <paramref name="extra"/> statements (a secret file, a transfer folder)
    /// added; <c>{root}</c> in them stands for the library's folder.
    /// </summary>
    public static ServedLibrary Start(string extra = "")
    {
        var root = Directory.CreateTempSubdirectory("ctape-ops-").FullName;
        var text = ConfigurationParser.DefaultText.Replace("\"./ctape-data\"", "\"data\"", StringComparison.Ordinal) + "\n" + extra.Replace("{root}", root, StringComparison.Ordinal);
        var result = ConfigurationParser.ParseText(text, "ops.conf", root);
        Assert.True(result.Success, string.Join("\n", result.Errors));
        return new ServedLibrary(root, LibraryServer.Start(result.Configuration!, management: true));
    }

    /// <summary>A request with JSON <paramref name="body"/> (raw text, to send what a client should not).</summary>
    public async Task<HttpResponseMessage> PostAsync(string path, string? body, string contentType = "application/json", string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (body is not null)
        {
            request.Content = new StringContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await Http.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Http.Dispose();
        await Server.DisposeAsync();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a late reader; the temporary folder is left behind.
        }
    }
}
