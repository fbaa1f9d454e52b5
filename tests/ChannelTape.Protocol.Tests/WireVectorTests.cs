using System.Buffers.Binary;
using System.IO.Pipelines;
using ChannelTape.Channel;
using ChannelTape.Protocol.Messages;

namespace ChannelTape.Protocol.Tests;

/// <summary>
/// The C# codec against the wire vectors in tests/protocol/vectors, which the Hercules module's codec
/// (make -C hercules check) and the Python test peer's (tests/bridge/check_vectors.py) are checked
/// against too: valid frames decode to their fields and are written byte for byte from them, malformed
/// ones are refused with their error code.
/// </summary>
public class WireVectorTests
{
    public static TheoryData<string> Valid => new(WireVectors.All.Where(v => v.Valid && v.Message != "*").Select(v => v.Id));

    public static TheoryData<string> Malformed => new(WireVectors.All.Where(v => !v.Valid && v.Message != "*").Select(v => v.Id));

    public static TheoryData<string> Headers => new(WireVectors.All.Where(v => v.Message == "*").Select(v => v.Id));

    [Theory]
    [MemberData(nameof(Valid))]
    public async Task Valid_frame_is_read_and_parsed_to_its_fields(string id)
    {
        var vector = WireVectors.Get(id);
        var type = WireDescription.Number(WireDescription.Message(vector.Message).GetProperty("code"));

        var frame = await ReadOneFrame(vector.Frame);

        Assert.NotNull(frame);
        Assert.Equal(type, (ulong)frame.Value.Type);
        var decoded = Decode(vector.Message, frame.Value.Body.ToArray());
        Assert.Equal(vector.Fields.Keys.Order(StringComparer.Ordinal), decoded.Keys.Where(k => k != EntriesKey).Order(StringComparer.Ordinal));
        Assert.Equal(vector.Entries.Count > 0, decoded.ContainsKey(EntriesKey));
        foreach (var (name, value) in decoded)
        {
            Assert.True(Same(vector, name, value), $"{name}: parsed {Show(value)}, the vector says {vector.Fields.GetValueOrDefault(name, "(its entry lines)")}");
        }
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void Valid_frame_is_written_from_its_fields(string id)
    {
        var vector = WireVectors.Get(id);
        if (vector.DecodeOnly)
        {
            // An older peer's encoding: still parsed (the other theory), never written by this library.
            Assert.NotEqual(vector.Frame, Encode(vector));
            return;
        }

        Assert.Equal(Convert.ToHexString(vector.Frame), Convert.ToHexString(Encode(vector)));
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_body_is_refused_with_its_error(string id)
    {
        var vector = WireVectors.Get(id);
        var body = vector.Frame[Frame.HeaderSize..];

        if (vector.Differs.TryGetValue("cs", out var reason))
        {
            // A known difference (its reason in the vector): the C# codec accepts this frame. When it
            // stops doing so, the "differs cs" line goes.
            var accepted = Record.Exception(() => Decode(vector.Message, body));
            Assert.True(accepted is null, $"the C# codec now refuses this frame ({accepted?.Message}): remove 'differs cs {reason}'");
            return;
        }

        var e = Assert.Throws<ProtocolException>(() => Decode(vector.Message, body));
        Assert.Equal(Enum.Parse<ProtocolErrorCode>(vector.Error!), e.Code);
    }

    [Theory]
    [MemberData(nameof(Headers))]
    public async Task Frame_header_is_refused_before_its_body(string id)
    {
        var vector = WireVectors.Get(id);

        var e = await Assert.ThrowsAsync<ProtocolException>(() => ReadOneFrame(vector.Frame));

        Assert.Equal(Enum.Parse<ProtocolErrorCode>(vector.Error!), e.Code);
    }

    [Fact]
    public void Every_message_type_has_a_valid_vector_and_every_vector_a_described_message()
    {
        var described = WireDescription.Messages.Select(WireDescription.Name).ToHashSet();
        var covered = WireVectors.All.Where(v => v.Valid).Select(v => v.Message).ToHashSet();

        Assert.Empty(described.Except(covered));
        Assert.DoesNotContain(WireVectors.All, v => v.Message != "*" && !described.Contains(v.Message));
        Assert.Contains(WireVectors.All, v => v.Message == "*");
    }

    private static async Task<Frame?> ReadOneFrame(byte[] bytes)
    {
        // No back-pressure: the whole frame (64 KiB and more) is written before the reader starts.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        await pipe.Writer.WriteAsync(bytes);
        await pipe.Writer.CompleteAsync();
        var frame = await new FrameReader(pipe.Reader).ReadAsync();
        return frame is { } f ? new Frame(f.Type, f.Body.ToArray()) : null;
    }

    /// <summary>The message's fields, named as in protocol/wire.json.</summary>
    private static Dictionary<string, object> Decode(string message, byte[] body)
    {
        switch (message)
        {
            case "Hello":
                var hello = HelloMessage.Parse(body);
                return new() { ["Magic"] = (ulong)hello.Magic, ["Version"] = (ulong)hello.Version, ["MaxFrameLength"] = (ulong)hello.MaxFrameLength,
                    ["HostName"] = hello.HostName, ["Features"] = (ulong)hello.Features };
            case "HelloReply":
                var helloReply = HelloReplyMessage.Parse(body);
                var helloReplyFields = new Dictionary<string, object> { ["Version"] = (ulong)helloReply.Version, ["MaxFrameLength"] = (ulong)helloReply.MaxFrameLength,
                    ["ServerName"] = helloReply.ServerName, ["Features"] = (ulong)helloReply.Features };
                if (helloReply.ManagementAddress is { } management)
                {
                    helloReplyFields["ManagementAddress"] = management;
                }

                return helloReplyFields;
            case "Challenge":
                var challenge = ChallengeMessage.Parse(body);
                return new() { ["Method"] = (ulong)challenge.Method, ["Nonce"] = challenge.Nonce };
            case "Authenticate":
                var authenticate = AuthenticateMessage.Parse(body);
                return new() { ["HostNonce"] = authenticate.HostNonce, ["Proof"] = authenticate.Proof, ["Identity"] = authenticate.Identity };
            case "AuthenticateReply":
                return new() { ["Proof"] = AuthenticateReplyMessage.Parse(body).Proof };
            case "Attach":
                var attach = AttachMessage.Parse(body);
                return new() { ["DeviceNumber"] = (ulong)attach.DeviceNumber, ["Model"] = (ulong)attach.Model, ["Flags"] = (ulong)attach.Flags,
                    ["DeviceArguments"] = attach.DeviceArguments };
            case "AttachReply":
                var attachReply = AttachReplyMessage.Parse(body);
                return new() { ["Result"] = (ulong)attachReply.Result, ["Model"] = (ulong)attachReply.Model, ["SenseIdCount"] = (ulong)attachReply.SenseId.Length,
                    ["SenseId"] = attachReply.SenseId, ["SenseCount"] = (ulong)attachReply.SenseCount, ["ImmediateCommands"] = attachReply.ImmediateCommands,
                    ["VolumeLoaded"] = attachReply.VolumeLoaded ? 1UL : 0UL, ["Message"] = attachReply.Message };
            case "Ccw":
                return CcwFields(CcwMessage.Parse(body));
            case "BufferedCcw":
                return CcwFields(BufferedCcwMessage.Parse(body).Ccw);
            case "CcwReply":
                var reply = CcwReplyMessage.Parse(body);
                var fields = new Dictionary<string, object>
                {
                    ["Status"] = (ulong)reply.Status, ["Flags"] = (ulong)reply.Flags, ["Residual"] = (ulong)reply.Residual,
                    ["SenseCount"] = (ulong)reply.Sense.Length, ["Sense"] = reply.Sense.ToArray(), ["Data"] = reply.Data.ToArray(),
                };
                if (reply.HasWriteCredit)
                {
                    fields["WriteCredit"] = (ulong)reply.WriteCredit;
                }

                return fields;
            case "Halt":
                HaltMessage.Parse(body);
                return [];
            case "Query":
                QueryMessage.Parse(body);
                return [];
            case "ReadAhead":
                var readAhead = ReadAheadMessage.Parse(body);
                var entries = new List<(uint, byte[]?, ulong?)>();
                foreach (var block in readAhead)
                {
                    entries.Add(block.IsReference ? (block.Length, null, (ulong)block.ImageOffset) : (block.Length, block.Data.ToArray(), null));
                }

                return new() { ["Count"] = (ulong)readAhead.Count, [EntriesKey] = entries };
            case "ReadAheadEnd":
                var end = ReadAheadEndMessage.Parse(body);
                return new() { ["UnusedBlocks"] = (ulong)end.UnusedBlocks, ["Flags"] = (ulong)end.Flags };
            case "ReadAheadImage":
                return new() { ["Path"] = ReadAheadImageMessage.Parse(body).Path };
            case "Unsolicited":
                return new() { ["Status"] = (ulong)UnsolicitedMessage.Parse(body).Status };
            case "Mount":
                return new() { ["Arguments"] = MountMessage.Parse(body).Arguments };
            case "MountReply":
                var mountReply = MountReplyMessage.Parse(body);
                return new() { ["Result"] = (ulong)mountReply.Result, ["Message"] = mountReply.Message };
            case "QueryReply":
                return new() { ["Text"] = QueryReplyMessage.Parse(body).Text };
            case "Ping":
                return new() { ["Token"] = PingMessage.Parse(body).Token };
            case "Pong":
                return new() { ["Token"] = PongMessage.Parse(body).Token };
            case "Close":
                var close = CloseMessage.Parse(body);
                return new() { ["Reason"] = (ulong)close.Reason, ["Text"] = close.Text };
            case "Error":
                var error = ErrorMessage.Parse(body);
                return new() { ["Code"] = (ulong)error.Code, ["Text"] = error.Text };
            default:
                throw new InvalidOperationException($"no C# message {message}");
        }
    }

    private static Dictionary<string, object> CcwFields(CcwMessage ccw) => new()
    {
        ["Command"] = (ulong)ccw.Command, ["Flags"] = (ulong)ccw.Flags, ["PreviousFlags"] = (ulong)ccw.PreviousFlags,
        ["PreviousCommand"] = (ulong)ccw.PreviousCommand, ["Sequence"] = (ulong)ccw.Sequence, ["Count"] = (ulong)ccw.Count, ["Data"] = ccw.Data.ToArray(),
    };

    /// <summary>The frame this library writes for the vector's fields.</summary>
    private static byte[] Encode(WireVector v)
    {
        ulong N(string name) => WireVectors.Number(v.Fields[name]);
        string T(string name) => WireVectors.Text(v.Fields[name]);
        byte[] B(string name) => WireVectors.Hex(v.Fields[name]);
        CcwMessage Ccw() => new((byte)N("Command"), (CcwFlags)N("Flags"), (CcwFlags)N("PreviousFlags"), (byte)N("PreviousCommand"),
            (uint)N("Sequence"), (uint)N("Count"), B("Data"));

        switch (v.Message)
        {
            case "Hello":
                return FrameWriter.ToArray(new HelloMessage((uint)N("Magic"), (ushort)N("Version"), (uint)N("MaxFrameLength"), T("HostName"), (ProtocolFeatures)N("Features")));
            case "HelloReply":
                return FrameWriter.ToArray(new HelloReplyMessage((ushort)N("Version"), (uint)N("MaxFrameLength"), T("ServerName"), (ProtocolFeatures)N("Features"),
                    v.Fields.ContainsKey("ManagementAddress") ? T("ManagementAddress") : null));
            case "Challenge":
                return FrameWriter.ToArray(new ChallengeMessage((AuthenticationMethod)N("Method"), B("Nonce")));
            case "Authenticate":
                return FrameWriter.ToArray(new AuthenticateMessage(B("HostNonce"), B("Proof"), T("Identity")));
            case "AuthenticateReply":
                return FrameWriter.ToArray(new AuthenticateReplyMessage(B("Proof")));
            case "Attach":
                return FrameWriter.ToArray(new AttachMessage((ushort)N("DeviceNumber"), (ushort)N("Model"), (AttachFlags)N("Flags"), T("DeviceArguments")));
            case "AttachReply":
                return FrameWriter.ToArray(new AttachReplyMessage((AttachResult)N("Result"), (ushort)N("Model"), B("SenseId"), (byte)N("SenseCount"),
                    B("ImmediateCommands"), N("VolumeLoaded") != 0, T("Message")));
            case "Ccw":
                return FrameWriter.ToArray(Ccw());
            case "BufferedCcw":
                return FrameWriter.ToArray(new BufferedCcwMessage(Ccw()));
            case "CcwReply":
                return FrameWriter.ToArray(new CcwReplyMessage((UnitStatus)N("Status"), (CcwReplyFlags)N("Flags"), (uint)N("Residual"), B("Sense"), B("Data"),
                    v.Fields.ContainsKey("WriteCredit") ? (uint)N("WriteCredit") : 0));
            case "Halt":
                return FrameWriter.ToArray(new HaltMessage());
            case "Query":
                return FrameWriter.ToArray(new QueryMessage());
            case "ReadAhead":
                var entries = new byte[v.Entries.Sum(e => e.Data is null ? ReadAheadMessage.ReferenceEntrySize : ReadAheadMessage.EntrySize((int)e.Length))];
                var used = 0;
                foreach (var (length, data, offset) in v.Entries)
                {
                    used += data is null
                        ? ReadAheadMessage.WriteReferenceEntry(entries.AsSpan(used), (int)length, (long)offset!.Value)
                        : ReadAheadMessage.WriteEntry(entries.AsSpan(used), (int)length, data);
                }

                return FrameWriter.ToArray(new ReadAheadMessage((ushort)N("Count"), entries));
            case "ReadAheadEnd":
                return FrameWriter.ToArray(new ReadAheadEndMessage((uint)N("UnusedBlocks"), (ReadAheadEndFlags)N("Flags")));
            case "ReadAheadImage":
                return FrameWriter.ToArray(new ReadAheadImageMessage(T("Path")));
            case "Unsolicited":
                return FrameWriter.ToArray(new UnsolicitedMessage((UnitStatus)N("Status")));
            case "Mount":
                return FrameWriter.ToArray(new MountMessage(T("Arguments")));
            case "MountReply":
                return FrameWriter.ToArray(new MountReplyMessage((MountResult)N("Result"), T("Message")));
            case "QueryReply":
                return FrameWriter.ToArray(new QueryReplyMessage(T("Text")));
            case "Ping":
                return FrameWriter.ToArray(new PingMessage(N("Token")));
            case "Pong":
                return FrameWriter.ToArray(new PongMessage(N("Token")));
            case "Close":
                return FrameWriter.ToArray(new CloseMessage((CloseReason)N("Reason"), T("Text")));
            case "Error":
                return FrameWriter.ToArray(new ErrorMessage((ProtocolErrorCode)N("Code"), T("Text")));
            default:
                throw new InvalidOperationException($"no C# message {v.Message}");
        }
    }

    // ReadAhead's entries are compared with the vector's entry lines, not a field line.
    private const string EntriesKey = "Entries";

    private static bool Same(WireVector v, string name, object value)
    {
        if (name == EntriesKey)
        {
            var entries = (List<(uint Length, byte[]? Data, ulong? ImageOffset)>)value;
            return entries.Count == v.Entries.Count && entries.Zip(v.Entries).All(p =>
                p.First.Length == p.Second.Length && p.First.ImageOffset == p.Second.ImageOffset
                && (p.First.Data is null ? p.Second.Data is null : p.Second.Data is not null && p.First.Data.AsSpan().SequenceEqual(p.Second.Data)));
        }

        if (!v.Fields.TryGetValue(name, out var text))
        {
            return false;
        }

        return value switch
        {
            ulong number => number == WireVectors.Number(text),
            byte[] bytes => bytes.AsSpan().SequenceEqual(WireVectors.Hex(text)),
            string s => s == WireVectors.Text(text),
            _ => false,
        };
    }

    private static string Show(object value) => value switch
    {
        byte[] bytes => Convert.ToHexString(bytes),
        List<(uint Length, byte[]? Data, ulong? ImageOffset)> entries => string.Join("; ", entries.Select(e => $"{e.Length:X} {(e.Data is null ? $"@{e.ImageOffset:X}" : $"{e.Data.Length} bytes")}")),
        ulong number => number.ToString("X", System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
