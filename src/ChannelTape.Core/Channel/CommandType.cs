namespace ChannelTape.Channel;

/// <summary>
/// The command type a CCW command code carries in its low bits (ESA/390 Principles of Operation
/// SA22-7201, "Command Code": write xxxxxx01, read xxxxxx10, control xxxxxx11, sense xxxx0100,
/// transfer in channel xxxx1000, read backward xxxx1100), as Hercules 3.13 tests them with its
/// <c>IS_CCW_*</c> macros (hstructs.h, used by channel.c and tapeccws.c). The one place these bit
/// tests are written: the channel, the drive, the wire protocol and the script languages ask here.
/// </summary>
public static class CommandType
{
    private const byte TypeMask = 0x03;
    private const byte ExtendedTypeMask = 0x0F;
    private const byte NoOperationCode = 0x03;

    /// <summary>Write type (Hercules IS_CCW_WRITE: low two bits 01).</summary>
    public static bool IsWrite(byte command) => (command & TypeMask) == 0x01;

    /// <summary>Read type (Hercules IS_CCW_READ: low two bits 10).</summary>
    public static bool IsRead(byte command) => (command & TypeMask) == 0x02;

    /// <summary>Control type (Hercules IS_CCW_CONTROL: low two bits 11).</summary>
    public static bool IsControl(byte command) => (command & TypeMask) == 0x03;

    /// <summary>The no-operation control command 03 (Hercules IS_CCW_NOP), immediate on every device.</summary>
    public static bool IsNoOperation(byte command) => command == NoOperationCode;

    /// <summary>Sense type (Hercules IS_CCW_SENSE: low four bits 0100).</summary>
    public static bool IsSense(byte command) => (command & ExtendedTypeMask) == 0x04;

    /// <summary>Transfer in channel (Hercules IS_CCW_TIC: low four bits 1000); never reaches the device.</summary>
    public static bool IsTransferInChannel(byte command) => (command & ExtendedTypeMask) == 0x08;

    /// <summary>Read Backward type (Hercules IS_CCW_RDBACK: low four bits 1100): data is stored ending at the CCW address.</summary>
    public static bool IsReadBackward(byte command) => (command & ExtendedTypeMask) == 0x0C;

    /// <summary>Input command: read, sense or read backward; data flows from the device to storage.</summary>
    public static bool IsInput(byte command) => IsRead(command) || IsSense(command) || IsReadBackward(command);

    /// <summary>Output command: write or control; data, if any, flows from storage to the device.</summary>
    public static bool IsOutput(byte command) => IsWrite(command) || IsControl(command);
}
