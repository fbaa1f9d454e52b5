using ChannelTape.Channel;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using ChannelTape.Runtime;
using ChannelTape.Text;

namespace ChannelTape.Library.Tests.Mounts;

/// <summary>
/// A non-specific request gets a scratch volume labelled as its host expects (issue 9): the label type of the OS's
/// mount message, passed as a mount word by the automatic operator (<c>devinit 480 "SCRTCH" NL</c>), or a Load
/// Display's label character. The pool's scratch volumes are SL; the pool has one, so every request takes it.
/// </summary>
public sealed class ScratchLabelTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ctape-scratch-labels-").FullName;
    private readonly LibraryCatalog _catalog;
    private readonly LibraryManager _library;
    private readonly Guest _host;

    public ScratchLabelTests()
    {
        (var configuration, _catalog) = Guest.OpenLibrary(_root, $$"""
            storage { root "{{_root}}"; format aws; }
            drive 0580 { model 3490; media 3490E; pool SCRATCH; }
            pool SCRATCH { volumes S00000; media 3490E; capacity 10M; labels SL; scratch; }
            """);
        (_library, var hosts) = Guest.OnLibrary(configuration, _catalog, 0x0580);
        _host = hosts[0x0580];
    }

    public void Dispose()
    {
        _host.Drive.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Theory]
    [InlineData("SCRTCH NL", LabelType.None, false)]
    [InlineData("PRIVAT SL ro", LabelType.Standard, true)]
    [InlineData("T00100 aul", LabelType.Ansi, false)]
    [InlineData("T00100 SUL", LabelType.Standard, false)]
    [InlineData("T00100 NSL", null, false)]
    [InlineData("T00100 BLP", null, false)]
    [InlineData("T00100", null, false)]
    public void Mount_words_carry_the_label_type_of_the_mount_message(string words, LabelType? labels, bool readOnly)
    {
        Assert.True(MountRequest.TryParse(words, out var request, out var refusal, volumesFirst: true), refusal?.Message);
        var volume = Assert.IsType<MountRequest.Volume>(request);
        Assert.Equal((labels, readOnly), (volume.Labels, volume.Options.ReadOnly));
    }

    [Theory]
    [InlineData("SCRTCH SL NL", "two label types: SL and NL")]
    [InlineData("/tmp/volume.aws NL", "NL: a label type is for a library volume, not an image path")]
    [InlineData("SCRTCH XL", "XL")]
    public void Mount_words_with_a_misplaced_label_type_are_refused(string words, string message)
    {
        Assert.False(MountRequest.TryParse(words, out _, out var refusal, volumesFirst: true));
        Assert.Equal(VolumeRefusalReason.BadRequest, refusal.Reason);
        Assert.Contains(message, refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Operator_mount_of_an_unlabelled_scratch_volume_gives_an_empty_tape_and_the_catalog_records_NL()
    {
        Assert.True(_host.Operator("SCRTCH NL").Done);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitException, _host.Read().Status); // no VOL1: the tape mark an NL pool's new volume starts with
        _host.Operator("*");

        Assert.True(_host.Operator("SCRTCH NL").Done);
        _host.Write(Ebcdic.GetBytes("AN UNLABELLED RECORD".PadRight(80)));
        _host.WriteTapeMark();
        _host.RewindUnload();

        var volume = _catalog.FindVolume(VolumeSerial.Parse("S00000"))!;
        Assert.Equal((VolumeStatus.Private, LabelType.None), (volume.Status, volume.Labels));
    }

    [Fact]
    public void Load_display_label_character_asks_for_the_labels_and_a_standard_request_labels_the_volume_again()
    {
        _host.LoadDisplay("MSCRTCHN");
        Assert.Equal("S00000", _library.View.State(0x0580)!.VolumeSerial);
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd | UnitStatus.UnitException, _host.Read().Status);
        _host.RewindUnload();

        _host.LoadDisplay("MSCRTCHS");
        var (status, block) = _host.Read();
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, status);
        Assert.Equal("VOL1S00000", Ebcdic.GetString(block)[..10]);
    }

    [Fact]
    public void A_specific_volume_keeps_its_labels_whatever_the_message_says()
    {
        Assert.True(_host.Operator("S00000 NL").Done);
        Assert.Equal("VOL1S00000", Ebcdic.GetString(_host.Read().Block)[..10]);
    }
}
