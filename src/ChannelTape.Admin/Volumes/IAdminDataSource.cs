using ChannelTape.Admin.Commands;
using ChannelTape.Admin.Reports;

namespace ChannelTape.Admin.Volumes;

/// <summary>
/// Live state the reports are built from: the library (catalog, pools, mount history) and the
/// server (drives). Sequences are read lazily while the data set is written, so a report of a
/// million volumes streams from the catalog without being held in memory.
/// </summary>
public interface IAdminDataSource
{
    /// <summary>Drives, all or one (<paramref name="deviceNumber"/>).</summary>
    IEnumerable<DriveStatusRow> Drives(int? deviceNumber);

    /// <summary>Volumes whose serial starts with <paramref name="serialPrefix"/> ("" = all), in serial order.</summary>
    IEnumerable<VolumeStatusRow> Volumes(string serialPrefix);

    /// <summary>Scratch volumes of the pools whose name starts with <paramref name="poolPrefix"/>.</summary>
    IEnumerable<ScratchVolumeRow> Scratch(string poolPrefix);

    IEnumerable<PoolStatusRow> Pools(string poolPrefix);

    /// <summary>Recent mounts, newest first, all drives or one.</summary>
    IEnumerable<MountStatusRow> Mounts(int? deviceNumber);

    IEnumerable<StatisticRow> Statistics();

    /// <summary>The effective configuration, one line per row.</summary>
    IEnumerable<ConfigurationLineRow> Configuration();

    /// <summary>Recent events, newest first, all drives or one.</summary>
    IEnumerable<EventRow> Events(int? deviceNumber);
}

/// <summary>Outcome of one command of a command volume.</summary>
public sealed record AdminCommandResult(AdminCommand Command, bool Succeeded, string Message);

/// <summary>The library operations command volumes may ask for.</summary>
public interface IAdminCommandTarget
{
    /// <summary>
    /// Checks every command, and only when all are valid applies them all in one transaction
    /// (issue 5: a request is applied completely or not at all). Returns one result per command;
    /// when any failed, none was applied.
    /// </summary>
    IReadOnlyList<AdminCommandResult> Apply(IReadOnlyList<AdminCommand> commands);
}
