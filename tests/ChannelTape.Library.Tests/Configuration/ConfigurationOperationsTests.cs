using System.Net;
using ChannelTape.Library.Configuration;
using Microsoft.Extensions.Logging;

namespace ChannelTape.Library.Tests.Configuration;

/// <summary>The operations statements: where the management API listens, its secret, the transfer folder, the log.</summary>
public class ConfigurationOperationsTests
{
    private static LibraryConfiguration Parse(string text, string directory = "/srv/ctape")
    {
        var result = ConfigurationParser.ParseText(text, "ops.conf", directory);
        Assert.True(result.Success, string.Join("\n", result.Errors));
        return result.Configuration!;
    }

    private static string Error(string text)
    {
        var result = ConfigurationParser.ParseText(text, "ops.conf", "/srv/ctape");
        Assert.False(result.Success);
        return Assert.Single(result.Errors).ToString();
    }

    [Fact]
    public void Without_the_statements_the_API_listens_on_loopback_7491_without_secret_or_transfer_folder_and_logs_info_as_text()
    {
        var configuration = Parse("drive 0580;");

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7491), configuration.Management.Http);
        Assert.Null(configuration.Management.SecretFile);
        Assert.Null(configuration.Management.TransferFolder);
        Assert.Equal(new LogConfiguration(LogLevel.Information, LogFormat.Text), configuration.Log);
    }

    [Fact]
    public void Statements_move_the_API_name_the_secret_and_the_folder_relative_to_the_file_and_set_the_log()
    {
        var configuration = Parse("""
            drive 0580;
            http 0.0.0.0:8080;
            secret-file "secret/api.key";
            transfer-folder "/var/spool/ctape";
            log { level debug; format json; }
            """);

        Assert.Equal(new IPEndPoint(IPAddress.Any, 8080), configuration.Management.Http);
        Assert.Equal("/srv/ctape/secret/api.key", configuration.Management.SecretFile);
        Assert.Equal("/var/spool/ctape", configuration.Management.TransferFolder);
        Assert.Equal(new LogConfiguration(LogLevel.Debug, LogFormat.Json), configuration.Log);
    }

    [Fact]
    public void Http_none_turns_the_API_off()
    {
        Assert.Null(Parse("drive 0580;\nhttp none;").Management.Http);
    }

    [Fact]
    public void The_written_configuration_parses_back_equal()
    {
        var configuration = Parse("""
            drive 0580;
            http [::1]:9000;
            secret-file "/etc/ctape/secret";
            transfer-folder "transfers";
            log { level warning; format json; }
            """);

        var again = Parse(ConfigurationWriter.Write(configuration), "/elsewhere");

        Assert.Equal(configuration, again);
        Assert.Equal(Parse("drive 0580;\nhttp none;"), Parse(ConfigurationWriter.Write(Parse("drive 0580;\nhttp none;"))));
    }

    [Theory]
    [InlineData("drive 0580;\nhttp 127.0.0.1;", "ops.conf:2:6: invalid http address '127.0.0.1': expected IP:PORT such as 127.0.0.1:7491 or [::1]:7491")]
    [InlineData("drive 0580;\nhttp 1.2.3.4:1;\nhttp none;", "ops.conf:3:1: duplicate http statement, first at ops.conf:2:1")]
    [InlineData("drive 0580;\nsecret-file \"\";", "ops.conf:2:14: secret-file is empty")]
    [InlineData("drive 0580;\ntransfer-folder \"a\";\ntransfer-folder \"b\";", "ops.conf:3:1: duplicate transfer-folder statement, first at ops.conf:2:1")]
    [InlineData("drive 0580;\nlog { level loud; }", "ops.conf:2:13: unknown log level 'loud', expected trace, debug, info, warning, error")]
    [InlineData("drive 0580;\nlog { format xml; }", "ops.conf:2:14: expected text or json, found 'xml'")]
    [InlineData("drive 0580;\nlog { level info; level debug; }", "ops.conf:2:19: duplicate level in log, first at ops.conf:2:7")]
    [InlineData("drive 0580;\nhttp localhost:80;", "ops.conf:2:6: expected none or listen address (IP:PORT), found 'localhost:80'")]
    public void Bad_operations_statements_are_reported_where_they_are(string text, string error)
    {
        Assert.Equal(error, Error(text));
    }
}
