using System.Runtime.InteropServices;

namespace ChannelTape.Media;

/// <summary>
/// The host's zlib and libbz2, called exactly as Hercules' hetlib.c calls them (compress2 /
/// uncompress, BZ2_bzBuffToBuffCompress / BZ2_bzBuffToBuffDecompress with verbosity 0 and work
/// factor 0), so HET blocks written here are byte-identical to Hercules' on the same host. Linux
/// only (zlib's uLong is pointer-sized there); where a library is missing, <see cref="HetCodec"/>
/// falls back to SharpZipLib, whose streams Hercules reads as well.
/// </summary>
internal static class SystemCompression
{
    private const string ZlibLibrary = "libz.so.1";
    private const string Bzip2Library = "libbz2.so.1.0";
    private const int Z_OK = 0;
    private const int BZ_OK = 0;

    private static readonly Lazy<bool> s_zlib = new(() => Probe(ZlibLibrary, "compress2", "uncompress"));
    private static readonly Lazy<bool> s_bzip2 = new(() => Probe(Bzip2Library, "BZ2_bzBuffToBuffCompress", "BZ2_bzBuffToBuffDecompress"));

    public static bool HasZlib => s_zlib.Value;
    public static bool HasBzip2 => s_bzip2.Value;

    /// <summary>zlib compress2 into <paramref name="destination"/>; the length, or 0 when it does not fit (Z_BUF_ERROR) or fails.</summary>
    public static int ZlibCompress(ReadOnlySpan<byte> source, Span<byte> destination, int level)
    {
        nuint length = (nuint)destination.Length;
        int rc = compress2(ref MemoryMarshal.GetReference(destination), ref length,
            ref MemoryMarshal.GetReference(source), (nuint)source.Length, level);
        return rc == Z_OK ? (int)length : 0;
    }

    /// <summary>zlib uncompress into <paramref name="destination"/>; the length, or -1 for any error (Z_DATA_ERROR, Z_BUF_ERROR: too large or cut off).</summary>
    public static int ZlibDecompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        nuint length = (nuint)destination.Length;
        int rc = uncompress(ref MemoryMarshal.GetReference(destination), ref length,
            ref MemoryMarshal.GetReference(source), (nuint)source.Length);
        return rc == Z_OK ? (int)length : -1;
    }

    /// <summary>BZ2_bzBuffToBuffCompress with block size = level; the length, or 0 when it does not fit (BZ_OUTBUFF_FULL) or fails.</summary>
    public static int Bzip2Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level)
    {
        uint length = (uint)destination.Length;
        int rc = BZ2_bzBuffToBuffCompress(ref MemoryMarshal.GetReference(destination), ref length,
            ref MemoryMarshal.GetReference(source), (uint)source.Length, level, 0, 0);
        return rc == BZ_OK ? (int)length : 0;
    }

    /// <summary>BZ2_bzBuffToBuffDecompress into <paramref name="destination"/>; the length, or -1 for any error.</summary>
    public static int Bzip2Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        uint length = (uint)destination.Length;
        int rc = BZ2_bzBuffToBuffDecompress(ref MemoryMarshal.GetReference(destination), ref length,
            ref MemoryMarshal.GetReference(source), (uint)source.Length, 0, 0);
        return rc == BZ_OK ? (int)length : -1;
    }

    private static bool Probe(string library, string compress, string decompress)
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(library, out IntPtr handle))
        {
            return false;
        }

        return NativeLibrary.TryGetExport(handle, compress, out _) && NativeLibrary.TryGetExport(handle, decompress, out _);
    }

    [DllImport(ZlibLibrary, EntryPoint = "compress2", ExactSpelling = true)]
    private static extern int compress2(ref byte dest, ref nuint destLen, ref byte source, nuint sourceLen, int level);

    [DllImport(ZlibLibrary, EntryPoint = "uncompress", ExactSpelling = true)]
    private static extern int uncompress(ref byte dest, ref nuint destLen, ref byte source, nuint sourceLen);

    [DllImport(Bzip2Library, EntryPoint = "BZ2_bzBuffToBuffCompress", ExactSpelling = true)]
    private static extern int BZ2_bzBuffToBuffCompress(ref byte dest, ref uint destLen, ref byte source, uint sourceLen, int blockSize100k, int verbosity, int workFactor);

    [DllImport(Bzip2Library, EntryPoint = "BZ2_bzBuffToBuffDecompress", ExactSpelling = true)]
    private static extern int BZ2_bzBuffToBuffDecompress(ref byte dest, ref uint destLen, ref byte source, uint sourceLen, int small, int verbosity);
}
