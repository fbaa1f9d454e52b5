using ChannelTape.Channel;
using ChannelTape.Device;
using ChannelTape.Labels;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using ChannelTape.Library.Mounts;
using ChannelTape.Media;
using ChannelTape.Runtime;
using ChannelTape.Runtime.Events;

namespace ChannelTape.Library.Tests.Mounts;

/// <summary>
/// A volume is given back to the library after Rewind Unload without holding the drive, as the server's gated
/// executor runs it: the host's next CCW (the Sense an OS issues after the unload's unit check) is answered at
/// once while the catalog records the unload, and a mount of the same volume waits until the catalog has ended
/// the first mount. OS/VS1 ended a job in ABEND 214-08 when that Sense waited for a slow synchronised commit
/// (docs/guests.md).
/// </summary>
public sealed class GiveBackTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _root = Directory.CreateTempSubdirectory("ctape-giveback-").FullName;
    private readonly LibraryCatalog _catalog;
    private readonly HeldReleases _resolver;
    private readonly DriveRuntime _runtime;
    private readonly Guest _host;

    public GiveBackTests()
    {
        (var configuration, _catalog) = Guest.OpenLibrary(_root, $$"""
            storage { root "{{_root}}"; format aws; }
            drive 0580 { model 3490; media 3490E; pool PRIV; }
            pool PRIV { volumes P00000-P00004; media 3490E; capacity 10M; labels SL; }
            """);
        var events = new TapeEventHub();
        _runtime = new DriveRuntime(new TapeDrive(TapeModel.Ibm3490, 0x0580), new GatedDriveExecutor(e => throw new InvalidOperationException("posted work failed", e)), events);
        _resolver = new HeldReleases(new CatalogVolumeResolver(_catalog, configuration));
        _ = new LibraryManager(new LibraryView(configuration, _catalog, [_runtime]), _resolver);
        _host = new Guest(_runtime);
    }

    public void Dispose()
    {
        _resolver.Gate.Set();
        _runtime.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task Sense_after_rewind_unload_is_answered_while_the_volume_is_being_given_back()
    {
        Assert.True(_host.Operator("P00001").Done);
        _host.RewindUnload();
        Assert.True(_resolver.Releasing.Wait(Patience), "the volume was never given back");

        var sense = await Task.Run(_host.Sense).WaitAsync(Patience); // a TimeoutException: the Sense waited for the catalog
        Assert.Equal(UnitStatus.ChannelEndDeviceEnd, sense.Status);
        Assert.Equal(VolumeStatus.Mounted, _catalog.FindVolume(VolumeSerial.Parse("P00001"))!.Status); // still being given back

        _resolver.Gate.Set();
        await ((GatedDriveExecutor)_runtime.Executor).Drained.WaitAsync(Patience);
        Assert.Null(_catalog.FindVolume(VolumeSerial.Parse("P00001"))!.MountedOn);
    }

    [Fact]
    public async Task Mount_of_the_volume_being_given_back_waits_for_the_catalog_and_succeeds()
    {
        Assert.True(_host.Operator("P00002").Done);
        _host.RewindUnload();
        Assert.True(_resolver.Releasing.Wait(Patience), "the volume was never given back");

        var again = Task.Run(() => _host.Operator("P00002"));
        await Task.WhenAny(again, Task.Delay(200));
        Assert.False(again.IsCompleted); // the catalog has not ended the first mount yet
        _resolver.Gate.Set();
        var outcome = await again.WaitAsync(Patience);
        Assert.Equal((true, (ushort?)0x0580), (outcome.Done, _catalog.FindVolume(VolumeSerial.Parse("P00002"))!.MountedOn));
        Assert.Equal(2, _catalog.MountHistory(VolumeSerial.Parse("P00002")).Count);
    }

    /// <summary>The catalog's resolver with every give-back held until <see cref="Gate"/> is set.</summary>
    private sealed class HeldReleases(IVolumeResolver inner) : IVolumeResolver
    {
        public ManualResetEventSlim Gate { get; } = new();

        /// <summary>Set when a give-back started (and waits for <see cref="Gate"/>).</summary>
        public ManualResetEventSlim Releasing { get; } = new();

        public VolumeResolution Resolve(in VolumeRequest request)
        {
            var resolution = inner.Resolve(request);
            return resolution.Resolved ? VolumeResolution.Of(new HeldLease(this, resolution.Lease)) : resolution;
        }

        private sealed class HeldLease(HeldReleases owner, VolumeLease inner) : VolumeLease(inner.Serial, inner.Media)
        {
            public override void Release(in VolumeRelease release)
            {
                owner.Releasing.Set();
                owner.Gate.Wait();
                inner.Release(release);
            }
        }
    }
}
