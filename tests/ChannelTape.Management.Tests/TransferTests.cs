using System.Net;
using ChannelTape.Client.Management;

namespace ChannelTape.Management.Tests;

/// <summary>HTTP import and export read and write only inside the configured transfer folder.</summary>
public sealed class TransferTests : IAsyncLifetime
{
    private ServedLibrary _library = null!;
    private string _folder = null!;

    public Task InitializeAsync()
    {
        _library = ServedLibrary.Start("transfer-folder \"{root}/transfer\";");
        _folder = Path.Combine(_library.Root, "transfer");
        Directory.CreateDirectory(Path.Combine(_folder, "in"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _library.DisposeAsync();

    [Fact]
    public async Task A_volume_exported_to_the_transfer_folder_imports_back_as_another_volume()
    {
        var client = _library.Client;
        await client.MountAsync(0x0580, "T00042");
        await client.UnloadAsync(0x0580);

        var exported = await client.ExportAsync("T00042", new ExportBody("in/t42.aws"));

        Assert.Equal(("T00042", "exported", "AWS"), (exported.Volser, exported.Outcome, exported.DestinationFormat));
        Assert.True(File.Exists(Path.Combine(_folder, "in", "t42.aws")));
        var again = await Assert.ThrowsAsync<ManagementException>(() => client.ExportAsync("T00042", new ExportBody("in/t42.aws")));
        Assert.Equal(HttpStatusCode.Conflict, again.Status);

        // Its VOL1 says T00042: importing it under that serial replaces the image; under another it is refused.
        var replaced = await client.ImportAsync("T00042", new ImportBody("in/t42.aws", Replace: true));
        Assert.Equal(("replaced", "T00042"), (replaced.Outcome, replaced.Volser));
        var mislabelled = await Assert.ThrowsAsync<ManagementException>(() => client.ImportAsync("N00001", new ImportBody("in/t42.aws", Pool: "NEW")));
        Assert.Equal("in/t42.aws: its VOL1 label names volume T00042, not N00001 (a host would refuse it); nothing imported", mislabelled.Message);
        Assert.Equal("private", (await client.VolumeAsync("T00042")).Status);
    }

    [Theory]
    [InlineData("../outside.aws", "'../outside.aws' leads out of the transfer folder")]
    [InlineData("in/../../outside.aws", "'in/../../outside.aws' leads out of the transfer folder")]
    [InlineData("/etc/passwd", "'/etc/passwd' is an absolute path: name a file inside the transfer folder")]
    [InlineData("link/secret.aws", "'link/secret.aws' passes through a symbolic link that leads out of the transfer folder")]
    [InlineData("filelink.aws", "'filelink.aws' passes through a symbolic link that leads out of the transfer folder")]
    public async Task Names_that_lead_out_of_the_transfer_folder_are_refused(string name, string message)
    {
        var outside = Directory.CreateDirectory(Path.Combine(_library.Root, "outside")).FullName;
        File.WriteAllText(Path.Combine(outside, "secret.aws"), "not for HTTP");
        if (!Directory.Exists(Path.Combine(_folder, "link")))
        {
            Directory.CreateSymbolicLink(Path.Combine(_folder, "link"), outside);
            File.CreateSymbolicLink(Path.Combine(_folder, "filelink.aws"), Path.Combine(outside, "secret.aws"));
        }

        var import = await Assert.ThrowsAsync<ManagementException>(() => _library.Client.ImportAsync("T00001", new ImportBody(name, Replace: true)));
        var export = await Assert.ThrowsAsync<ManagementException>(() => _library.Client.ExportAsync("T00001", new ExportBody(name)));

        Assert.Equal((HttpStatusCode.Forbidden, message), (import.Status, import.Message));
        Assert.Equal((HttpStatusCode.Forbidden, message), (export.Status, export.Message));
        Assert.Equal("not for HTTP", File.ReadAllText(Path.Combine(outside, "secret.aws")));
    }

    [Fact]
    public async Task Without_a_transfer_folder_import_and_export_are_refused()
    {
        await using var plain = ServedLibrary.Start();

        var refused = await Assert.ThrowsAsync<ManagementException>(() => plain.Client.ExportAsync("T00001", new ExportBody("t1.aws")));

        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Equal("this server has no transfer folder (transfer-folder in the configuration): HTTP import and export are off", refused.Message);
    }
}
