using System.IO.Compression;
using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Media;

namespace ChannelTape.Core.Tests.Device;

/// <summary>
/// Where a Read that ends with a data check leaves the volume (docs/device-behaviour.md, Media, "Read
/// errors: which ones the read passes"; golden corrupt_het_bad_data, corrupt_faketape).
/// </summary>
public sealed class ReadErrorTests : IDisposable
{
    private const byte Read = 0x02;
    private const byte BackspaceBlock = 0x27;
    private const byte ReadBlockId = 0x22;
    private static readonly UnitStatus s_dataCheck = UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitCheck;

    private readonly string _directory = Directory.CreateTempSubdirectory("ctape-read-errors-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static byte[] Header(int length, int previous, byte flags1) =>
        [(byte)length, (byte)(length >> 8), (byte)previous, (byte)(previous >> 8), flags1, 0];

    private static byte[] Zlib(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            zlib.Write(data);
        }

        return output.ToArray();
    }

    private TapeDrive Mounted(string name, byte[] image)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, image);
        Assert.True(TapeImage.TryOpen(path, new TapeImageOptions { ReadOnly = true }, out var media, out var error), error);
        var drive = new TapeDrive(TapeModel.Ibm3490, 0x0580);
        drive.Mount(media);
        return drive;
    }

    private static string BlockId(TapeDrive drive) => DriveHarness.One(drive, ReadBlockId, 8).DataHex;

    [Fact]
    public void A_HET_block_that_does_not_decompress_is_passed_so_backspace_and_retry_rereads_it()
    {
        byte[] first = Zlib(Enumerable.Repeat((byte)0xC1, 1000).ToArray());
        byte[] notZlib = Enumerable.Range(1, 200).Select(i => (byte)i).ToArray();
        byte[] third = Enumerable.Repeat((byte)0xC3, 80).ToArray();
        using var drive = Mounted("bad-data.het", [.. Header(first.Length, 0, 0xA1), .. first, .. Header(notZlib.Length, first.Length, 0xA1),
            .. notZlib, .. Header(third.Length, notZlib.Length, 0xA0), .. third, .. Header(0, third.Length, 0x40)]);

        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, DriveHarness.One(drive, Read, 100, CcwFlags.SuppressLength).Result.Status);
        var failed = DriveHarness.One(drive, Read, 100, CcwFlags.SuppressLength);
        Assert.Equal(s_dataCheck, failed.Result.Status);
        Assert.Equal(100, failed.Result.Residual);
        Assert.Equal("08422023", DriveHarness.SenseHex(drive)[..8]); // data check, ERA 23 (file protect: opened read-only)

        // The block id counts the failing block (Hercules' stays at 1: docs/device-behaviour.md).
        Assert.Equal("0100000201000002", BlockId(drive));

        // Error recovery: backspace over the failing block and read it again.
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, DriveHarness.One(drive, BackspaceBlock, 1).Result.Status);
        Assert.Equal(s_dataCheck, DriveHarness.One(drive, Read, 100, CcwFlags.SuppressLength).Result.Status);

        var next = DriveHarness.One(drive, Read, 100, CcwFlags.SuppressLength);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, next.Result.Status);
        Assert.Equal(Convert.ToHexString(third), next.DataHex);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitException, DriveHarness.One(drive, Read, 100, CcwFlags.SuppressLength).Result.Status);
    }

    [Fact]
    public void A_damaged_FakeTape_header_leaves_the_volume_in_front_of_it_as_in_Hercules()
    {
        byte[] image = [.. "000000500050"u8, .. new byte[80], .. "005000501234"u8, .. new byte[80]];
        using var drive = Mounted("damaged.fkt", image);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, DriveHarness.One(drive, Read, 100, CcwFlags.SuppressLength).Result.Status);
        Assert.Equal(s_dataCheck, DriveHarness.One(drive, Read, 100, CcwFlags.SuppressLength).Result.Status);
        Assert.Equal("0100000101000001", BlockId(drive));
        Assert.Equal(s_dataCheck, DriveHarness.One(drive, Read, 100, CcwFlags.SuppressLength).Result.Status);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, DriveHarness.One(drive, BackspaceBlock, 1).Result.Status);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, DriveHarness.One(drive, Read, 100, CcwFlags.SuppressLength).Result.Status);
    }
}
