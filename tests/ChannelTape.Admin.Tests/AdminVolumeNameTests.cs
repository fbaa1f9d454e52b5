using ChannelTape.Admin.Volumes;

namespace ChannelTape.Admin.Tests;

public sealed class AdminVolumeNameTests
{
    [Theory]
    [InlineData("#DRIVE", AdminVolumeKind.Drives, "")]
    [InlineData("#D0580", AdminVolumeKind.Drives, "0580")]
    [InlineData("#VOLS", AdminVolumeKind.Volumes, "")]
    [InlineData("#VT000", AdminVolumeKind.Volumes, "T000")]
    [InlineData("#SCRAT", AdminVolumeKind.Scratch, "")]
    [InlineData("#SPOOL", AdminVolumeKind.Scratch, "POOL")]
    [InlineData("#POOLS", AdminVolumeKind.Pools, "")]
    [InlineData("#MOUNT", AdminVolumeKind.Mounts, "")]
    [InlineData("#M0581", AdminVolumeKind.Mounts, "0581")]
    [InlineData("#STATS", AdminVolumeKind.Statistics, "")]
    [InlineData("#CONF", AdminVolumeKind.Configuration, "")]
    [InlineData("#EVENT", AdminVolumeKind.Events, "")]
    [InlineData("#E058F", AdminVolumeKind.Events, "058F")]
    [InlineData("#CMD", AdminVolumeKind.Command, "")]
    [InlineData("#CMD01", AdminVolumeKind.Command, "01")]
    [InlineData("#DRIVE ", AdminVolumeKind.Drives, "")]
    public void Recognises_every_report_name_and_selector(string serial, AdminVolumeKind kind, string selector)
    {
        Assert.True(AdminVolumeName.TryParse(serial, "#", out var name));
        Assert.Equal(kind, name!.Kind);
        Assert.Equal(selector, name.Selector);
    }

    [Theory]
    [InlineData("T00001")]   // ordinary volume
    [InlineData("#")]        // prefix alone
    [InlineData("#X")]       // unknown letter
    [InlineData("#XYZ12")]
    [InlineData("#DZZZZ")]   // D needs four hex digits
    [InlineData("#M05")]
    [InlineData("#DRIVE1")]  // longer than six characters
    public void Ordinary_and_unknown_serials_are_not_admin_volumes(string serial)
    {
        Assert.False(AdminVolumeName.TryParse(serial, "#", out _));
    }

    [Fact]
    public void Prefix_is_configurable()
    {
        Assert.True(AdminVolumeName.TryParse("$VOLS", "$", out var volumes));
        Assert.Equal(AdminVolumeKind.Volumes, volumes!.Kind);
        Assert.False(AdminVolumeName.TryParse("#VOLS", "$", out _));
        Assert.True(AdminVolumeName.TryParse("@@CONF", "@@", out var conf));
        Assert.Equal(AdminVolumeKind.Configuration, conf!.Kind);
    }

    [Theory]
    [InlineData(AdminVolumeKind.Drives, "", "#DRIVE")]
    [InlineData(AdminVolumeKind.Drives, "0580", "#D0580")]
    [InlineData(AdminVolumeKind.Scratch, "SCR", "#SSCR")]
    [InlineData(AdminVolumeKind.Statistics, "", "#STATS")]
    public void Format_builds_the_serial_that_parses_back(AdminVolumeKind kind, string selector, string expected)
    {
        string serial = AdminVolumeName.Format("#", kind, selector);
        Assert.Equal(expected, serial);
        Assert.True(AdminVolumeName.TryParse(serial, "#", out var parsed));
        Assert.Equal(kind, parsed!.Kind);
        Assert.Equal(selector, parsed.Selector);
    }

    [Fact]
    public void Device_number_selector_is_hex()
    {
        Assert.True(AdminVolumeName.TryParse("#D058A", "#", out var name));
        Assert.Equal(0x058A, name!.DeviceNumber);
    }
}
