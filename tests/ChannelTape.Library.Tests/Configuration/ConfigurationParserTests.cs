using System.Net;
using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Library.Configuration;

namespace ChannelTape.Library.Tests.Configuration;

public class ConfigurationParserTests
{
    private static LibraryConfiguration Parse(string text, string directory = "/srv/ctape")
    {
        var result = ConfigurationParser.ParseText(text, "test.conf", directory);
        Assert.True(result.Success, string.Join("\n", result.Errors));
        return result.Configuration!;
    }

    private static LibraryConfiguration RoundTrip(LibraryConfiguration configuration)
    {
        var written = ConfigurationWriter.Write(configuration);
        var result = ConfigurationParser.ParseText(written, "written.conf", "/elsewhere");
        Assert.True(result.Success, written + "\n" + string.Join("\n", result.Errors));
        return result.Configuration!;
    }

    [Fact]
    public void Embedded_default_has_the_documented_content()
    {
        var configuration = ConfigurationParser.LoadDefault();

        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7490), configuration.Listen);
        Assert.Equal(Path.GetFullPath("ctape-data"), configuration.Storage.Root);
        Assert.Equal(ImageFormat.Aws, configuration.Storage.Format);
        Assert.Equal(Enumerable.Range(0x580, 8).Select(n => (ushort)n), configuration.Drives.Select(d => d.DeviceNumber));
        Assert.All(configuration.Drives, d => Assert.Equal(new DriveConfiguration(d.DeviceNumber, TapeModel.Ibm3490, MediaType.Eccst, "SCRATCH"), d));
        var pool = Assert.Single(configuration.Pools);
        Assert.Equal("SCRATCH", pool.Name);
        Assert.Equal(100, pool.VolumeCount);
        Assert.Equal("T00000-T00099", Assert.Single(pool.Volumes).ToString());
        Assert.True(pool.Scratch);
        Assert.Equal(LabelType.Standard, pool.Labels);
        Assert.Equal("#", configuration.Admin.Prefix);
    }

    [Fact]
    public void Embedded_default_round_trips()
    {
        var configuration = ConfigurationParser.LoadDefault();
        Assert.Equal(configuration, RoundTrip(configuration));
    }

    [Fact]
    public void Example_ctape_conf_is_valid_and_round_trips()
    {
        var result = ConfigurationParser.ParseFile(RepositoryFiles.Path("ctape.conf"));
        Assert.True(result.Success, string.Join("\n", result.Errors));
        var configuration = result.Configuration!;

        Assert.Equal(Path.Combine(RepositoryFiles.Root, "ctape-data"), configuration.Storage.Root);
        Assert.Equal(new ImageFormat(ImageFileKind.Het, HetCompression.Zlib, 6), configuration.Storage.Format);
        Assert.Equal(11, configuration.Drives.Count);
        Assert.Equal(new DriveConfiguration(0x480, TapeModel.Ibm3420, MediaType.Reel, "REELS"), configuration.FindDrive(0x480));
        Assert.Equal(["SCRATCH", "CST", "REELS", "PRODUCTION"], configuration.Pools.Select(p => p.Name));
        Assert.False(configuration.FindPool("PRODUCTION")!.Scratch);
        Assert.Equal(MediaType.Eccst, configuration.FindPool("PRODUCTION")!.Media); // default media
        Assert.Equal(101, configuration.FindPool("CST")!.VolumeCount);
        Assert.Equal([0x580, 0x581, 0x582, 0x583], configuration.Admin.Drives.Select(d => (int)d));
        Assert.True(configuration.Admin.AllowsHost(IPAddress.Parse("10.1.200.3")));
        Assert.True(configuration.Admin.AllowsHost(IPAddress.Parse("::ffff:127.0.0.1")));
        Assert.False(configuration.Admin.AllowsHost(IPAddress.Parse("10.2.0.1")));
        Assert.Equal(new LimitsConfiguration(32, 50_000) { MaxConnectionsPerAddress = 8 }, configuration.Limits);

        Assert.Equal(configuration, RoundTrip(configuration));
    }

    [Fact]
    public void Writing_twice_gives_the_same_text()
    {
        var configuration = ConfigurationParser.ParseFile(RepositoryFiles.Path("ctape.conf")).Configuration!;
        var once = ConfigurationWriter.Write(configuration);
        Assert.Equal(once, ConfigurationWriter.Write(RoundTrip(configuration)));
    }

    [Fact]
    public void Round_trip_keeps_unusual_values()
    {
        var configuration = Parse("""
            listen [::1]:0;
            storage { root "/data/with \"quotes\" and \\ back"; format het bzip2 9; }
            drive 0000, 0002-0003, FFFF { model 3480; }
            drive 0001 { model 3490; media CST; }
            pool Q-1_x { volumes "#@$000"-"#@$009", ABCDEF, T#0001; capacity 1536; labels al; private; }
            admin { prefix "@@"; hosts 192.168.0.0/16, fe80::/10; drives 0000-0003; }
            """);
        Assert.Equal("/data/with \"quotes\" and \\ back", configuration.Storage.Root);
        Assert.Equal(configuration, RoundTrip(configuration));
    }

    [Fact]
    public void Round_trip_keeps_empty_admin_lists()
    {
        var configuration = Parse("drive 0580;\nadmin { hosts none; drives none; }");
        Assert.Empty(configuration.Admin.Hosts);
        Assert.Empty(configuration.Admin.Drives);
        Assert.Equal(configuration, RoundTrip(configuration));
    }

    [Fact]
    public void Defaults_fill_everything_not_written()
    {
        var configuration = Parse("drive 0580;");
        Assert.Equal(LibraryConfiguration.DefaultListen, configuration.Listen);
        Assert.Equal("/srv/ctape/ctape-data", configuration.Storage.Root);
        Assert.Equal(new DriveConfiguration(0x580, TapeModel.Ibm3490, MediaType.Eccst, null), Assert.Single(configuration.Drives));
        Assert.Equal(AdminConfiguration.DefaultHosts, configuration.Admin.Hosts);
        Assert.Equal([(ushort)0x580], configuration.Admin.Drives);
        Assert.Equal(LimitsConfiguration.Default, configuration.Limits);
    }

    [Theory]
    [InlineData("aws", ImageFileKind.Aws, HetCompression.None, 0)]
    [InlineData("het", ImageFileKind.Het, HetCompression.None, 0)]
    [InlineData("het zlib", ImageFileKind.Het, HetCompression.Zlib, 4)]
    [InlineData("het bzip2 9", ImageFileKind.Het, HetCompression.Bzip2, 9)]
    public void Image_formats(string text, ImageFileKind kind, HetCompression compression, int level) =>
        Assert.Equal(new ImageFormat(kind, compression, level), Parse($"drive 0580;\nstorage {{ format {text}; }}").Storage.Format);

    [Theory]
    [InlineData(TapeModel.Ibm3420, MediaType.Reel)]
    [InlineData(TapeModel.Ibm3480, MediaType.Cst)]
    [InlineData(TapeModel.Ibm3490, MediaType.Eccst)]
    public void Drive_media_defaults_to_the_model(TapeModel model, MediaType media) =>
        Assert.Equal(media, Parse($"drive 0580 {{ model {(ushort)model:X}; }}").Drives[0].Media);

    [Fact]
    public void Pool_defaults_follow_the_media()
    {
        var pool = Parse("drive 0580;\npool P { volumes T00000; media cst; }").Pools[0];
        Assert.Equal(new PoolConfiguration("P", new([VolumeRange.Single(VolumeSerial.Parse("T00000"))]), MediaType.Cst, 200L * 1024 * 1024, LabelType.Standard, Scratch: true), pool);
    }

    [Fact]
    public void Comments_may_follow_any_token_and_hash_inside_a_serial_is_not_a_comment()
    {
        var configuration = Parse("""
            # leading comment
            drive 0580 # after a device number
            {   # after a brace
                model 3490; # after a statement
            }
            pool P { volumes T#0001-T#0009; }   # serials with '#' inside
            """);
        Assert.Equal(9, configuration.Pools[0].VolumeCount);
    }

    [Fact]
    public void Relative_storage_root_is_relative_to_the_file_that_says_it()
    {
        using var directory = new TempDirectory();
        directory.Write("sub/storage.conf", "storage { root \"../data\"; }");
        var main = directory.Write("main.conf", "include \"sub/storage.conf\";\ndrive 0580;");

        var configuration = ConfigurationParser.ParseFile(main).Configuration!;

        Assert.Equal(Path.Combine(directory.Path, "data"), configuration.Storage.Root);
    }
}

public class ConfigurationWriterTests
{
    [Fact]
    public void Effective_default_configuration_text_is_stable()
    {
        var configuration = ConfigurationParser.ParseText(ConfigurationParser.DefaultText, ConfigurationParser.DefaultFileName, "/srv").Configuration!;

        Assert.Equal(
            """
            listen 127.0.0.1:7490;
            http 127.0.0.1:7491;

            storage {
                root "/srv/ctape-data";
                format aws;
            }

            drive 0580-0587 {
                model 3490;
                media 3490E;
                pool SCRATCH;
            }

            pool SCRATCH {
                volumes T00000-T00099;
                media 3490E;
                capacity 800M;
                labels SL;
                scratch;
                sync tape-mark;
            }

            admin {
                prefix "#";
                hosts 127.0.0.0/8, ::1/128;
                drives 0580-0587;
            }

            limits {
                connections 64;
                connections-per-address 16;
                handshake-timeout 10;
                mount-history 10000;
            }

            log {
                level info;
                format text;
            }

            """.ReplaceLineEndings("\n"),
            ConfigurationWriter.Write(configuration).ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Drives_with_different_settings_or_gaps_print_as_separate_ranges()
    {
        var configuration = ConfigurationParser.ParseText(
            "drive 0580-0581, 0583 { pool P; }\ndrive 0582 { pool Q; }\npool P { }\npool Q { }",
            "t.conf",
            "/srv").Configuration!;

        var text = ConfigurationWriter.Write(configuration);

        Assert.Contains("drive 0580-0581 {", text, StringComparison.Ordinal);
        Assert.Contains("drive 0582 {", text, StringComparison.Ordinal);
        Assert.Contains("drive 0583 {", text, StringComparison.Ordinal);
        Assert.Contains("drives 0580-0583;", text, StringComparison.Ordinal);
    }
}
