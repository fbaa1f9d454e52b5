using ChannelTape.Scripts.CcwScript;

namespace ChannelTape.Scripts.Tests.CcwScript;

public sealed class ScriptVolumesTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "ctape-volumes-tests", Guid.NewGuid().ToString("N"));

    public ScriptVolumesTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static VolumeSpec Tape(string source)
    {
        Assert.True(ScriptParser.TryParse(source + "\nNOP", out var script, out var error), error?.ToString());
        return script.Tape;
    }

    [Fact]
    public void BlocksAreWrittenAsTheReferenceRunnerEncodesThem()
    {
        // run.py aws_encode: one chunk per block (flags A0), a tape mark (40) keeps the previous
        // length, the block after a tape mark has previous length 0.
        var volumes = new ScriptVolumes(_directory, _directory);
        Assert.True(volumes.TryPrepare(Tape("tape blocks { block X'C1C2' TM block X'C3' }"), out var path, out var error), error);
        Assert.Equal(Convert.FromHexString("02000000A000C1C2" + "000002004000" + "01000000A000C3"), File.ReadAllBytes(path!));
    }

    [Fact]
    public void FilesAreCopiedSoTheScriptNeverChangesItsFixture()
    {
        var fixture = Path.Combine(_directory, "fixture.aws");
        File.WriteAllBytes(fixture, Convert.FromHexString("000000004000"));
        var volumes = new ScriptVolumes(_directory, Path.Combine(_directory));
        Assert.True(volumes.TryOpen(Tape("tape \"fixture.aws\""), out var media, out var error), error);
        using (media)
        {
            Assert.NotEqual(fixture, media!.Path);
            Assert.Equal(ChannelTape.Media.MediaStatus.Ok, media.Write([0xC1]));
        }

        Assert.Equal(Convert.FromHexString("000000004000"), File.ReadAllBytes(fixture));
    }

    [Fact]
    public void OptionsApplyToTheMountedVolume()
    {
        var volumes = new ScriptVolumes(_directory, _directory);
        Assert.True(volumes.TryOpen(Tape("tape blocks { block X'C1' } ro"), out var media, out var error), error);
        using (media)
        {
            Assert.True(media!.IsReadOnly);
            Assert.Equal(ChannelTape.Media.MediaStatus.WriteProtected, media.Write([0xC1]));
        }
    }

    [Fact]
    public void AMissingFileIsAnErrorNotAnException()
    {
        var volumes = new ScriptVolumes(_directory, _directory);
        Assert.False(volumes.TryOpen(Tape("tape \"nowhere.aws\""), out var media, out var error));
        Assert.Null(media);
        Assert.Contains("nowhere.aws", error);
    }

    [Fact]
    public void CopiesHaveNamesWithoutBlanksSoAServerCanBeToldThem()
    {
        File.WriteAllBytes(Path.Combine(_directory, "my tape.aws"), []);
        var volumes = new ScriptVolumes(_directory, _directory);
        Assert.True(volumes.TryPrepare(Tape("tape \"my tape.aws\""), out var path, out var error), error);
        Assert.Equal("01-my_tape.aws", Path.GetFileName(path));
    }

    [Fact]
    public void NoneGivesNoVolumeAndNoError()
    {
        var volumes = new ScriptVolumes(_directory, _directory);
        Assert.True(volumes.TryOpen(Tape("tape none"), out var media, out var error));
        Assert.Null(media);
        Assert.Null(error);
    }
}
