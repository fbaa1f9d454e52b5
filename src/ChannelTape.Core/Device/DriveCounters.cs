namespace ChannelTape.Device;

/// <summary>Activity counters of one drive, for status reports. Updated by the drive only.</summary>
public sealed class DriveCounters
{
    /// <summary>CCWs executed (each call of Execute, data-chained continuations included).</summary>
    public long Ccws { get; internal set; }

    /// <summary>Data blocks read (Read and Read Backward; tape marks not counted).</summary>
    public long BlocksRead { get; internal set; }

    /// <summary>Bytes of those blocks (whole blocks, whether or not the CCW took them all).</summary>
    public long BytesRead { get; internal set; }

    /// <summary>Blocks written.</summary>
    public long BlocksWritten { get; internal set; }

    public long BytesWritten { get; internal set; }

    /// <summary>Tape marks written.</summary>
    public long TapeMarksWritten { get; internal set; }

    /// <summary>Completions with unit check.</summary>
    public long UnitChecks { get; internal set; }

    /// <summary>Volumes mounted (operator or library).</summary>
    public long Mounts { get; internal set; }
}
