using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using ChannelTape.Runtime;
using ChannelTape.Runtime.Events;
using ChannelTape.Text;

namespace ChannelTape.Library.Tests.Mounts;

/// <summary>
/// A host on one drive issuing single-CCW channel programs through the drive runtime's channel device, so
/// library work a CCW posts runs right after it (the runtime's inline executor), as the server's drives do.
/// To stand for a server killed with <c>kill -9</c>, a test simply stops using the guest: nothing more it
/// did reaches the catalog.
/// </summary>
internal sealed class Guest
{
    private readonly byte[] _buffer = new byte[65535];

    public Guest(DriveRuntime runtime)
    {
        Runtime = runtime;
        runtime.UnsolicitedStatus += (_, status) => DeviceEnds += (status & UnitStatus.DeviceEnd) != 0 ? 1 : 0;
    }

    /// <summary>
    /// The configuration in <paramref name="configurationText"/> (a test's, which must parse without errors) and the catalog
    /// in <paramref name="root"/> with its volumes.
    /// </summary>
    public static (LibraryConfiguration Configuration, LibraryCatalog Catalog) OpenLibrary(string root, string configurationText)
    {
        var result = ConfigurationParser.ParseText(configurationText, "test.conf", root);
        Assert.Empty(result.Errors);
        var catalog = LibraryCatalog.Open(root);
        catalog.SyncFromConfiguration(result.Configuration!);
        return (result.Configuration!, catalog);
    }

    /// <summary>A library of the drives at <paramref name="devices"/> (3490s) over <paramref name="catalog"/>, one guest on each.</summary>
    public static (LibraryManager Library, Dictionary<ushort, Guest> Guests) OnLibrary(LibraryConfiguration configuration, LibraryCatalog catalog,
        params ushort[] devices)
    {
        var runtimes = devices.Select(d => DriveRuntime.Standalone(TapeModel.Ibm3490, d)).ToList();
        var library = new LibraryManager(new LibraryView(configuration, catalog, runtimes), new CatalogVolumeResolver(catalog, configuration));
        return (library, runtimes.ToDictionary(r => r.DeviceNumber, r => new Guest(r)));
    }

    public DriveRuntime Runtime { get; }

    public TapeDrive Drive => Runtime.Drive;

    public int DeviceEnds { get; private set; }

    /// <summary>The operator's mount or unload (<c>devinit</c> words), as the server runs it.</summary>
    public MountOutcome Operator(string words) => Runtime.Executor.RunExclusive(() => Runtime.Mount(words, MountSource.Operator));

    public void LoadDisplay(string message, byte formatControl = 0x48)
    {
        var data = new byte[17];
        data[0] = formatControl;
        Ebcdic.EncodePadded(message, data.AsSpan(1, 8));
        Ebcdic.EncodePadded(message, data.AsSpan(9, 8));
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(0x9F, data).Status);
    }

    public (UnitStatus Status, byte[] Block) Read()
    {
        var result = Run(0x02, _buffer, CcwFlags.SuppressLength);
        return (result.Status, _buffer[..(_buffer.Length - result.Residual)]);
    }

    public void Write(byte[] block) => Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(0x01, block).Status);

    public void WriteTapeMark() => Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Run(0x1F, new byte[1]).Status);

    public void RewindUnload() => Run(0x0F, new byte[1]);

    /// <summary>Sense (24 bytes, as a 3490 gives them): the status and the sense bytes.</summary>
    public (UnitStatus Status, byte[] Sense) Sense()
    {
        var sense = new byte[24];
        return (Run(0x04, sense).Status, sense);
    }

    /// <summary>After VOL1: HDR1 HDR2 TM data TM EOF1 EOF2 TM TM, as MVS writes a new data set.</summary>
    public void WriteLabelledDataSet(string serial, string dataSetName, int blocks)
    {
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, Read().Status); // VOL1
        var hdr1 = new DataSetLabel1(DataSetLabelKind.Header, dataSetName, serial);
        var hdr2 = new DataSetLabel2(DataSetLabelKind.Header, 'F', 80, 80);
        Write(hdr1.ToBytes());
        Write(hdr2.ToBytes());
        WriteTapeMark();
        for (int i = 1; i <= blocks; i++)
        {
            Write(Ebcdic.GetBytes($"RECORD {i}".PadRight(80)));
        }

        WriteTapeMark();
        Write((hdr1 with { Kind = DataSetLabelKind.EndOfFile, BlockCount = blocks }).ToBytes());
        Write((hdr2 with { Kind = DataSetLabelKind.EndOfFile }).ToBytes());
        WriteTapeMark();
        WriteTapeMark();
    }

    private CcwResult Run(byte command, byte[] data, CcwFlags flags = CcwFlags.None)
    {
        var device = Runtime.ChannelDevice;
        device.StartChannelProgram();
        var result = device.Execute(new CcwRequest(command, flags, CcwFlags.None, data.Length, 0, 0), data);
        device.EndChannelProgram();
        return result;
    }
}
