using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using ChannelTape.Library.Configuration;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape hercules-config</c>: the Hercules statements for the configured drives (docs/guests.md): the module's
/// load (<c>LDMOD DIR/hdtctape.so</c>, hercules/README.md "Configure") when <c>--module-dir</c> is given, then one
/// <c>CUU CTAPE HOST:PORT *</c> device statement per drive. With <c>--commands</c> it prints instead the panel
/// commands that mount from the OS's console messages: rules of Hercules' automatic operator (HAO, hao.c of
/// Hercules 3.13; <c>hao</c> is a panel command there, refused in the configuration file, so these go into the rc
/// script). A guest without Load Display (OS/VS1, MVS 3.8j on 3420s, z/OS on any drive) asks the operator:
/// IEF233A/IEC501A (OS/VS1 at end of volume: IEC001A) <c>M CUU,VOLSER,...</c> become <c>devinit CUU "VOLSER"</c> a second later (SCRTCH and PRIVAT included: the
/// library mounts a scratch volume of the drive's pool), IEF234E/IEC502E <c>K|R|D CUU,VOLSER,...</c> become
/// <c>devinit CUU *</c>.
/// </summary>
public static class HerculesConfigCommand
{
    // Hercules 3.13 hao.c: HAO_WKLEN 256 (a rule's target and command, and the message, are cut there),
    // HAO_MAXRULE 64. A mount rule and a demount rule take one slot each per group of drives.
    private const int MaximumTargetLength = 255;
    private const int MaximumRules = 64;
    private const int RulesPerGroup = 3;

    public static Command Create(CliContext context) => new HerculesConfigOptions().Create(context);

    /// <summary>
    /// The device statements: the module's load when <paramref name="moduleDirectory"/> is given (an absolute path:
    /// Hercules runs elsewhere), then <c>CUU CTAPE HOST:PORT *</c> per drive, each starting empty.
    /// </summary>
    public static IReadOnlyList<string> DeviceStatements(LibraryConfiguration configuration, ServerAddress server, string? moduleDirectory)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var lines = new List<string>
        {
            $"# ChannelTape drives at {server} (ctape hercules-config): {ConfigurationWriter.DeviceRanges(configuration.Drives.Select(d => d.DeviceNumber))}",
        };
        if (moduleDirectory is not null)
        {
            lines.Add($"LDMOD     {Path.Combine(Path.GetFullPath(moduleDirectory), "hdtctape.so")}");
        }

        foreach (var drive in configuration.Drives)
        {
            lines.Add($"{drive.DeviceNumber:X4}      CTAPE   {server} *");
        }

        return lines;
    }

    /// <summary>
    /// The HAO rules for the drives: per group of drives a mount rule and a demount rule. The regular expressions
    /// hold no <c>#</c> (Hercules' rc script cuts a line at it) and no <c>$(</c> (a symbol reference); the volume
    /// serial is passed quoted, because Hercules' command parser ends a command at a word starting with <c>#</c>
    /// (bldcfg.c parse_args) but not at a quoted one: <c>devinit 0480 "#DRIVE"</c> mounts the administrative volume.
    /// Null with <paramref name="error"/> when the drives need more rules than HAO holds.
    /// </summary>
    public static IReadOnlyList<string>? AutomationCommands(LibraryConfiguration configuration, out string? error)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var groups = DeviceGroups(configuration.Drives.Select(d => d.DeviceNumber));
        if (groups.Count * RulesPerGroup > MaximumRules)
        {
            error = $"{configuration.Drives.Count} drives need {groups.Count * RulesPerGroup} automatic operator rules; Hercules 3.13 holds {MaximumRules}";
            return null;
        }

        var lines = new List<string>();
        foreach (var devices in groups)
        {
            // IEF233A M 480,T00100,,TAPEW,WRITE and at end of volume IEC001A M 480,M00101,SL,JOB,STEP (OS/VS1),
            // IEF233A M 480,PRIVAT,SL,JOB,STEP (MVS 3.8j), IEF233A M 0480,T00100,SL,JOB,STEP,DSN and
            // IEC501A M 0480,SCRTCH,SL,NOCOMP,JOB,STEP,DSN (MVS 3.8j and z/OS, at end of volume too).
            // A serial shorter than six characters comes padded (M 480,#CMD  ,,JOB): the group stops at the blank.
            // First wait a second, as an operator would: HAO fires within milliseconds of the message, while
            // the OS may still have the drive busy with the unload before it (devinit then fails with HHCPN096E
            // "busy or interrupt pending") or not yet wait for the device end. Rules fire in the order defined,
            // each command to its end (hao.c hao_message; sh waits for its shell, hscmisc.c herc_system); the
            // target differs from the mount rule's by a leading ".*" only, as HAO refuses a duplicate target.
            lines.Add($"hao tgt .*{MountTarget(devices)}");
            lines.Add("hao cmd sh sleep 1");
            lines.Add($"hao tgt {MountTarget(devices)}");
            // $4: the label type a non-specific request expects (IEF233A M 480,SCRTCH,NL,...): the scratch volume is
            // given those labels; empty for a specific volume (OS/VS1 leaves the field empty there).
            lines.Add("hao cmd devinit $2 \"$3\" $4");
            // IEF234E K 480,T00100,PVT,JOB (keep), R (retain), D (delete); IEC502E K 0480,T00100,SL,JOB,STEP.
            // A demount without a serial (IEF234E R 480,,JOB: nothing was mounted) fires nothing.
            lines.Add($"hao tgt {DemountTarget(devices)}");
            lines.Add("hao cmd devinit $2 *");
        }

        error = null;
        return lines;
    }

    /// <summary>
    /// The mount rule's target: $2 the device number as the message gives it, $3 the serial or SCRTCH/PRIVAT, $4 the label
    /// type when the message gives one (z/OS MVS System Messages, IEF233A and IEC501A: the field after the serial), else empty.
    /// </summary>
    public static string MountTarget(IEnumerable<ushort> devices) =>
        $"IE(F233A|C501A|C001A) M /?({Alternatives(devices)}),([^ ,]{{1,6}}),?((SUL|SL|AUL|AL|NSL|NL|BLP|LTM)?)";

    /// <summary>The demount rule's target: $2 the device number, $3 the serial.</summary>
    public static string DemountTarget(IEnumerable<ushort> devices) => $"IE(F234|C502)E [A-Z]{{1,2}} /?({Alternatives(devices)}),([^ ,]{{1,6}})";

    // MVS 3.8j and OS/VS1 write a device number below 1000 with three digits, z/OS with four.
    private static string Alternatives(IEnumerable<ushort> devices) =>
        string.Join('|', devices.Select(d => d < 0x1000 ? "0?" + d.ToString("X3", CultureInfo.InvariantCulture) : d.ToString("X4", CultureInfo.InvariantCulture)));

    private static List<List<ushort>> DeviceGroups(IEnumerable<ushort> devices)
    {
        var groups = new List<List<ushort>>();
        var current = new List<ushort>();
        foreach (var device in devices)
        {
            current.Add(device);
            if (("hao tgt .*" + MountTarget(current)).Length > MaximumTargetLength)
            {
                current.RemoveAt(current.Count - 1);
                groups.Add(current);
                current = [device];
            }
        }

        if (current.Count > 0)
        {
            groups.Add(current);
        }

        return groups;
    }

    /// <summary>The options of one <c>hercules-config</c> command.</summary>
    private sealed class HerculesConfigOptions
    {
        private readonly Option<string?> _config = new("--config")
        {
            Description = "The configuration file whose drives Hercules gets (docs/config.md); without it the embedded default",
            HelpName = "FILE",
        };

        private readonly Option<ServerAddress?> _server = new("--server")
        {
            Description = "The address Hercules connects to, HOST:PORT (default: the configuration's listen address)",
            HelpName = "HOST:PORT",
            CustomParser = result => ServerAddress.TryParse(CliOptions.Single(result)) is { } address
                ? address
                : CliOptions.Fail<ServerAddress?>(result, $"--server wants HOST:PORT (e.g. 127.0.0.1:7490), got '{CliOptions.Single(result)}'"),
        };

        private readonly Option<string?> _moduleDirectory = new("--module-dir")
        {
            Description = "The folder of hdtctape.so: an LDMOD statement loads it before the drives",
            HelpName = "DIR",
        };

        private readonly Option<bool> _commands = new("--commands")
        {
            Description = "Print the panel commands for Hercules' rc script instead: automatic operator (hao) rules that mount "
                + "and unload from the OS's IEF233A/IEC501A and IEF234E/IEC502E console messages",
        };

        public Command Create(CliContext context)
        {
            var command = new Command("hercules-config",
                "Print the Hercules statements for the configured drives (module load, one CTAPE device statement per drive), "
                + "or with --commands the automation that mounts what the OS asks for on its console (docs/guests.md)")
            {
                _config, _server, _moduleDirectory, _commands,
            };
            command.SetAction(parse => Run(context, parse));
            return command;
        }

        private int Run(CliContext context, ParseResult parse)
        {
            if (!ServeCommand.TryLoad(parse.GetValue(_config), context.Error, out var configuration))
            {
                return ExitCodes.Failure;
            }

            IReadOnlyList<string>? lines;
            if (parse.GetValue(_commands))
            {
                lines = AutomationCommands(configuration, out var error);
                if (lines is null)
                {
                    context.Error.WriteLine(error);
                    return ExitCodes.Failure;
                }
            }
            else
            {
                var server = parse.GetValue(_server) ?? Reachable(configuration.Listen);
                if (server is null)
                {
                    context.Error.WriteLine(
                        $"the configuration listens on {configuration.Listen}, which Hercules cannot connect to: give --server HOST:PORT");
                    return ExitCodes.Failure;
                }

                lines = DeviceStatements(configuration, server, parse.GetValue(_moduleDirectory));
            }

            var text = new StringBuilder();
            foreach (var line in lines)
            {
                text.Append(line).Append('\n');
            }

            context.Output.Write(text.ToString());
            return ExitCodes.Success;
        }

        /// <summary>The listen address as Hercules can connect to it; null for a wildcard (0.0.0.0, ::).</summary>
        private static ServerAddress? Reachable(IPEndPoint listen) =>
            listen.Address.Equals(IPAddress.Any) || listen.Address.Equals(IPAddress.IPv6Any)
                ? null
                : new ServerAddress(listen.Address.ToString(), listen.Port);
    }
}
