namespace ChannelTape.Device;

/// <summary>What a Load Display (0x9F) asks of the drive's operator or library (docs/reference/hercules-tape.md §4.2-4.3).</summary>
public enum DisplayRequestKind
{
    /// <summary>Plain message, no volume request.</summary>
    None,
    /// <summary>'M' + volser: mount this volume (or SCRTCH / PRIVAT: any scratch volume).</summary>
    Mount,
    /// <summary>'D' + volser: demount.</summary>
    Demount,
    /// <summary>'K' + volser: demount and keep.</summary>
    Keep,
    /// <summary>'R' + volser: demount and retain.</summary>
    Retain,
}

/// <summary>A parsed Load Display: format control byte and the two 8-character messages (ASCII).</summary>
/// <param name="FormatControl">FCB, byte 0 of the Load Display data.</param>
/// <param name="Message1">Message 1 decoded from EBCDIC, 8 characters.</param>
/// <param name="Message2">Message 2 decoded from EBCDIC, 8 characters.</param>
/// <param name="Request">The mount or demount request the displayed message makes, if any.</param>
/// <param name="VolumeSerial">Volser named by the request (blank-trimmed), or null.</param>
/// <param name="LabelType">Label character of a mount request ('S', 'A', 'N', ...), or null.</param>
/// <param name="FollowingMount">For function 111 (demount then mount): the mount half, else null.</param>
public sealed record LoadDisplayMessage(
    byte FormatControl,
    string Message1,
    string Message2,
    DisplayRequestKind Request,
    string? VolumeSerial,
    char? LabelType,
    LoadDisplayMessage? FollowingMount = null)
{
    /// <summary>True for a non-specific mount request (SCRTCH or PRIVAT).</summary>
    public bool IsScratchRequest => Request == DisplayRequestKind.Mount
        && Labels.VolumeSerial.IsNonSpecificRequest(VolumeSerial);
}
