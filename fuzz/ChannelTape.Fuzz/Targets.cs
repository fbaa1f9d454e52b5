using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using ChannelTape.Library.Configuration;
using ChannelTape.Media;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;
using ChannelTape.Scripts.CcwScript;

namespace ChannelTape.Fuzz;

/// <summary>
/// What each fuzz target does with one input (fuzz/README.md). A target may refuse any input in the ways
/// its component documents (a <see cref="ProtocolException"/>, a media status, configuration errors); any
/// other exception, a hang or a crash is a finding.
/// </summary>
public static class Targets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        ["frames"] = Frames,
        ["messages"] = Messages,
        ["aws"] = input => Media(input, ".aws"),
        ["het"] = input => Media(input, ".het"),
        ["faketape"] = input => Media(input, ".fkt"),
        ["config"] = Configuration,
        ["ccwscript"] = CcwScript,
    };

    /// <summary>The frame reader over a byte stream cut in two pieces: every frame parsed by its message type.</summary>
    private static void Frames(byte[] input)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var cut = input.Length == 0 ? 0 : input[0] % (input.Length + 1);
        pipe.Writer.Write(input.AsSpan(0, cut));
        pipe.Writer.FlushAsync().AsTask().GetAwaiter().GetResult();
        pipe.Writer.Write(input.AsSpan(cut));
        pipe.Writer.Complete();
        var reader = new FrameReader(pipe.Reader) { MaxFrameLength = Frame.MinimumMaxLength };
        try
        {
            while (reader.ReadAsync().AsTask().GetAwaiter().GetResult() is { } frame)
            {
                Parse(frame.Type, frame.Body.Span);
            }
        }
        catch (ProtocolException)
        {
            // A malformed frame: the connection would be closed with an Error frame.
        }
    }

    /// <summary>One body, parsed as the message its first byte names.</summary>
    private static void Messages(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }

        try
        {
            Parse((MessageType)input[0], input.AsSpan(1));
        }
        catch (ProtocolException)
        {
            // Malformed.
        }
    }

    private static void Parse(MessageType type, ReadOnlySpan<byte> body)
    {
        if (!MessageTypes.IsKnown((byte)type))
        {
            return;
        }

        _ = type switch
        {
            MessageType.Hello => HelloMessage.Parse(body).HostName.Length,
            MessageType.HelloReply => HelloReplyMessage.Parse(body).ServerName.Length,
            MessageType.Challenge => ChallengeMessage.Parse(body).Nonce.Length,
            MessageType.Authenticate => AuthenticateMessage.Parse(body).Identity.Length,
            MessageType.AuthenticateReply => AuthenticateReplyMessage.Parse(body).Proof.Length,
            MessageType.Attach => AttachMessage.Parse(body).DeviceArguments.Length,
            MessageType.AttachReply => AttachReplyMessage.Parse(body).Message.Length,
            MessageType.Ccw => (int)CcwMessage.Parse(body).Count,
            MessageType.BufferedCcw => (int)BufferedCcwMessage.Parse(body).Ccw.Count,
            MessageType.CcwReply => CcwReplyMessage.Parse(body).Data.Length,
            MessageType.ReadAhead => Blocks(ReadAheadMessage.Parse(body)),
            MessageType.ReadAheadEnd => (int)ReadAheadEndMessage.Parse(body).UnusedBlocks,
            MessageType.ReadAheadImage => ReadAheadImageMessage.Parse(body).Path.Length,
            MessageType.Unsolicited => (int)UnsolicitedMessage.Parse(body).Status,
            MessageType.Mount => MountMessage.Parse(body).Arguments.Length,
            MessageType.MountReply => MountReplyMessage.Parse(body).Message.Length,
            MessageType.QueryReply => QueryReplyMessage.Parse(body).Text.Length,
            MessageType.Query => QueryMessage.Parse(body).GetHashCode(),
            MessageType.Halt => HaltMessage.Parse(body).GetHashCode(),
            MessageType.Ping => (int)PingMessage.Parse(body).Token,
            MessageType.Pong => (int)PongMessage.Parse(body).Token,
            MessageType.Close => CloseMessage.Parse(body).Text.Length,
            MessageType.Error => ErrorMessage.Parse(body).Text.Length,
            _ => 0,
        };
    }

    private static int Blocks(ReadAheadMessage message)
    {
        var n = 0;
        foreach (var block in message)
        {
            n += block.IsReference ? 1 : block.Data.Length;
        }

        return n;
    }

    private static readonly byte[] Buffer = new byte[2 * 1024 * 1024 + 256];

    /// <summary>The image opened by its format's name and moved over every way a drive moves, a bounded number of times.</summary>
    private static void Media(byte[] input, string extension)
    {
        var path = Path.Combine(Path.GetTempPath(), $"ctape-fuzz-{Environment.ProcessId}{extension}");
        File.WriteAllBytes(path, input);
        try
        {
            if (!TapeImage.TryOpen(path, new TapeImageOptions { ReadOnly = true }, out var media, out _))
            {
                return;
            }

            using (media)
            {
                var seed = input.Length > 0 ? input[^1] : 0;
                for (var step = 0; step < 64; step++)
                {
                    _ = ((seed + step) % 7) switch
                    {
                        0 => media.ReadForward(Buffer, out _),
                        1 => media.ForwardSpaceBlock(),
                        2 => media.ForwardSpaceFile(),
                        3 => media.BackspaceBlock(),
                        4 => media.ReadBackward(Buffer, out _),
                        5 => media.Locate(step),
                        _ => media.BackspaceFile(),
                    };
                    media.TryGetStoredExtent(media.Position.BlockNumber, out _, out _);
                }

                media.Rewind();
                while (media.ReadForward(Buffer, out _) is MediaStatus.Ok or MediaStatus.TapeMark && media.Position.BlockNumber < 10_000)
                {
                }
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The configuration language: any text parses to a configuration or to errors.</summary>
    private static void Configuration(byte[] input)
    {
        var text = Encoding.UTF8.GetString(input);
        var result = ConfigurationParser.ParseText(text, "fuzz.conf", Path.GetTempPath());
        if (result.Configuration is { } configuration)
        {
            // What ctape config show prints parses to the same configuration.
            var again = ConfigurationParser.ParseText(ConfigurationWriter.Write(configuration), "again.conf", Path.GetTempPath());
            if (again.Configuration != configuration)
            {
                throw new InvalidOperationException("config show does not parse back to the same configuration:\n" + string.Join("\n", again.Errors));
            }
        }
    }

    /// <summary>The CCW script language: any text parses to a script or to an error.</summary>
    private static void CcwScript(byte[] input) => ScriptParser.TryParse(Encoding.UTF8.GetString(input), out _, out _);
}
