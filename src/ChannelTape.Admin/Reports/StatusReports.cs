namespace ChannelTape.Admin.Reports;

/// <summary>
/// The status reports an administrative volume can carry, one layout each (docs/admin-volumes.md).
/// Column names are the names the library management client and the documentation use.
/// </summary>
public static class StatusReports
{
    private const ColumnAlignment L = ColumnAlignment.Left;
    private const ColumnAlignment R = ColumnAlignment.Right;

    public static readonly ReportLayout Drives = new("DRIVES", "CTAPE.STATUS.DRIVES",
    [
        new("DEVNUM", 4, L, "device number, hex"),
        new("MODEL", 4, L, "3420, 3480 or 3490"),
        new("STATE", 10, L, "READY, NOTREADY (mount pending), UNLOADED, FENCED"),
        new("VOLSER", 6, L, "mounted volume serial, blank when none"),
        new("RO", 1, L, "Y when the volume is read-only"),
        new("FILE", 6, R, "current file number, 1 at load point"),
        new("BLOCK", 10, R, "block id: blocks and tape marks from load point"),
        new("BLKSREAD", 12, R, "blocks read since the server started"),
        new("BYTESREAD", 15, R, "bytes read since the server started"),
        new("BLKSWRIT", 12, R, "blocks written since the server started"),
        new("BYTESWRIT", 15, R, "bytes written since the server started"),
        new("DISPLAY", 8, L, "what the drive's message display shows"),
        new("REQUEST", 8, L, "pending mount request: volser, SCRTCH or PRIVAT"),
        new("MOUNTED", 19, L, "when the volume was mounted, yyyy-MM-dd HH:mm:ss UTC"),
    ]);

    public static readonly ReportLayout Volumes = new("VOLUMES", "CTAPE.STATUS.VOLUMES",
    [
        new("VOLSER", 6, L, "volume serial"),
        new("POOL", 8, L, "pool name, its first 8 characters (POOLNAME has all 16)"),
        new("STATUS", 8, L, "SCRATCH, PRIVATE or MOUNTED"),
        new("MEDIA", 8, L, "media type"),
        new("LABEL", 2, L, "SL, AL or NL"),
        new("RO", 1, L, "Y when read-only"),
        new("CAPACITY", 13, R, "capacity in bytes"),
        new("USED", 13, R, "bytes used (image size)"),
        new("BLOCKS", 12, R, "data blocks on the volume"),
        new("MOUNTS", 8, R, "times mounted"),
        new("CREATED", 10, L, "yyyy-MM-dd"),
        new("LASTMNT", 10, L, "last mounted, yyyy-MM-dd, blank if never"),
        new("DSN", 17, L, "data set name from the first HDR1 (the 17 characters labels keep; layout 01: 44 wide)"),
        new("POOLNAME", 16, L, "pool name, whole (layout 02; POOL keeps its first 8 characters)"),
        new("SERVER", 12, L, "shared library: the server holding the volume while mounted, its first 12 characters (MOUNTS has 64); blank otherwise (layout 03)"),
    ]);

    public static readonly ReportLayout Scratch = new("SCRATCH", "CTAPE.STATUS.SCRATCH",
    [
        new("POOL", 8, L, "pool name, its first 8 characters (POOLNAME has all 16)"),
        new("VOLSER", 6, L, "scratch volume serial"),
        new("MEDIA", 8, L, "media type"),
        new("CAPACITY", 13, R, "capacity in bytes"),
        new("POOLNAME", 16, L, "pool name, whole (layout 02; POOL keeps its first 8 characters)"),
    ]);

    public static readonly ReportLayout Pools = new("POOLS", "CTAPE.STATUS.POOLS",
    [
        new("POOL", 8, L, "pool name, its first 8 characters (POOLNAME has all 16)"),
        new("MEDIA", 8, L, "media type"),
        new("LABEL", 2, L, "SL, AL or NL"),
        new("VOLUMES", 10, R, "volumes in the pool"),
        new("SCRATCH", 10, R, "scratch volumes"),
        new("PRIVATE", 10, R, "private volumes"),
        new("MOUNTED", 10, R, "volumes mounted now"),
        new("CAPACITY", 16, R, "sum of capacities, bytes"),
        new("USED", 16, R, "sum of bytes used"),
        new("PCTUSED", 5, R, "used as a percentage of capacity, one decimal"),
        new("POOLNAME", 16, L, "pool name, whole (layout 02; POOL keeps its first 8 characters)"),
    ]);

    public static readonly ReportLayout Mounts = new("MOUNTS", "CTAPE.STATUS.MOUNTS",
    [
        new("DEVNUM", 4, L, "device number"),
        new("VOLSER", 6, L, "volume serial"),
        new("KIND", 8, L, "SPECIFIC, SCRATCH or OPERATOR"),
        new("REQUESTED", 19, L, "mount requested, yyyy-MM-dd HH:mm:ss UTC"),
        new("MOUNTED", 19, L, "volume ready"),
        new("UNMOUNTED", 19, L, "volume released, blank while mounted"),
        new("LATENCYMS", 10, R, "milliseconds from request to ready"),
        new("SERVER", 64, L, "shared library: the server whose drive it is (and which held the volume), its first 64 characters; blank in an embedded library (layout 03)"),
    ]);

    public static readonly ReportLayout Statistics = new("STATS", "CTAPE.STATUS.STATS",
    [
        new("NAME", 32, L, "statistic"),
        new("VALUE", 20, R, "value"),
        new("UNIT", 12, L, "unit"),
    ]);

    public static readonly ReportLayout Configuration = new("CONFIG", "CTAPE.STATUS.CONFIG",
    [
        new("LINE", 6, R, "line number"),
        new("TEXT", 150, L, "a line of the effective configuration"),
    ]);

    public static readonly ReportLayout Events = new("EVENTS", "CTAPE.STATUS.EVENTS",
    [
        new("TIME", 19, L, "yyyy-MM-dd HH:mm:ss UTC"),
        new("DEVNUM", 4, L, "device number"),
        new("VOLSER", 6, L, "volume serial, blank if none"),
        new("KIND", 12, L, "UNITCHECK, UNITEXCEPT, MOUNTFAIL, ..."),
        new("OPCODE", 2, L, "CCW command code, hex"),
        new("SENSE", 16, L, "first 8 sense bytes, hex"),
        new("ERA", 2, L, "error recovery action code (sense byte 3), hex"),
        new("TEXT", 80, L, "description"),
    ]);

    /// <summary>The answer a command volume carries after the server has processed its requests.</summary>
    public static readonly ReportLayout CommandResponse = new("RESPONSE", "CTAPE.COMMAND.RESPONSE",
    [
        new("SEQ", 6, R, "record number of the request in the request data set"),
        new("RESULT", 8, L, "DONE, ERROR (this request is wrong) or NOTDONE (another request was wrong: nothing was applied)"),
        new("COMMAND", 72, L, "the request as written"),
        new("MESSAGE", 66, L, "what was done, or why not"),
    ]);

    /// <summary>Every report, by name.</summary>
    public static readonly IReadOnlyList<ReportLayout> All =
        [Drives, Volumes, Scratch, Pools, Mounts, Statistics, Configuration, Events, CommandResponse];
}
