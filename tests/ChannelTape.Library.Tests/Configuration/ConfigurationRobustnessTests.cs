using ChannelTape.Library.Configuration;

namespace ChannelTape.Library.Tests.Configuration;

/// <summary>Whatever the text, the parser returns errors or a configuration; it never throws or loops.</summary>
public class ConfigurationRobustnessTests
{
    private static readonly string[] s_pieces =
    [
        "listen", "http", "secret-file", "transfer-folder", "log", "level", "json", "none", "storage", "drive", "pool", "admin", "limits", "include", "root", "format", "aws", "het", "zlib",
        "model", "media", "volumes", "capacity", "labels", "scratch", "private", "prefix", "hosts", "drives", "none",
        "connections", "mount-history", "3490", "3490E", "SL", "0580", "0580-0587", "T00000-T00099", "\"#00000\"",
        "127.0.0.1:7490", "10.0.0.0/8", "800M", "{", "}", ";", ",", "-", "\"", "\"x\"", "#", "\n", " ", "\t", "\r\n",
        "\\", "é", "\0", "[", "]", ":",
    ];

    [Fact]
    public void Random_token_soup_never_throws()
    {
        var random = new Random(4242);
        for (var i = 0; i < 3000; i++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 40)).Select(_ => s_pieces[random.Next(s_pieces.Length)] + (random.Next(3) == 0 ? " " : "")));

            var result = ConfigurationParser.ParseText(text, "soup.conf", Path.GetTempPath());

            Assert.True(result.Success ^ result.Errors.Count > 0, text);
            Assert.All(result.Errors, e => Assert.True(e.Line >= 1 && e.Column >= 1, $"{e} in {text}"));
        }
    }

    [Fact]
    public void Truncating_the_example_at_every_character_never_throws()
    {
        var text = File.ReadAllText(RepositoryFiles.Path("ctape.conf"));
        for (var length = 0; length <= text.Length; length++)
        {
            var result = ConfigurationParser.ParseText(text[..length], "cut.conf", RepositoryFiles.Root);
            Assert.True(result.Success ^ result.Errors.Count > 0);
        }
    }
}
