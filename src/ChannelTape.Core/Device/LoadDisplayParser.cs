using ChannelTape.Text;

namespace ChannelTape.Device;

/// <summary>
/// Parses Load Display (0x9F) data: format control byte and two 8-character EBCDIC messages
/// (docs/reference/hercules-tape.md §4.1, Hercules tapeccws.c <c>load_display</c>), and reads the volume request the
/// messages make (§4.3, IBM MVS MSGDISP conventions, SC23-6861).
/// </summary>
public static class LoadDisplayParser
{
    /// <summary>Bytes of Load Display data: FCB + 2 x 8 message characters.</summary>
    public const int DataLength = 17;
    public const int MessageLength = 8;

    // Format control byte (tapedev.h FCB_*).
    public const byte FunctionMask = 0xE0;
    public const byte FunctionUntilMotion = 0x00;
    public const byte FunctionUntilUnloaded = 0x20;
    public const byte FunctionUntilLoaded = 0x40;
    public const byte FunctionNoOperation = 0x60;
    public const byte FunctionResetDisplay = 0x80;
    public const byte FunctionDemountThenMount = 0xE0;
    public const byte AlternateMessages = 0x10;
    public const byte BlinkMessage = 0x08;
    public const byte Message2Only = 0x04;
    public const byte IndexAutoloader = 0x01;

    /// <summary>
    /// Parses the first <paramref name="count"/> bytes of <paramref name="data"/>. Like Hercules, each
    /// message stops at a 00 byte or at the end of the data; messages are returned padded with blanks.
    /// </summary>
    public static LoadDisplayMessage Parse(ReadOnlySpan<byte> data, int count)
    {
        count = Math.Min(count, data.Length);
        byte fcb = count > 0 ? data[0] : (byte)0;
        string message1 = Decode(data, 1, count);
        string message2 = Decode(data, 1 + MessageLength, count);

        byte function = (byte)(fcb & FunctionMask);
        LoadDisplayMessage Make(DisplayRequestKind kind, string? volser, char? label, LoadDisplayMessage? following = null) =>
            new(fcb, message1, message2, kind, volser, label, following);

        switch (function)
        {
            case FunctionUntilLoaded:
            {
                var (kind, volser, label) = ReadMount(message1);
                return Make(kind, volser, label);
            }

            case FunctionUntilUnloaded:
            {
                var (kind, volser) = ReadDemount(message1);
                return Make(kind, volser, null);
            }

            case FunctionDemountThenMount:
            {
                var (mountKind, mountVolser, mountLabel) = ReadMount(message2);
                var mount = mountKind == DisplayRequestKind.None
                    ? null
                    : new LoadDisplayMessage(fcb, message1, message2, mountKind, mountVolser, mountLabel);
                var (kind, volser) = ReadDemount(message1);
                if (kind == DisplayRequestKind.None)
                {
                    return mount ?? Make(DisplayRequestKind.None, null, null);
                }

                return Make(kind, volser, null, mount);
            }

            default:
                return Make(DisplayRequestKind.None, null, null);
        }
    }

    /// <summary>'M' + volser (chars 2-7) + label character (char 8).</summary>
    private static (DisplayRequestKind Kind, string? Volser, char? Label) ReadMount(string message)
    {
        if (message.Length < 2 || message[0] != 'M')
        {
            return (DisplayRequestKind.None, null, null);
        }

        string volser = message.Substring(1, Math.Min(6, message.Length - 1)).Trim();
        if (volser.Length == 0)
        {
            return (DisplayRequestKind.None, null, null);
        }

        char? label = message.Length >= 8 && message[7] != ' ' ? message[7] : null;
        return (DisplayRequestKind.Mount, volser, label);
    }

    /// <summary>'D' (demount), 'K' (keep) or 'R' (retain), optionally followed by the volser.</summary>
    private static (DisplayRequestKind Kind, string? Volser) ReadDemount(string message)
    {
        if (message.Length == 0)
        {
            return (DisplayRequestKind.None, null);
        }

        var kind = message[0] switch
        {
            'D' => DisplayRequestKind.Demount,
            'K' => DisplayRequestKind.Keep,
            'R' => DisplayRequestKind.Retain,
            _ => DisplayRequestKind.None,
        };
        if (kind == DisplayRequestKind.None)
        {
            return (kind, null);
        }

        string volser = message.Substring(1, Math.Min(6, message.Length - 1)).Trim();
        return (kind, volser.Length == 0 ? null : volser);
    }

    private static string Decode(ReadOnlySpan<byte> data, int start, int count)
    {
        Span<char> text = stackalloc char[MessageLength];
        text.Fill(' ');
        for (int i = 0; i < MessageLength && start + i < count; i++)
        {
            byte b = data[start + i];
            if (b == 0)
            {
                break;
            }

            text[i] = Ebcdic.ToChar(b);
        }

        return new string(text);
    }
}
