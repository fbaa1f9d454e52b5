using ChannelTape.Library.Configuration;

namespace ChannelTape.Library.Tests.Configuration;

/// <summary>Every syntax error names file, line, column and what was expected.</summary>
public class ConfigurationSyntaxErrorTests
{
    private static IReadOnlyList<string> Errors(string text)
    {
        var result = ConfigurationParser.ParseText(text, "test.conf", Path.GetTempPath());
        Assert.Null(result.Configuration);
        return result.Errors.Select(e => e.ToString()).ToList();
    }

    [Theory]
    // top level
    [InlineData("frob x;\ndrive 0580;", "test.conf:1:1: expected include, listen, storage, drive, pool, admin, limits, http, secret-file, transfer-folder, log, image-folder, security or host, found 'frob'")]
    [InlineData("drive 0580;\n}", "test.conf:2:1: expected include, listen, storage, drive, pool, admin, limits, http, secret-file, transfer-folder, log, image-folder, security or host, found '}'")]
    [InlineData("drives 0580;", "test.conf:1:1: expected include, listen, storage, drive, pool, admin, limits, http, secret-file, transfer-folder, log, image-folder, security or host, found 'drives'")]
    // include
    [InlineData("include pools.conf;", "test.conf:1:9: expected quoted string, found 'pools.conf'")]
    [InlineData("include \"pools.conf\"", "test.conf:1:21: expected ';', found end of file")]
    [InlineData("include \"pools.conf;\ndrive 0580;", "test.conf:1:21: expected closing '\"', found end of line")]
    // listen
    [InlineData("listen 127.0.0.1:7490", "test.conf:1:22: expected ';', found end of file")]
    [InlineData("listen localhost:7490;", "test.conf:1:8: expected listen address (IP:PORT), found 'localhost:7490'")]
    [InlineData("listen 127.0.0.1:7490x;", "test.conf:1:22: expected ';', found 'x'")]
    // storage
    [InlineData("storage {\n    rot \"x\";\n}", "test.conf:2:5: expected root, format, catalog, store, s3-endpoint, server, cache or lease, found 'rot'")]
    [InlineData("storage {\n    root x;\n}", "test.conf:2:10: expected quoted string, found 'x'")]
    [InlineData("storage {\n    format tar;\n}", "test.conf:2:12: expected aws or het, found 'tar'")]
    [InlineData("storage {\n    format het lzma;\n}", "test.conf:2:16: expected ';', found 'lzma'")]
    [InlineData("storage {\n    format het zlib x;\n}", "test.conf:2:21: expected ';', found 'x'")]
    [InlineData("storage root \"x\";", "test.conf:1:9: expected '{', found 'root'")]
    // drive
    [InlineData("drive;", "test.conf:1:6: expected device number, found ';'")]
    [InlineData("drive 0580 {\n    modle 3490;\n}", "test.conf:2:5: expected model, media or pool, found 'modle'")]
    [InlineData("drive 0580 { model 3590; }", "test.conf:1:20: expected 3420, 3480 or 3490, found '3590'")]
    [InlineData("drive 0580 { media 3590; }", "test.conf:1:20: expected REEL, 3480, CST, 3490E or ECCST, found '3590'")]
    [InlineData("drive 0580 { pool ; }", "test.conf:1:19: expected pool name, found ';'")]
    [InlineData("drive 0580 { model 3490 }", "test.conf:1:25: expected ';', found '}'")]
    [InlineData("drive 0580 { model 3490;", "test.conf:1:25: expected '}', found end of file")]
    [InlineData("drive 0580 model 3490;", "test.conf:1:12: expected '{' or ';', found 'model'")]
    [InlineData("drive 0580-;", "test.conf:1:12: expected device number, found ';'")]
    [InlineData("drive 0580, ;", "test.conf:1:13: expected device number, found ';'")]
    [InlineData("drive 0G80;", "test.conf:1:7: expected device number, found '0G80'")]
    [InlineData("drive 0580-ZZ;", "test.conf:1:12: expected device number, found 'ZZ'")]
    // pool
    [InlineData("pool { volumes T00000; }", "test.conf:1:6: expected pool name, found '{'")]
    [InlineData("pool A {\n    volume T00000;\n}", "test.conf:2:5: expected volumes, media, capacity, labels, scratch, private or sync, found 'volume'")]
    [InlineData("pool A { volumes T00000-T00099 media 3490E; }", "test.conf:1:32: expected ';', found 'media'")]
    [InlineData("pool A { volumes ; }", "test.conf:1:18: expected volume serial or quoted string, found ';'")]
    [InlineData("pool A { volumes T00000-; }", "test.conf:1:25: expected volume serial or quoted string, found ';'")]
    [InlineData("pool A { capacity big; }", "test.conf:1:19: expected size (number with optional K, M or G), found 'big'")]
    [InlineData("pool A { capacity 800MB; }", "test.conf:1:23: expected ';', found 'B'")]
    [InlineData("pool A { labels XL; }", "test.conf:1:17: expected SL, AL or NL, found 'XL'")]
    [InlineData("pool A { scratch yes; }", "test.conf:1:18: expected ';', found 'yes'")]
    [InlineData("pool A { private }", "test.conf:1:18: expected ';', found '}'")]
    // admin
    [InlineData("admin { prefix #;\n}", "test.conf:2:1: expected quoted string, found '}'")]
    [InlineData("admin { prefix \"#\" }", "test.conf:1:20: expected ';', found '}'")]
    [InlineData("admin { hosts localhost; }", "test.conf:1:15: expected none or IP address or network, found 'localhost'")]
    [InlineData("admin { drives all; }", "test.conf:1:16: expected none or device number, found 'all'")]
    [InlineData("admin { allow 0580; }", "test.conf:1:9: expected prefix, hosts or drives, found 'allow'")]
    // limits
    [InlineData("limits { connections many; }", "test.conf:1:22: expected number, found 'many'")]
    [InlineData("limits { mount_history 5; }", "test.conf:1:10: expected connections-per-address, handshake-timeout, connections or mount-history, found 'mount_history'")]
    [InlineData("limits { connections -1; }", "test.conf:1:22: expected number, found '-1'")]
    public void Syntax_error_names_position_and_expectation(string text, string expected) =>
        Assert.Equal(expected, Assert.Single(Errors(text)));

    [Fact]
    public void Every_error_of_a_file_is_reported_not_just_the_first()
    {
        var errors = Errors("""
            listen 127.0.0.1:7490
            drive 0580 {
                model 3591;
                media 3490E;
                pol SCRATCH;
            }
            pool SCRATCH {
                volumes T00000-T00099
                capacity 800M;
                labels SL;
            }
            limits { connections x; }
            """);
        Assert.Equal(
            [
                "test.conf:2:1: expected ';', found 'drive'",
                "test.conf:9:5: expected ';', found 'capacity'",
                "test.conf:12:22: expected number, found 'x'",
            ],
            errors.Take(3));
        // The drive statement after the broken listen was skipped (it is reported once, at the
        // listen statement); its own two errors are not reported because it was never parsed.
        Assert.Equal(3, errors.Count);
    }

    [Fact]
    public void Errors_inside_one_block_are_all_reported()
    {
        var errors = Errors("""
            drive 0580 {
                model 3591;
                media 3490E;
                pol SCRATCH;
            }
            """);
        Assert.Equal(
            [
                "test.conf:2:11: expected 3420, 3480 or 3490, found '3591'",
                "test.conf:4:5: expected model, media or pool, found 'pol'",
            ],
            errors);
    }

    [Fact]
    public void A_semicolon_inside_a_string_or_comment_does_not_end_error_recovery_early()
    {
        var errors = Errors("""
            storage { root "a;b" extra; format aws; }   # a ; in a comment
            drive 0580 { frob "x;y"; model 3490; }
            """);
        Assert.Equal(
            [
                "test.conf:1:22: expected ';', found 'extra'",
                "test.conf:2:14: expected model, media or pool, found 'frob'",
            ],
            errors);
    }

    [Fact]
    public void An_error_in_a_block_header_does_not_hide_the_errors_inside_the_block()
    {
        // Syntax errors inside the block, and the values the binder checks (media for the model, a range that ends
        // before it starts, a capacity of 0, a property given twice), all at their own line and sorted by line,
        // although the parser finds the syntax errors and the binder the others.
        var errors = Errors("""
            pool { volumes T00000; media 3490E; }
            drive 0580 { model 3590; }
            drive 05X0 { model 3480; media 3490E; }
            pool bad/name {
                volumes T00009-T00000;
                capacity 0;
                labels SL;
                labels NL;
            }
            """);
        Assert.Equal(
            [
                "test.conf:1:6: expected pool name, found '{'",
                "test.conf:2:20: expected 3420, 3480 or 3490, found '3590'",
                "test.conf:3:7: expected device number, found '05X0'",
                "test.conf:3:26: media 3490E is not supported by model 3480 drives",
                "test.conf:4:9: expected '{', found '/name'",
                "test.conf:5:13: range T00009-T00000: first serial is after the last",
                "test.conf:6:14: capacity must be more than 0",
                "test.conf:8:5: duplicate labels in pool, first at test.conf:7:5",
            ],
            errors);
    }

    [Fact]
    public void Columns_count_characters_and_tabs_count_as_one()
    {
        Assert.Equal("test.conf:2:3: expected model, media or pool, found 'x'", Assert.Single(Errors("drive 0580 {\n\t\tx;\n}")));
    }

    [Fact]
    public void Windows_line_ends_count_lines_the_same()
    {
        Assert.Equal("test.conf:3:5: expected model, media or pool, found 'x'", Assert.Single(Errors("drive 0580\r\n{\r\n    x;\r\n}\r\n")));
    }
}
