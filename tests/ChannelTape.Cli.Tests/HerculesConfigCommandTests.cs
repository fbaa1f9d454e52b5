using System.Text;
using System.Text.RegularExpressions;
using ChannelTape.Testing;

namespace ChannelTape.Cli.Tests;

/// <summary>
/// <c>ctape hercules-config</c>: the statements a Hercules configuration needs for the configured drives, and the
/// automatic operator's rules that turn an OS's console mount messages into mounts.
/// </summary>
public class HerculesConfigCommandTests
{
    private const string Vs1Configuration = """
        listen 127.0.0.1:7490;
        drive 0480, 0481 { model 3420; pool VS1; }
        pool VS1 { volumes T00100-T00109; media REEL; labels SL; private; }
        """;

    [Fact]
    public void Prints_the_module_load_and_one_ctape_statement_per_drive_at_the_given_server()
    {
        using var directory = new TempDirectory();
        var config = directory.Write("vs1.conf", Vs1Configuration);

        var (code, output, error) = Ctape.Run("hercules-config", "--config", config, "--server", "tapes.example:7999", "--module-dir", directory.Path);

        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Equal(
            [
                "# ChannelTape drives at tapes.example:7999 (ctape hercules-config): 0480-0481",
                $"LDMOD     {Path.Combine(directory.Path, "hdtctape.so")}",
                "0480      CTAPE   tapes.example:7999 *",
                "0481      CTAPE   tapes.example:7999 *",
            ],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Without_server_the_configurations_listen_address_is_used_and_a_wildcard_one_is_refused()
    {
        using var directory = new TempDirectory();
        var config = directory.Write("vs1.conf", Vs1Configuration);
        var wildcard = directory.Write("any.conf", Vs1Configuration.Replace("127.0.0.1:7490", "0.0.0.0:7490", StringComparison.Ordinal));

        var (code, output, _) = Ctape.Run("hercules-config", "--config", config);
        var (refusedCode, refusedOutput, refusedError) = Ctape.Run("hercules-config", "--config", wildcard);

        Assert.Equal(0, code);
        Assert.Contains("0480      CTAPE   127.0.0.1:7490 *\n", output, StringComparison.Ordinal);
        Assert.DoesNotContain("LDMOD", output, StringComparison.Ordinal);
        Assert.Equal(1, refusedCode);
        Assert.Equal("", refusedOutput);
        Assert.Contains("give --server HOST:PORT", refusedError, StringComparison.Ordinal);
    }

    [Fact]
    public void Commands_are_automatic_operator_rules_for_mount_and_demount_per_drive_group()
    {
        using var directory = new TempDirectory();
        var config = directory.Write("vs1.conf", Vs1Configuration);

        var (code, output, error) = Ctape.Run("hercules-config", "--config", config, "--commands");

        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Equal(
            [
                "hao tgt .*IE(F233A|C501A|C001A) M /?(0?480|0?481),([^ ,]{1,6}),?((SUL|SL|AUL|AL|NSL|NL|BLP|LTM)?)",
                "hao cmd sh sleep 1",
                "hao tgt IE(F233A|C501A|C001A) M /?(0?480|0?481),([^ ,]{1,6}),?((SUL|SL|AUL|AL|NSL|NL|BLP|LTM)?)",
                "hao cmd devinit $2 \"$3\" $4",
                "hao tgt IE(F234|C502)E [A-Z]{1,2} /?(0?480|0?481),([^ ,]{1,6})",
                "hao cmd devinit $2 *",
            ],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        // Hercules' rc script cuts a line at '#', and '$(' would be a symbol reference.
        Assert.DoesNotContain("#", output, StringComparison.Ordinal);
        Assert.DoesNotContain("$(", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("*IEF233A M 480,T00100,,TAPEW,WRITE  P00", "devinit 480 \"T00100\" ")]               // OS/VS1
    [InlineData("*IEF233A M 480,PRIVAT,,TAPEW,WRITE  P00", "devinit 480 \"PRIVAT\" ")]               // OS/VS1 non-specific
    [InlineData("*IEF233A M 480,SCRTCH,NL,NLSCR,WRITE  P00", "devinit 480 \"SCRTCH\" NL")]          // an unlabelled scratch volume
    [InlineData("*IEF233A M 481,#DRIVE,,LMSREAD,READ  P00", "devinit 481 \"#DRIVE\" ")]              // an administrative volume
    [InlineData("*IEF233A M 480,#CMD  ,,CTAPECMD,WRITE  P00", "devinit 480 \"#CMD\" ")]       // a short serial, padded
    [InlineData("*IEC001A M 480,M00101,SL,MULTIVOL,WRITE P00", "devinit 480 \"M00101\" SL")]    // OS/VS1 end of volume
    [InlineData("IEF233A M 480,SCRTCH,SL,TAPEW,WRITE", "devinit 480 \"SCRTCH\" SL")]                  // MVS 3.8j
    [InlineData("IEF233A M 480,PRIVAT,NSL,NSLJOB,WRITE", "devinit 480 \"PRIVAT\" NSL")]               // the longest label word wins
    [InlineData("*IEF233A M 0480,T00100,SL,TAPEW,WRITE,CTAPE.PROOF.DATA", "devinit 0480 \"T00100\" SL")] // z/OS
    [InlineData("*IEC501A M 0481,PRIVAT,AUL,NOCOMP,TAPEW,WRITE,CTAPE.PROOF.DATA", "devinit 0481 \"PRIVAT\" AUL")]
    [InlineData("*IEC501A M /0480,T00101,SL,NOCOMP,TAPEW,WRITE,CTAPE.PROOF.DATA", "devinit 0480 \"T00101\" SL")]
    [InlineData("IEF233A M 480,T00100,TAPEW,WRITE", "devinit 480 \"T00100\" ")]                        // no label field: the job name is no label type
    [InlineData("IEF234E K 480,T00100,PVT,TAPEW", "devinit 480 *")]                                 // MVS, OS/VS1 demount
    [InlineData("IEF234E D 0481,T00100,PVT,TAPEW,STEP", "devinit 0481 *")]
    [InlineData("IEC502E RK 0480,T00100,SL,TAPEW,WRITE", "devinit 0480 *")]                         // z/OS rewind-unload, keep
    public void A_console_message_fires_the_command_an_operator_would_type(string message, string command)
    {
        // a mount waits a second first, as an operator would
        Assert.Equal(command.EndsWith(" *", StringComparison.Ordinal) ? [command] : ["sh sleep 1", command], Fire(message));
    }

    [Theory]
    [InlineData(" IEF234E R 480,,TAPEW  P00")]                  // nothing was mounted
    [InlineData("*IEF233A M 482,T00100,,TAPEW,WRITE  P00")]     // not one of the drives
    [InlineData("*IEF233A M 4800,T00100,SL,TAPEW,WRITE")]
    [InlineData(" IEC705I TAPE ON 480,T00100 IS SL, 800 BPI P00")]
    [InlineData("HHCAO003I Firing command: 'devinit 480 \"T00100\"'")]
    public void Other_messages_fire_nothing(string message)
    {
        Assert.Empty(Fire(message));
    }

    [Fact]
    public void Many_drives_are_split_over_rules_that_fit_hercules_and_too_many_are_refused()
    {
        using var directory = new TempDirectory();
        var many = directory.Write("many.conf", "drive 0100-017F { model 3490; }\n");
        var tooMany = directory.Write("too-many.conf", "drive 1000-1FFF { model 3490; }\n");

        var (code, output, _) = Ctape.Run("hercules-config", "--config", many, "--commands");
        var (refusedCode, _, refusedError) = Ctape.Run("hercules-config", "--config", tooMany, "--commands");

        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 4);
        Assert.All(lines, line => Assert.True(line.Length <= 255, line)); // hao.c HAO_WKLEN
        for (var device = 0x100; device <= 0x17F; device++)
        {
            Assert.Equal(["sh sleep 1", $"devinit {device:X3} \"T00001\" "], Fire($"*IEF233A M {device:X3},T00001,,JOB,STEP", lines));
        }

        Assert.Equal(1, refusedCode);
        Assert.Contains("automatic operator rules", refusedError, StringComparison.Ordinal);
    }

    /// <summary>What the rules of <c>--commands</c> for the VS1 drives fire for a console message.</summary>
    private static List<string> Fire(string message)
    {
        using var directory = new TempDirectory();
        var config = directory.Write("vs1.conf", Vs1Configuration);
        var (_, output, _) = Ctape.Run("hercules-config", "--config", config, "--commands");
        return Fire(message, output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    /// <summary>
    /// Hercules 3.13's automatic operator (hao.c hao_message): every rule whose target (a POSIX extended regular
    /// expression; these use only what .NET reads alike) matches the message, leading blanks stripped, fires its
    /// command with $1..$9 replaced by the groups.
    /// </summary>
    private static List<string> Fire(string message, IReadOnlyList<string> lines)
    {
        var fired = new List<string>();
        var text = message.TrimStart(' ');
        for (var i = 0; i + 1 < lines.Count; i += 2)
        {
            Assert.StartsWith("hao tgt ", lines[i], StringComparison.Ordinal);
            Assert.StartsWith("hao cmd ", lines[i + 1], StringComparison.Ordinal);
            var match = Regex.Match(text, lines[i]["hao tgt ".Length..], RegexOptions.CultureInvariant);
            if (!match.Success)
            {
                continue;
            }

            var template = lines[i + 1]["hao cmd ".Length..];
            var command = new StringBuilder();
            for (var p = 0; p < template.Length; p++)
            {
                if (template[p] == '$' && p + 1 < template.Length && char.IsAsciiDigit(template[p + 1]))
                {
                    command.Append(match.Groups[template[p + 1] - '0'].Value);
                    p++;
                }
                else
                {
                    command.Append(template[p]);
                }
            }

            fired.Add(command.ToString());
        }

        return fired;
    }
}
