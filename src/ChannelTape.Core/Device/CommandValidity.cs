namespace ChannelTape.Device;

/// <summary>What a model's validity table says about a command code (docs/reference/hercules-tape.md §1.1 step 5).</summary>
public enum CommandValidity : byte
{
    /// <summary>Not valid for this model: command reject.</summary>
    Reject = 0,
    /// <summary>Valid; a volume must be loaded (else intervention required).</summary>
    NeedsVolume = 1,
    /// <summary>Valid without a volume.</summary>
    NoVolumeNeeded = 2,
    /// <summary>Valid, no operation: CE+DE at once (after the fence check).</summary>
    NoOperation = 3,
    /// <summary>Valid, no operation for virtual media (executed only on SCSI drives).</summary>
    VirtualNoOperation = 4,
    /// <summary>Like <see cref="NeedsVolume"/> (Hercules' planned "add DE" was never implemented).</summary>
    NeedsVolumeAddDeviceEnd = 5,
}

/// <summary>
/// Per-model command validity and the immediate-command table, as data. Values are Hercules 3.13's
/// <c>TapeCommands3420/3480/3490</c> and <c>TapeImmedCommands</c> tables (tapeccws.c), whose
/// sources are GX20-1850 (3420) and GX20-0157 (3480); verified against the reference runner.
/// </summary>
public static class CommandTables
{
    // One hex digit per command code, 16 codes per row (row = high nibble).
    private const string Table3420 =
        "0111200500021005" + // 00
        "0004000100010001" + // 10
        "0004000100040001" + // 20
        "0004000100040001" + // 30
        "0000000000020000" + // 40
        "0004000000000000" + // 50
        "0004000000040000" + // 60
        "0004000000040000" + // 70
        "0000000000020000" + // 80
        "0004000100000000" + // 90
        "0004000000040000" + // A0
        "0004000000040000" + // B0
        "0004000000040000" + // C0
        "0004400000000000" + // D0
        "0000200000030000" + // E0
        "0002400000000200";  // F0

    private const string Table3480 =
        "3111200500001005" + // 00
        "0013000100000001" + // 10
        "0013200100030001" + // 20
        "0003200100030001" + // 30
        "0001000000020001" + // 40
        "0003000000030000" + // 50
        "0003200000030000" + // 60
        "0003000200030000" + // 70
        "0000000000000000" + // 80
        "0003000100000002" + // 90
        "0003000000030002" + // A0
        "0003000200030000" + // B0
        "0002000200030000" + // C0
        "0003000000020000" + // D0
        "0002200000000000" + // E0
        "0000000000000000";  // F0

    private const string Table3490 =
        "3111200500001005" + // 00
        "0013000100000001" + // 10
        "0013200100030001" + // 20
        "0003200100030021" + // 30
        "0001000000020021" + // 40
        "0003000000020000" + // 50
        "0003200000030000" + // 60
        "0003000200030000" + // 70
        "0000000000000000" + // 80
        "0003000100000002" + // 90
        "0003000000030002" + // A0
        "0003000200030000" + // B0
        "0002000200000000" + // C0
        "0003000000020000" + // D0
        "0002200000000000" + // E0
        "0000000000200000";  // F0

    // docs/reference/hercules-tape.md §1.2 immediate codes (Hercules TapeImmedCommands; 0x77 is not immediate).
    private const string Immediate =
        "0001000100000001" + // 00
        "0001000100010001" + // 10
        "0001000100010001" + // 20
        "0001000100010001" + // 30
        "0001000100000000" + // 40
        "0001000100010001" + // 50
        "0001000100010001" + // 60
        "0001000000010001" + // 70
        "0001000100010001" + // 80
        "0001000100010000" + // 90
        "0001000100010000" + // A0
        "0001000000010001" + // B0
        "0001000000010001" + // C0
        "0001000100000001" + // D0
        "0000000100010001" + // E0
        "0001000100010001";  // F0

    private static readonly CommandValidity[] s_3420 = Parse(Table3420);
    private static readonly CommandValidity[] s_3480 = Parse(Table3480);
    private static readonly CommandValidity[] s_3490 = Parse(Table3490);
    private static readonly bool[] s_immediate = Immediate.Select(c => c == '1').ToArray();

    public static CommandValidity Validity(TapeModel model, byte command) => model switch
    {
        TapeModel.Ibm3420 => s_3420[command],
        TapeModel.Ibm3480 => s_3480[command],
        _ => s_3490[command],
    };

    /// <summary>Immediate command: CE at initiation, no data transfer (same table for all three models).</summary>
    public static bool IsImmediate(byte command) => s_immediate[command];

    private static CommandValidity[] Parse(string table)
    {
        if (table.Length != 256)
        {
            throw new InvalidOperationException($"command table has {table.Length} entries, not 256");
        }

        return table.Select(c => (CommandValidity)(c - '0')).ToArray();
    }
}
