using ChannelTape.Library.Configuration;
using ChannelTape.Testing;

namespace ChannelTape.Management.Tests;

/// <summary>deploy/: the systemd unit, its user and its configuration agree with each other.</summary>
public sealed class DeploymentTests
{
    private static Dictionary<string, List<string>> Unit()
    {
        var settings = new Dictionary<string, List<string>>();
        foreach (var line in File.ReadAllLines(RepositoryFiles.Path("deploy/ctape.service")))
        {
            var text = line.Trim();
            if (text.Length == 0 || text.StartsWith('#') || text.StartsWith('[') || !text.Contains('=', StringComparison.Ordinal))
            {
                continue;
            }

            var (key, value) = (text[..text.IndexOf('=', StringComparison.Ordinal)], text[(text.IndexOf('=', StringComparison.Ordinal) + 1)..]);
            if (!settings.TryGetValue(key, out var values))
            {
                settings[key] = values = [];
            }

            values.Add(value);
        }

        return settings;
    }

    [Fact]
    public void The_unit_serves_its_configuration_as_a_notify_service_of_its_own_user_writing_only_the_data_folder()
    {
        var unit = Unit();
        var configPath = unit["ExecStart"].Single().Split(' ').SkipWhile(w => w != "--config").Skip(1).First();
        var configuration = ConfigurationParser.ParseText(File.ReadAllText(RepositoryFiles.Path("deploy/ctape.conf")), "ctape.conf", "/etc/ctape");

        Assert.True(configuration.Success, string.Join("\n", configuration.Errors));
        Assert.Equal("/etc/ctape/ctape.conf", configPath);
        Assert.Equal("notify", unit["Type"].Single());
        Assert.Equal("ctape", unit["User"].Single());
        Assert.Contains("u ctape ", File.ReadAllText(RepositoryFiles.Path("deploy/ctape.sysusers.conf")), StringComparison.Ordinal);
        Assert.Equal("/var/lib/" + unit["StateDirectory"].Single(), configuration.Configuration!.Storage.Root);
        Assert.Equal([configuration.Configuration.Storage.Root], unit["ReadWritePaths"]);
        Assert.Equal("strict", unit["ProtectSystem"].Single());
        Assert.Equal("yes", unit["NoNewPrivileges"].Single());
    }
}
