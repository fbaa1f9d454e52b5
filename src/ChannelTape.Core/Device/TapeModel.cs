namespace ChannelTape.Device;

/// <summary>Drive models ChannelTape emulates.</summary>
public enum TapeModel : ushort
{
    /// <summary>IBM 3420 reel drive (24 sense bytes, no Sense ID).</summary>
    Ibm3420 = 0x3420,
    /// <summary>IBM 3480 cartridge drive (24 sense bytes).</summary>
    Ibm3480 = 0x3480,
    /// <summary>IBM 3490 / 3490E cartridge drive (32 sense bytes).</summary>
    Ibm3490 = 0x3490,
}
