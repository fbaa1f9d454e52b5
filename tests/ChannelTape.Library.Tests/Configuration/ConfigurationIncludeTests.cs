using ChannelTape.Library.Configuration;

namespace ChannelTape.Library.Tests.Configuration;

public class ConfigurationIncludeTests
{
    [Fact]
    public void Included_statements_count_as_if_written_in_place()
    {
        using var directory = new TempDirectory();
        directory.Write("conf.d/pools.conf", "pool SCRATCH { volumes T00000-T00009; }\n");
        directory.Write("conf.d/drives.conf", "include \"pools.conf\";\ndrive 0580 { pool SCRATCH; }\n");
        var main = directory.Write("ctape.conf", "include \"conf.d/drives.conf\";\n");

        var result = ConfigurationParser.ParseFile(main);

        Assert.True(result.Success, string.Join("\n", result.Errors));
        Assert.Equal("SCRATCH", result.Configuration!.Drives[0].Pool);
        Assert.Equal(10, result.Configuration.Pools[0].VolumeCount);
    }

    [Fact]
    public void Errors_in_included_files_name_that_file()
    {
        using var directory = new TempDirectory();
        directory.Write("pools.conf", "\npool A { volumes T0000; }\npool B { media; }\n");
        var main = directory.Write("ctape.conf", "drive 0580;\ninclude \"pools.conf\";\n");

        var errors = ConfigurationParser.ParseFile(main).Errors.Select(e => e.ToString());

        var included = Path.Combine(directory.Path, "pools.conf");
        Assert.Equal(
            [
                $"{included}:2:18: volume serial 'T0000' has 5 characters, expected 6",
                $"{included}:3:15: expected REEL, 3480, CST, 3490E or ECCST, found ';'",
            ],
            errors);
    }

    [Fact]
    public void Include_cycles_are_reported_at_the_include_that_closes_them()
    {
        using var directory = new TempDirectory();
        directory.Write("a.conf", "drive 0580;\ninclude \"b.conf\";\n");
        directory.Write("b.conf", "\n\ninclude \"a.conf\";\n");
        var main = Path.Combine(directory.Path, "a.conf");

        var error = Assert.Single(ConfigurationParser.ParseFile(main).Errors);

        Assert.Equal(new ConfigurationError(Path.Combine(directory.Path, "b.conf"), 3, 1, "include cycle: a.conf -> b.conf -> a.conf"), error);
    }

    [Fact]
    public void A_file_including_itself_is_a_cycle()
    {
        using var directory = new TempDirectory();
        var main = directory.Write("self.conf", "drive 0580; include \"./self.conf\";");

        var error = Assert.Single(ConfigurationParser.ParseFile(main).Errors);

        Assert.Equal($"{main}:1:13: include cycle: self.conf -> self.conf", error.ToString());
    }

    [Fact]
    public void The_same_file_included_twice_is_not_a_cycle_but_defines_things_twice()
    {
        using var directory = new TempDirectory();
        directory.Write("pool.conf", "pool A { }");
        var main = directory.Write("main.conf", "drive 0580;\ninclude \"pool.conf\";\ninclude \"pool.conf\";");

        var error = Assert.Single(ConfigurationParser.ParseFile(main).Errors);

        var included = Path.Combine(directory.Path, "pool.conf");
        Assert.Equal($"{included}:1:6: pool A is already defined at {included}:1:6", error.ToString());
    }

    [Fact]
    public void Missing_include_is_reported_at_its_file_name()
    {
        using var directory = new TempDirectory();
        var main = directory.Write("main.conf", "drive 0580;\n  include \"missing.conf\";");

        var error = Assert.Single(ConfigurationParser.ParseFile(main).Errors);

        Assert.Equal((main, 2, 12), (error.File, error.Line, error.Column));
        Assert.StartsWith("cannot include 'missing.conf': ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_main_file_is_a_whole_file_error()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "none.conf");

        var error = Assert.Single(ConfigurationParser.ParseFile(path).Errors);

        Assert.Equal((path, 0, 0), (error.File, error.Line, error.Column));
        Assert.StartsWith($"{path}: cannot read: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Relative_main_path_keeps_included_names_relative()
    {
        using var directory = new TempDirectory();
        directory.Write("conf/pools.conf", "pool A { volumes T0000; }");
        directory.Write("conf/main.conf", "drive 0580; include \"pools.conf\";");
        var relativeMain = Path.GetRelativePath(Directory.GetCurrentDirectory(), Path.Combine(directory.Path, "conf/main.conf"));

        var error = Assert.Single(ConfigurationParser.ParseFile(relativeMain).Errors);

        Assert.Equal(Path.Combine(Path.GetDirectoryName(relativeMain)!, "pools.conf"), error.File);
    }
}
