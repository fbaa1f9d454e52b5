using ChannelTape.Library.Configuration;

namespace ChannelTape.Library.Tests.Configuration;

/// <summary>Values and references are checked after parsing; each error has its exact position.</summary>
public class ConfigurationSemanticErrorTests
{
    private static IReadOnlyList<string> Errors(string text)
    {
        var result = ConfigurationParser.ParseText(text, "test.conf", Path.GetTempPath());
        Assert.Null(result.Configuration);
        return result.Errors.Select(e => e.ToString()).ToList();
    }

    [Theory]
    // listen
    [InlineData("listen 127.0.0.1;\ndrive 0580;", "test.conf:1:8: invalid listen address '127.0.0.1': expected IP:PORT such as 127.0.0.1:7490 or [::1]:7490")]
    [InlineData("listen 127.0.0.1:70000;\ndrive 0580;", "test.conf:1:8: invalid listen address '127.0.0.1:70000': expected IP:PORT such as 127.0.0.1:7490 or [::1]:7490")]
    [InlineData("listen ::1:7490;\ndrive 0580;", "test.conf:1:8: invalid listen address '::1:7490': expected IP:PORT such as 127.0.0.1:7490 or [::1]:7490")]
    [InlineData("listen 1.2.3.4:1;\nlisten 1.2.3.4:2;\ndrive 0580;", "test.conf:2:1: duplicate listen statement, first at test.conf:1:1")]
    // storage
    [InlineData("storage { root \"\"; }\ndrive 0580;", "test.conf:1:17: storage root is empty")]
    [InlineData("storage { format het zlib 10; }\ndrive 0580;", "test.conf:1:27: compression level 10 is out of range, expected 1 to 9")]
    [InlineData("storage { format het bzip2 0; }\ndrive 0580;", "test.conf:1:28: compression level 0 is out of range, expected 1 to 9")]
    [InlineData("storage { format aws; format het; }\ndrive 0580;", "test.conf:1:23: duplicate format in storage, first at test.conf:1:11")]
    [InlineData("storage { }\nstorage { }\ndrive 0580;", "test.conf:2:1: duplicate storage statement, first at test.conf:1:1")]
    // drives
    [InlineData("drive 05800;", "test.conf:1:7: device number '05800' has more than 4 hex digits")]
    [InlineData("drive 0587-0580;", "test.conf:1:7: device range 0587-0580 ends before it starts")]
    [InlineData("drive 0580-0587;\ndrive 0583;", "test.conf:2:7: device 0583 is already defined at test.conf:1:7")]
    [InlineData("drive 0580, 580;", "test.conf:1:13: device 0580 is already defined at test.conf:1:7")]
    [InlineData("drive 0580 { model 3480; media 3490E; }", "test.conf:1:26: media 3490E is not supported by model 3480 drives")]
    [InlineData("drive 0580 { model 3420; media 3480; }", "test.conf:1:26: media 3480 is not supported by model 3420 drives")]
    [InlineData("drive 0580 { model 3490; model 3480; }", "test.conf:1:26: duplicate model in drive, first at test.conf:1:14")]
    [InlineData("drive 0580 { pool NOPE; }", "test.conf:1:19: unknown pool 'NOPE'")]
    [InlineData("drive 0580-0587 { media 3480; pool P; }\npool P { media 3490E; }", "test.conf:1:36: pool P holds 3490E volumes but drive 0580 takes 3480")]
    [InlineData("pool P { }", "test.conf:1:1: no drive statement: a library needs at least one drive")]
    // pools
    [InlineData("drive 0580;\npool A { volumes T00000-T00099; }\npool A { }", "test.conf:3:6: pool A is already defined at test.conf:2:6")]
    [InlineData("drive 0580;\npool ABCDEFGHIJKLMNOPQ { }", "test.conf:2:6: pool name 'ABCDEFGHIJKLMNOPQ' is longer than 16 characters")]
    [InlineData("drive 0580;\npool A { volumes T0000a; }", "test.conf:2:23: invalid character 'a' in volume serial 'T0000a': allowed are A-Z, 0-9, #, @ and $")]
    [InlineData("drive 0580;\npool A { volumes T0000; }", "test.conf:2:18: volume serial 'T0000' has 5 characters, expected 6")]
    [InlineData("drive 0580;\npool A { volumes T000000; }", "test.conf:2:18: volume serial 'T000000' has 7 characters, expected 6")]
    [InlineData("drive 0580;\npool A { volumes \"T/0000\"; }", "test.conf:2:20: invalid character '/' in volume serial 'T/0000': allowed are A-Z, 0-9, #, @ and $")]
    [InlineData("drive 0580;\npool A { volumes \"T0000 \"; }", "test.conf:2:24: volume serial 'T0000 ' ends with blanks")]
    [InlineData("drive 0580;\npool A { volumes T00099-T00000; }", "test.conf:2:18: range T00099-T00000: first serial is after the last")]
    [InlineData("drive 0580;\npool A { volumes TA0000-TB0000; }", "test.conf:2:18: range TA0000-TB0000: first and last serial must differ only in their trailing digits")]
    [InlineData("drive 0580;\npool A { volumes T00000-T00099, T00050-T00150; }", "test.conf:2:33: volumes T00050-T00150 overlap T00000-T00099 of pool A at test.conf:2:18")]
    [InlineData("drive 0580;\npool A { volumes T00000-T00099; }\npool B { volumes T00099; }", "test.conf:3:18: volumes T00099 overlap T00000-T00099 of pool A at test.conf:2:18")]
    [InlineData("drive 0580;\npool A { capacity 0; }", "test.conf:2:19: capacity must be more than 0")]
    [InlineData("drive 0580;\npool A { capacity 12X; }", "test.conf:2:19: size '12X' has unknown suffix 'X', expected K, M or G")]
    [InlineData("drive 0580;\npool A { capacity 99999999999G; }", "test.conf:2:19: size '99999999999G' is too large")]
    [InlineData("drive 0580;\npool A { scratch; private; }", "test.conf:2:19: duplicate scratch/private in pool A, first at test.conf:2:10")]
    [InlineData("drive 0580;\npool A { labels SL; labels AL; }", "test.conf:2:21: duplicate labels in pool A, first at test.conf:2:10")]
    [InlineData("drive 0580;\npool A { volumes \"#00000\"-\"#00009\"; }", "test.conf:2:19: volumes #00000-#00009 of pool A include administrative serials (prefix \"#\")")]
    [InlineData("drive 0580;\nadmin { prefix \"AD\"; }\npool A { volumes AD0000-AD0009; }", "test.conf:3:18: volumes AD0000-AD0009 of pool A include administrative serials (prefix \"AD\")")]
    // admin
    [InlineData("drive 0580;\nadmin { prefix \"\"; }", "test.conf:2:17: administrative prefix '' must have 1 to 5 characters")]
    [InlineData("drive 0580;\nadmin { prefix \"ABCDEF\"; }", "test.conf:2:17: administrative prefix 'ABCDEF' must have 1 to 5 characters")]
    [InlineData("drive 0580;\nadmin { prefix \"#x\"; }", "test.conf:2:18: invalid character 'x' in administrative prefix '#x': allowed are A-Z, 0-9, #, @ and $")]
    [InlineData("drive 0580;\nadmin { hosts 10.0.0.1/8; }", "test.conf:2:15: invalid host '10.0.0.1/8': expected an IP address or a network such as 10.0.0.0/8")]
    [InlineData("drive 0580;\nadmin { hosts 10.0.0.0/33; }", "test.conf:2:15: invalid host '10.0.0.0/33': expected an IP address or a network such as 10.0.0.0/8")]
    [InlineData("drive 0580;\nadmin { hosts 1.2.3; }", "test.conf:2:15: invalid host '1.2.3': expected an IP address or a network such as 10.0.0.0/8")]
    [InlineData("drive 0580;\nadmin { drives 0590; }", "test.conf:2:16: admin drive 0590 is not defined by a drive statement")]
    [InlineData("drive 0580;\nadmin { prefix \"#\"; prefix \"@\"; }", "test.conf:2:21: duplicate prefix in admin, first at test.conf:2:9")]
    // limits
    [InlineData("drive 0580;\nlimits { connections 0; }", "test.conf:2:22: connections 0 is out of range, expected 1 to 65535")]
    [InlineData("drive 0580;\nlimits { connections 65536; }", "test.conf:2:22: connections 65536 is out of range, expected 1 to 65535")]
    [InlineData("drive 0580;\nlimits { mount-history 999999999999; }", "test.conf:2:24: mount-history 999999999999 is out of range, expected 0 to 100000000")]
    [InlineData("drive 0580;\nlimits { connections 5; connections 6; }", "test.conf:2:25: duplicate connections in limits, first at test.conf:2:10")]
    public void Semantic_error_names_position_and_problem(string text, string expected) =>
        Assert.Equal(expected, Assert.Single(Errors(text)));

    [Fact]
    public void All_semantic_errors_are_collected()
    {
        var errors = Errors("""
            drive 0580-0587 { pool SCRATCH; }
            drive 0587;
            pool SCRATCH {
                volumes T00000-T00099, t00100;
                capacity 0;
            }
            pool OTHER { volumes T00050; }
            limits { connections 0; }
            """);
        Assert.Equal(
            [
                "test.conf:2:7: device 0587 is already defined at test.conf:1:7",
                "test.conf:4:28: invalid character 't' in volume serial 't00100': allowed are A-Z, 0-9, #, @ and $",
                "test.conf:5:14: capacity must be more than 0",
                "test.conf:7:22: volumes T00050 overlap T00000-T00099 of pool SCRATCH at test.conf:4:13",
                "test.conf:8:22: connections 0 is out of range, expected 1 to 65535",
            ],
            errors);
    }

    [Fact]
    public void References_are_not_checked_when_a_syntax_error_may_have_dropped_the_target()
    {
        // The pool statement is broken, so "unknown pool" would be a false error.
        var errors = Errors("""
            drive 0580 { pool SCRATCH; }
            pool SCRATCH { volumes T00000-T00099 }
            """);
        Assert.Equal(["test.conf:2:38: expected ';', found '}'"], errors);
    }
}
