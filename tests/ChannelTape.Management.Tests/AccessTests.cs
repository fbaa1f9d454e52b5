using System.Net;
using ChannelTape.Client.Management;
using Microsoft.AspNetCore.Http;

namespace ChannelTape.Management.Tests;

/// <summary>With a secret, writes need it as a bearer token, and so do reads from outside loopback; a foreign web page cannot write.</summary>
public sealed class AccessTests : IAsyncLifetime
{
    private const string Secret = "s3cret-token-for-tests";
    private ServedLibrary _library = null!;

    public Task InitializeAsync()
    {
        var root = Directory.CreateTempSubdirectory("ctape-secret-").FullName;
        File.WriteAllText(Path.Combine(root, "secret"), Secret + "\n");
        _library = ServedLibrary.Start($"secret-file \"{Path.Combine(root, "secret")}\";");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _library.DisposeAsync();

    [Fact]
    public async Task Writes_need_the_secret_as_a_bearer_token_and_loopback_reads_do_not()
    {
        using var response = await _library.PostAsync("api/drives/0580/unload", null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
        using var wrong = await _library.PostAsync("api/drives/0580/unload", null, token: "guess");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        var refused = await Assert.ThrowsAsync<ManagementException>(() => _library.Client.MountAsync(0x0580, "T00001"));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Equal("this server has a secret: writes need it as 'Authorization: Bearer SECRET'", refused.Message);
        Assert.True((await _library.Client.ServerAsync()).WritesNeedToken);

        using var withToken = new ManagementClient(_library.Http, Secret);
        Assert.Equal("loaded", (await withToken.MountAsync(0x0580, "T00001")).State);
        Assert.Equal(8, (await _library.Client.DrivesAsync()).Count);
        Assert.Equal("empty", (await _library.Client.DriveAsync(0x0581)).State);
    }

    [Fact]
    public async Task A_write_from_another_site_is_refused_even_with_the_token()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/drives/0580/unload");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Secret);
        request.Headers.Add("Origin", "http://evil.example");

        using var response = await _library.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [InlineData("10.1.2.3", "GET", "/api/drives", null, 401)]
    [InlineData("10.1.2.3", "GET", "/api/drives", Secret, 0)]
    [InlineData("10.1.2.3", "GET", "/metrics", null, 401)]
    [InlineData("10.1.2.3", "GET", "/healthz", null, 0)]
    [InlineData("10.1.2.3", "GET", "/", null, 0)]
    [InlineData("127.0.0.1", "GET", "/api/drives", null, 0)]
    [InlineData("::ffff:127.0.0.1", "GET", "/api/drives", null, 0)]
    [InlineData("::1", "POST", "/api/drives/0580/unload", null, 401)]
    [InlineData("10.1.2.3", "POST", "/api/drives/0580/unload", Secret, 0)]
    public void Reads_from_outside_loopback_follow_the_rule_of_writes(string peer, string method, string path, string? token, int status)
    {
        var access = new ManagementAccess(Secret);
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(peer);
        context.Request.Method = method;
        context.Request.Path = path;
        if (token is not null)
        {
            context.Request.Headers.Authorization = $"Bearer {token}";
        }

        var refusal = access.Check(context);

        Assert.Equal(status, refusal is null ? 0 : ((IStatusCodeHttpResult)refusal).StatusCode);
    }

    [Fact]
    public void Without_a_secret_everything_is_open()
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.7");
        context.Request.Method = "POST";
        context.Request.Path = "/api/drives/0580/unload";

        Assert.Null(new ManagementAccess(null).Check(context));
    }
}
