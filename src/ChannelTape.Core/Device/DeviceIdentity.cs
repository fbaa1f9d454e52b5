namespace ChannelTape.Device;

/// <summary>
/// Identification data per model (docs/reference/hercules-tape.md §3): Sense ID (7 bytes, no CIWs), Read Device
/// Characteristics (64 bytes) and Read Configuration Data (160 bytes), as Hercules 3.13 builds them
/// (tapedev.c tapedev_init_handler, tapeccws.c case 0xFA).
/// </summary>
public static class DeviceIdentity
{
    public const int SenseIdLength = 7;
    public const int DeviceCharacteristicsLength = 64;
    public const int ConfigurationDataLength = 160;

    // Offsets in the 32-byte NEDs of the configuration data (SA22-7204 "Read Configuration Data").
    private const int DeviceNed = 0;
    private const int ControlUnitNed = 32;
    private const int TokenNed = 96;
    private const int NedTypeOffset = 4;   // 6 EBCDIC digits, e.g. "003490"
    private const int NedModelOffset = 10; // 3 EBCDIC characters
    private const int NedTagOffset = 30;
    private const int NeqOffset = 128;
    private const int NeqExtendedInformation = 136;

    private static readonly byte[] s_senseId3480 = [0xFF, 0x34, 0x80, 0x31, 0x34, 0x80, 0x31];
    private static readonly byte[] s_senseId3490 = [0xFF, 0x34, 0x90, 0x50, 0x34, 0x90, 0x50];

    /// <summary>Sense ID bytes, or empty for the 3420 (command reject; Hercules without LEGACYSENSEID).</summary>
    public static ReadOnlySpan<byte> SenseId(TapeModel model) => model switch
    {
        TapeModel.Ibm3480 => s_senseId3480,
        TapeModel.Ibm3490 => s_senseId3490,
        _ => default,
    };

    /// <summary>Read Device Characteristics (§3.2, as Hercules 3.13 builds them), or null for the 3420 (not in its table).</summary>
    public static byte[]? DeviceCharacteristics(TapeModel model)
    {
        if (model == TapeModel.Ibm3420)
        {
            return null;
        }

        var rdc = new byte[DeviceCharacteristicsLength];
        var (type, modelByte, mdr, obr) = model == TapeModel.Ibm3480
            ? ((ushort)0x3480, (byte)0x31, (byte)0x41, (byte)0x80)
            : ((ushort)0x3490, (byte)0x50, (byte)0x42, (byte)0x81);
        WriteTypeModel(rdc.AsSpan(0), type, modelByte);
        rdc[6] = 0x00; // features-1 000002C0: logical write protect, ACL, IDRC
        rdc[7] = 0x00;
        rdc[8] = 0x02;
        rdc[9] = 0xC0;
        rdc[10] = 0x80; // device class: tape
        rdc[11] = 0x80; // type code
        WriteTypeModel(rdc.AsSpan(24), type, modelByte);
        rdc[40] = mdr;  // MDR record id
        rdc[41] = obr;  // OBR record id
        // Bytes 42-50 (MVS device code, maximum and recommended block size) stay 0: Hercules 3.13
        // sets none of them (the 0000FFFF sizes of docs/reference/hercules-tape.md §3.2 are a later version).
        return rdc;
    }

    /// <summary>Read Configuration Data (§3.3) for a 3480/3490 at <paramref name="deviceNumber"/>.</summary>
    public static byte[] ConfigurationData(TapeModel model, ushort deviceNumber)
    {
        var rcd = new byte[ConfigurationDataLength];
        string type = model == TapeModel.Ibm3480 ? "003480" : "003490";
        string modelName = model == TapeModel.Ibm3480 ? "D31" : "C10";

        WriteNed(rcd.AsSpan(DeviceNed, 32), 0xCC, 0x01, 0x02, type, modelName);
        WriteNed(rcd.AsSpan(ControlUnitNed, 32), 0xC4, 0x02, 0x00, type, modelName);
        WriteNed(rcd.AsSpan(TokenNed, 32), 0xEC, 0x00, 0x00, type, modelName);
        rcd[DeviceNed + NedTagOffset + 1] = (byte)(deviceNumber & 0x0F); // logical drive address

        rcd[NeqOffset] = 0x80;     // NEQ
        rcd[NeqOffset + 1] = 0x80; // record selector
        rcd[NeqOffset + 2] = 0x00; // interface id 0080
        rcd[NeqOffset + 3] = 0x80;
        if ((deviceNumber & 0x0F) > 7)
        {
            rcd[NeqExtendedInformation] = 0x01;
        }

        return rcd;
    }

    private static void WriteTypeModel(Span<byte> destination, ushort type, byte model)
    {
        destination[0] = (byte)(type >> 8);
        destination[1] = (byte)type;
        destination[2] = model;
        destination[3] = (byte)(type >> 8);
        destination[4] = (byte)type;
        destination[5] = model;
    }

    private static void WriteNed(Span<byte> ned, byte code, byte nedType, byte nedClass, string type, string model)
    {
        ned[0] = code;
        ned[1] = nedType;
        ned[2] = nedClass;
        Text.Ebcdic.Encode(type, ned.Slice(NedTypeOffset, 6));
        Text.Ebcdic.Encode(model, ned.Slice(NedModelOffset, 3));
        Text.Ebcdic.Encode("HRC", ned.Slice(13, 3));       // manufacturer (Hercules)
        Text.Ebcdic.Encode("ZZ", ned.Slice(16, 2));        // plant
        Text.Ebcdic.Encode("000000000000", ned.Slice(18, 12)); // sequence number
    }
}
