using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ChannelTape.Channel;

namespace ChannelTape.Scripts.Replay;

/// <summary>Where and how a replay runs.</summary>
/// <param name="WorkDirectory">Gets the working copy of the tape (<c>tape.aws</c>) and of images mounted by <c>{copy:PATH}</c>.</param>
/// <param name="FullData">Do not abbreviate data longer than 1024 bytes (run.py <c>--full-data</c>).</param>
/// <param name="FullAwsHex">Show every block of the final image in hex (run.py <c>--full-aws-hex</c>).</param>
public sealed record ReplayRunOptions(string WorkDirectory, bool FullData = false, bool FullAwsHex = false);

/// <summary>
/// Runs a reference-runner test against an in-process drive and produces the runner's result
/// document, field for field where the in-process run can know it (no SCSW addresses, timings or
/// Hercules log lines). The sequence is the runner's guest program (oracle guest.s): per program,
/// host commands, unsolicited status drained into <c>pending_before</c>, the channel program
/// started <c>repeat</c> times (stopping on UC, UX or channel status, PCI included), then a
/// format-1 SENSE with SLI of <c>sense_count</c> bytes if unit check was seen.
/// </summary>
public sealed partial class ReplayRunner(IReplayDeviceFactory factory)
{
    /// <summary>Hercules 3.13 drops an unsolicited status while one is still pending (channel.c device_attention).</summary>
    private const int MaxPendingStatuses = 1;

    private const int AbbreviateHexLength = 2048;
    private const uint OrbFormat1 = 0x0080_0000;
    private const uint OrbSuppressIncorrectLength = 0x0008_0000;

    private readonly LocalChannel _channel = new();

    public JsonObject Run(ReplayTest test, ReplayRunOptions options)
    {
        ArgumentNullException.ThrowIfNull(test);
        ArgumentNullException.ThrowIfNull(options);
        Directory.CreateDirectory(options.WorkDirectory);
        var workDirectory = Path.GetFullPath(options.WorkDirectory);
        var tapePath = Path.Combine(workDirectory, "tape.aws");
        var hasTape = PrepareTape(test, tapePath);

        var result = new JsonObject
        {
            ["test"] = test.Name,
            ["device"] = test.DeviceType,
            ["devnum"] = test.DeviceNumber.ToString("X4"),
            ["tape"] = test.Tape switch
            {
                ReplayTape.None => "none",
                ReplayTape.Empty => "empty",
                ReplayTape.File file => file.Path,
                _ => "generated",
            },
            ["device_options"] = new JsonArray([.. test.DeviceOptions.Select(o => (JsonNode)o)]),
            ["emulator"] = factory.Emulator,
        };
        var startupLog = new JsonArray();
        var programs = new JsonArray();
        using (var drive = factory.Create(test.DeviceType, test.DeviceNumber))
        {
            if (hasTape && drive.Mount(tapePath, test.DeviceOptions) is { } error)
            {
                startupLog.Add($"mount of {tapePath} failed: {error}");
            }

            var pending = new List<UnitStatus>();
            var copies = new HashSet<string>(StringComparer.Ordinal);
            void OnUnsolicited(IChannelDevice device, UnitStatus status)
            {
                if (pending.Count < MaxPendingStatuses)
                {
                    pending.Add(status);
                }
            }

            drive.Device.UnsolicitedStatus += OnUnsolicited;
            try
            {
                foreach (var program in test.Programs)
                {
                    var hostLog = new JsonArray();
                    foreach (var command in program.HostBefore)
                    {
                        RunHostCommand(test, drive, command, workDirectory, copies, pending, hostLog);
                    }

                    programs.Add(RunProgram(drive.Device, program, pending, hostLog, options));
                }
            }
            finally
            {
                drive.Device.UnsolicitedStatus -= OnUnsolicited;
            }
        }

        result["startup_log"] = startupLog;
        result["programs"] = programs;
        if (hasTape && File.Exists(tapePath))
        {
            var image = File.ReadAllBytes(tapePath);
            result["aws"] = new JsonObject
            {
                ["file"] = tapePath,
                ["size"] = image.Length,
                ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(image)),
                ["blocks"] = ReplayAwsImage.Describe(image, options.FullAwsHex),
            };
        }
        else
        {
            result["aws"] = null;
        }

        return result;
    }

    private static bool PrepareTape(ReplayTest test, string tapePath)
    {
        switch (test.Tape)
        {
            case ReplayTape.None:
                return false;
            case ReplayTape.Empty:
                File.WriteAllBytes(tapePath, []);
                return true;
            case ReplayTape.Generated generated:
                File.WriteAllBytes(tapePath, ReplayAwsImage.Encode(generated.Blocks));
                return true;
            case ReplayTape.File file:
                var source = Path.IsPathRooted(file.Path) ? file.Path : Path.Combine(test.BaseDirectory, file.Path);
                if (!File.Exists(source))
                {
                    throw new ReplayFormatException($"tape image '{source}' not found");
                }

                File.Copy(source, tapePath, overwrite: true);
                return true;
            default:
                throw new ReplayFormatException("unknown tape kind");
        }
    }

    /// <summary>
    /// The console commands the replay understands: <c>devinit CUU PATH [options]</c> and
    /// <c>devinit CUU *</c>. As Hercules' devinit, a successful one raises device end
    /// (docs/reference/hercules-tape.md §5 "Ready"), and one given while the device still has status pending is
    /// refused (Hercules 3.13 hsccmd.c, HHCPN096E "busy or interrupt pending": golden
    /// operator_unload program 4 mounts, then its unload is refused); other console commands are
    /// logged as not replayed.
    /// </summary>
    private static void RunHostCommand(ReplayTest test, IReplayDrive drive, string command, string workDirectory,
        HashSet<string> copies, List<UnitStatus> pending, JsonArray hostLog)
    {
        var expanded = Substitute(test, command, workDirectory, copies);
        var words = expanded.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 3 || !words[0].Equals("devinit", StringComparison.OrdinalIgnoreCase))
        {
            hostLog.Add($"not replayed: {expanded}");
            return;
        }

        var devnumText = words[1].Contains(':', StringComparison.Ordinal) ? words[1][(words[1].IndexOf(':', StringComparison.Ordinal) + 1)..] : words[1];
        if (!ushort.TryParse(devnumText, System.Globalization.NumberStyles.AllowHexSpecifier, null, out var devnum)
            || devnum != test.DeviceNumber)
        {
            hostLog.Add($"devinit: no device {words[1]}");
            return;
        }

        if (pending.Count > 0)
        {
            hostLog.Add($"devinit {words[1]} refused: device busy or interrupt pending");
            return;
        }

        var before = pending.Count;
        if (words[2] == "*")
        {
            drive.Unload();
            hostLog.Add($"{test.DeviceNumber:X4} unloaded");
        }
        else if (drive.Mount(words[2], words[3..]) is { } error)
        {
            hostLog.Add($"devinit {words[2]} failed: {error}");
            return;
        }
        else
        {
            hostLog.Add($"{test.DeviceNumber:X4} mounted {words[2]}");
        }

        if (pending.Count == before && pending.Count < MaxPendingStatuses)
        {
            pending.Add(UnitStatus.DeviceEnd);
        }
    }

    /// <summary>Expands the runner's placeholders in a host command (run.py subst); <c>{copy:PATH}</c> copies into <paramref name="workDirectory"/>.</summary>
    /// <param name="test">The test (base directory, device number).</param>
    /// <param name="command">The host command.</param>
    /// <param name="workDirectory">The run's work directory.</param>
    /// <param name="copies">Copies made earlier in this run, which the drive may still hold open.</param>
    private static string Substitute(ReplayTest test, string command, string workDirectory, HashSet<string> copies)
    {
        var copied = CopyPlaceholder().Replace(command, m =>
        {
            var source = m.Groups[1].Value;
            if (!Path.IsPathRooted(source))
            {
                source = Path.Combine(test.BaseDirectory, source);
            }

            if (!File.Exists(source))
            {
                throw new ReplayFormatException($"file '{source}' for host command not found");
            }

            // The runner overwrites mount-NAME each time; here the drive may still hold this run's earlier
            // copy open (a test that mounts the same image twice), so a second copy gets a name of its own.
            var destination = Path.Combine(workDirectory, "mount-" + Path.GetFileName(source));
            for (var n = 2; copies.Contains(destination); n++)
            {
                destination = Path.Combine(workDirectory, $"mount-{n}-{Path.GetFileName(source)}");
            }

            File.Copy(source, destination, overwrite: true);
            copies.Add(destination);
            return destination;
        });
        return copied.Replace("{dir}", workDirectory, StringComparison.Ordinal)
            .Replace("{tape}", Path.Combine(workDirectory, "tape.aws"), StringComparison.Ordinal)
            .Replace("{base}", test.BaseDirectory, StringComparison.Ordinal)
            .Replace("{devnum}", test.DeviceNumber.ToString("X4"), StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\{copy:([^}]+)\}")]
    private static partial Regex CopyPlaceholder();

    private JsonObject RunProgram(IChannelDevice device, ReplayProgram program, List<UnitStatus> pending,
        JsonArray hostLog, ReplayRunOptions options)
    {
        var (channelProgram, layout) = Lay(program);
        var orb = program.OrbWord1;
        var channelOptions = new ChannelProgramOptions
        {
            Format = (orb & OrbFormat1) != 0 ? CcwFormat.Format1 : CcwFormat.Format0,
            SuppressIncorrectLength = (orb & OrbSuppressIncorrectLength) != 0,
        };

        var entry = new JsonObject
        {
            ["index"] = program.Index,
            ["name"] = program.Name,
        };
        var pendingBefore = pending.ToArray();
        pending.Clear();

        ChannelProgramResult result;
        var iterations = 0;
        UnitStatus unitAll;
        ChannelStatus channelAll;
        do
        {
            result = _channel.Run(device, channelProgram.Storage, ChannelProgram.CcwBase, channelOptions);
            iterations++;
            unitAll = result.UnitStatus;
            channelAll = result.ChannelStatus
                | (result.ProgramControlledInterruptions > 0 ? ChannelStatus.ProgramControlledInterruption : ChannelStatus.None);
        }
        while (iterations < program.Repeat && result.Completion == ChannelCompletion.Ok
            && (unitAll & (UnitStatus.UnitCheck | UnitStatus.UnitException)) == 0 && channelAll == ChannelStatus.None);

        var endedAt = channelProgram.EndedAt(result);
        entry["completion"] = result.Completion == ChannelCompletion.Ok ? "ok" : "timeout";
        entry["ssch_cc"] = 0;
        entry["iterations"] = iterations;
        entry["interrupt_count"] = result.ProgramControlledInterruptions > 0 ? 2 : 1;
        entry["unit_status"] = Hex2((byte)result.UnitStatus);
        entry["unit_status_names"] = Names((byte)result.UnitStatus, s_unitNames);
        entry["channel_status"] = Hex2((byte)result.ChannelStatus);
        entry["channel_status_names"] = Names((byte)result.ChannelStatus, s_channelNames);
        entry["residual"] = result.Residual;
        entry["unit_status_all"] = Hex2((byte)unitAll);
        entry["channel_status_all"] = Hex2((byte)channelAll);
        entry["ended_at_ccw"] = endedAt;
        entry["data"] = DataEntries(channelProgram, layout, endedAt, result.Residual, options.FullData);
        if (pendingBefore.Length > 0)
        {
            var statuses = new JsonArray();
            foreach (var status in pendingBefore.Take(2))
            {
                statuses.Add(new JsonObject
                {
                    ["scsw"] = $"0000001100000000{(byte)status:X2}000000",
                    ["unit_status"] = Hex2((byte)status),
                    ["channel_status"] = "00",
                    ["residual"] = 0,
                    ["stctl"] = new JsonArray("ALERT", "PENDING"),
                });
            }

            entry["pending_before"] = new JsonObject { ["count"] = pendingBefore.Length, ["statuses"] = statuses };
        }

        if (program.AutoSense && (unitAll & UnitStatus.UnitCheck) != 0)
        {
            var sense = new ChannelProgram();
            sense.Add(0x04, CcwFlags.SuppressLength, program.SenseCount);
            var senseResult = sense.Run(_channel, device);
            var n = Math.Max(0, program.SenseCount - senseResult.Residual);
            entry["sense"] = new JsonObject
            {
                ["completion"] = senseResult.Completion == ChannelCompletion.Ok ? "ok" : "timeout",
                ["ssch_cc"] = 0,
                ["unit_status"] = Hex2((byte)senseResult.UnitStatus),
                ["channel_status"] = Hex2((byte)senseResult.ChannelStatus),
                ["residual"] = senseResult.Residual,
            };
            entry["sense_hex"] = Convert.ToHexString(sense.DataArea(0)[..n]);
        }
        else
        {
            entry["sense_hex"] = null;
        }

        if (hostLog.Count > 0)
        {
            entry["host_log"] = hostLog;
        }

        return entry;
    }

    /// <summary>What the runner shows of each laid-out CCW.</summary>
    private sealed record LaidOutCcw(int Index, byte Command, int Count, bool HasDataArea, bool IsRepeatOfPrevious);

    /// <summary>Expands CCW repeats and lays the program out as the runner does (build_progdata).</summary>
    private static (ChannelProgram Program, List<LaidOutCcw> Layout) Lay(ReplayProgram program)
    {
        var expanded = new List<(int Spec, ReplayCcw Ccw)>();
        for (var s = 0; s < program.Ccws.Count; s++)
        {
            for (var r = 0; r < program.Ccws[s].Repeat; r++)
            {
                expanded.Add((s, program.Ccws[s]));
            }
        }

        var firstOf = new Dictionary<int, int>();
        for (var i = 0; i < expanded.Count; i++)
        {
            firstOf.TryAdd(expanded[i].Spec, i);
        }

        var channelProgram = new ChannelProgram(program.Format);
        var layout = new List<LaidOutCcw>();
        var owner = -1;
        for (var i = 0; i < expanded.Count; i++)
        {
            var (spec, ccw) = expanded[i];
            var repeatOfPrevious = i > 0 && expanded[i - 1].Spec == spec;
            var hasArea = false;
            if (CommandType.IsTransferInChannel(ccw.Command) && ccw.TicTarget is { } target)
            {
                channelProgram.AddTransfer(firstOf[target], ccw.Command, ccw.Flags, ccw.Count);
            }
            else if (ccw.DataAddress is { } address)
            {
                channelProgram.AddAtAddress(ccw.Command, ccw.Flags, ccw.Count, address);
            }
            else if (ccw.Count == 0 && !ccw.HasData)
            {
                channelProgram.Add(ccw.Command, ccw.Flags, 0);
            }
            else
            {
                hasArea = true;
                if (repeatOfPrevious && owner >= 0)
                {
                    channelProgram.AddSharingBuffer(ccw.Command, ccw.Flags, ccw.Count, owner);
                }
                else
                {
                    owner = channelProgram.Add(ccw.Command, ccw.Flags, ccw.Count, ccw.Buffer);
                }
            }

            layout.Add(new LaidOutCcw(i, ccw.Command, ccw.Count, hasArea, repeatOfPrevious && hasArea));
        }

        channelProgram.Build();
        return (channelProgram, layout);
    }

    /// <summary>The runner's <c>data</c> list: input CCWs; the ended-on one with what it moved, the others with their whole area.</summary>
    private static JsonArray DataEntries(ChannelProgram program, List<LaidOutCcw> layout, int? endedAt, int residual, bool fullData)
    {
        var data = new JsonArray();
        var shownOwners = new HashSet<int>();
        foreach (var ccw in layout)
        {
            if (!CommandType.IsInput(ccw.Command) || !ccw.HasDataArea)
            {
                continue;
            }

            var areaOwner = program.DataAreaOwner(ccw.Index);
            if (!shownOwners.Add(areaOwner) && ccw.Index != endedAt)
            {
                continue;
            }

            var area = program.DataArea(ccw.Index);
            var entry = new JsonObject
            {
                ["ccw"] = ccw.Index,
                ["op"] = Hex2(ccw.Command),
                ["count"] = ccw.Count,
            };
            string key;
            byte[] bytes;
            if (ccw.Index == endedAt)
            {
                var n = Math.Max(0, ccw.Count - residual);
                n = Math.Min(n, area.Length);
                entry["transferred"] = n;
                key = "data_hex";
                bytes = CommandType.IsReadBackward(ccw.Command) ? area[^n..].ToArray() : area[..n].ToArray();
            }
            else
            {
                entry["transferred"] = null;
                key = "buffer_hex";
                bytes = area.ToArray();
            }

            var hex = Convert.ToHexString(bytes);
            if (!fullData && hex.Length > AbbreviateHexLength)
            {
                entry[key] = hex[..128] + "...";
                entry[key + "_sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes));
            }
            else
            {
                entry[key] = hex;
            }

            data.Add(entry);
        }

        return data;
    }

    private static readonly (string Name, byte Bit)[] s_unitNames =
        [("ATTN", 0x80), ("SM", 0x40), ("CUE", 0x20), ("BUSY", 0x10), ("CE", 0x08), ("DE", 0x04), ("UC", 0x02), ("UX", 0x01)];

    private static readonly (string Name, byte Bit)[] s_channelNames =
        [("PCI", 0x80), ("IL", 0x40), ("PGM", 0x20), ("PROT", 0x10), ("CDC", 0x08), ("CCC", 0x04), ("ICC", 0x02), ("CHAIN", 0x01)];

    private static JsonArray Names(byte value, (string Name, byte Bit)[] table) =>
        new([.. table.Where(t => (value & t.Bit) != 0).Select(t => (JsonNode)t.Name)]);

    private static string Hex2(byte value) => value.ToString("X2");
}
