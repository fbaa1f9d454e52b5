using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Library.Mounts;
using ChannelTape.Text;

namespace ChannelTape.Library.Tests.Mounts;

/// <summary>
/// A host on one drive issuing single-CCW channel programs; library work posted during a CCW runs
/// right after it (as the server's drive loop does). <see cref="Crash"/> stops running it, so a
/// test can leave a mount open as a killed server would.
/// </summary>
internal sealed class DriveHost : IDriveScheduler
{
    private readonly Queue<Action> _posted = new();
    private readonly byte[] _buffer = new byte[65535];
    private bool _crashed;

    public DriveHost(TapeDrive drive)
    {
        Drive = drive;
        drive.UnsolicitedStatus += (_, status) => DeviceEnds += (status & UnitStatus.DeviceEnd) != 0 ? 1 : 0;
    }

    public TapeDrive Drive { get; }

    public int DeviceEnds { get; private set; }

    public void Post(Action work)
    {
        if (!_crashed)
        {
            _posted.Enqueue(work);
        }
    }

    /// <summary>Runs the library work posted so far (work posted from another drive's release waits for it).</summary>
    public void RunPosted()
    {
        while (_posted.TryDequeue(out var work))
        {
            work();
        }
    }

    /// <summary>From now on the library's posted work is dropped: nothing more reaches the catalog.</summary>
    public void Crash()
    {
        _crashed = true;
        _posted.Clear();
    }

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
        Drive.StartChannelProgram();
        var result = Drive.Execute(new CcwRequest(command, flags, CcwFlags.None, data.Length, 0, 0), data);
        Drive.EndChannelProgram();
        RunPosted();
        return result;
    }
}
