namespace ChannelTape.Device;

/// <summary>
/// The drive's 8-character message display and the state machine Load Display (0x9F) drives
/// (docs/reference/hercules-tape.md §4.1; Hercules 3.13 tapeccws.c <c>load_display</c>, tapedev.c
/// <c>GetDisplayMsg</c>, TAPEDISPTYP_* and TAPEDISPFLG_*): a host message shown until the next
/// tape motion, until the volume is unloaded, until one is loaded, or the demount message then the
/// mount message; otherwise the unit message. The 3420 has no display (always blanks).
/// </summary>
internal sealed class MessageDisplay
{
    /// <summary>What an empty drive, or a drive without a display, shows.</summary>
    public const string Blank = "        ";

    /// <summary>The unit message of a loaded drive (Hercules " READY  ").</summary>
    public const string Ready = " READY  ";

    private readonly bool _hasDisplay;
    private DisplayState _state = DisplayState.Idle;
    private string _message1 = Blank;
    private string _message2 = Blank;
    private bool _message2Shown;

    public MessageDisplay(TapeModel model)
    {
        _hasDisplay = model != TapeModel.Ibm3420;
    }

    private enum DisplayState
    {
        /// <summary>Unit message (blank or READY).</summary>
        Idle,
        /// <summary>Host message until the next tape motion (FCB 000).</summary>
        UntilMotion,
        /// <summary>Host message 1 until the volume is unloaded (FCB 001).</summary>
        UntilUnloaded,
        /// <summary>Host message until a volume is loaded (FCB 010, or 111 on an empty drive).</summary>
        UntilLoaded,
        /// <summary>Message 1 until unloaded, then message 2 until loaded (FCB 111).</summary>
        UnloadedThenLoaded,
    }

    /// <summary>The 8 characters shown now: a host message, else <see cref="Ready"/> with a volume or blanks without.</summary>
    public string Text(bool loaded)
    {
        if (!_hasDisplay)
        {
            return Blank;
        }

        if (_state == DisplayState.Idle)
        {
            return loaded ? Ready : Blank;
        }

        return _message2Shown ? _message2 : _message1;
    }

    /// <summary>Display state changes of Hercules' <c>load_display</c> for a drive that is <paramref name="loaded"/> or not.</summary>
    public void Apply(LoadDisplayMessage message, bool loaded)
    {
        byte fcb = message.FormatControl;
        int function = fcb & LoadDisplayParser.FunctionMask;
        bool message2 = false;
        switch (function)
        {
            case LoadDisplayParser.FunctionUntilMotion:
                _message1 = message.Message1;
                _message2 = message.Message2;
                _state = DisplayState.UntilMotion;
                break;
            case LoadDisplayParser.FunctionUntilUnloaded:
                // Ignored on an empty drive.
                if (loaded)
                {
                    _state = DisplayState.UntilUnloaded;
                    _message1 = message.Message1;
                }

                break;
            case LoadDisplayParser.FunctionUntilLoaded:
                // Ignored on a loaded drive.
                if (!loaded)
                {
                    _state = DisplayState.UntilLoaded;
                    _message1 = message.Message1;
                }

                break;
            case LoadDisplayParser.FunctionResetDisplay:
                _state = DisplayState.Idle;
                break;
            case LoadDisplayParser.FunctionDemountThenMount:
                _message1 = message.Message1;
                _message2 = message.Message2;
                if (loaded)
                {
                    _state = DisplayState.UnloadedThenLoaded;
                }
                else
                {
                    // Nothing to demount: the mount message (2) only.
                    _state = DisplayState.UntilLoaded;
                    message2 = true;
                }

                break;
            default: // 011 no-op and undefined functions change nothing
                return;
        }

        // Indexing the automatic cartridge loader shows message 1 of a mount and message 2 of a
        // demount-then-mount, whatever the alternate, blink and message-2 flags say.
        if ((fcb & LoadDisplayParser.IndexAutoloader) != 0
            && function is LoadDisplayParser.FunctionUntilLoaded or LoadDisplayParser.FunctionDemountThenMount)
        {
            fcb &= unchecked((byte)~(LoadDisplayParser.AlternateMessages | LoadDisplayParser.BlinkMessage | LoadDisplayParser.Message2Only));
            message2 = function == LoadDisplayParser.FunctionDemountThenMount;
        }

        // Alternating shows message 1 first; blinking does not change the text.
        if ((fcb & LoadDisplayParser.AlternateMessages) == 0 && (fcb & LoadDisplayParser.Message2Only) != 0)
        {
            message2 = true;
        }

        _message2Shown = message2;
    }

    /// <summary>Tape motion ends an FCB-000 message (Hercules TAPEDISPTYP_WAITACT -> IDLE).</summary>
    public void EndUntilMotionMessage()
    {
        if (_state == DisplayState.UntilMotion)
        {
            _state = DisplayState.Idle;
        }
    }

    /// <summary>A volume was mounted: the unit message is shown (Hercules mountnewtape).</summary>
    public void VolumeLoaded() => _state = DisplayState.Idle;

    /// <summary>
    /// The volume was unloaded: an "until unloaded" message ends, and a demount-then-mount message
    /// goes on to its mount half (message 2 until loaded).
    /// </summary>
    public void VolumeUnloaded()
    {
        switch (_state)
        {
            case DisplayState.UntilUnloaded:
                _state = DisplayState.Idle;
                break;
            case DisplayState.UnloadedThenLoaded:
                _state = DisplayState.UntilLoaded;
                _message1 = _message2;
                _message2Shown = false;
                break;
        }
    }
}
