using System.Collections.Concurrent;
using ChannelTape.Library.Catalog;
using ChannelTape.Library.Configuration;
using static ChannelTape.Testing.CatalogTestSupport;

namespace ChannelTape.Library.Tests.Catalog;

/// <summary>
/// The shared catalog on a real PostgreSQL (issue 12, item 1): the same migrations and mount behaviour as
/// the embedded one, mount exclusivity and scratch allocation across servers, leases. Bad connection
/// strings and unreachable servers need no PostgreSQL and always run.
/// </summary>
public sealed class PostgresCatalogTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly List<PostgresCatalog> _opened = [];

    public void Dispose()
    {
        foreach (var catalog in _opened)
        {
            catalog.Dispose();
        }

        _directory.Dispose();
    }

    private PostgresCatalog Open(string connection, string server, TimeProvider? time = null)
    {
        var catalog = PostgresCatalog.Open(connection, Path.Combine(_directory.Path, server.Length == 0 ? "tool" : server), server, time);
        _opened.Add(catalog);
        return catalog;
    }

    private static LibraryConfiguration Library(string dir) => ConfigurationParser.ParseText("""
        drive 0580-0587;
        pool SCRATCH { volumes T00000-T00199; media 3490E; capacity 10M; labels SL; scratch; }
        """, "shared.conf", dir).Configuration!;

    [Fact]
    public void A_connection_string_that_does_not_parse_is_refused_with_the_reason()
    {
        var e = Assert.Throws<ArgumentException>(() => PostgresCatalog.Open("this is not one", _directory.Path, "a"));
        Assert.Contains("connection string", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => PostgresCatalog.Open("Database=ctape", _directory.Path, "a"));
    }

    [Fact]
    public void An_unreachable_server_is_a_database_error_not_a_crash()
    {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        Assert.ThrowsAny<System.Data.Common.DbException>(() => PostgresCatalog.Open("Host=127.0.0.1;Port=1;Username=x;Timeout=2", _directory.Path, "a"));
    }

    [PostgresFact]
    public void Migrations_run_once_and_every_server_syncs_the_pools_idempotently()
    {
        var connection = SharedEngines.NewDatabase();
        var a = Open(connection, "a");
        var b = Open(connection, "b");
        Assert.Equal(2, a.SchemaVersion);
        Assert.Equal(2, b.SchemaVersion);

        Assert.Equal(200, a.SyncFromConfiguration(Library(_directory.Path)).VolumesAdded);
        var second = b.SyncFromConfiguration(Library(_directory.Path));
        Assert.Equal(0, second.VolumesAdded);
        Assert.Equal(8, second.DrivesAdded); // drives are the server's own
        Assert.Equal(0, a.SyncFromConfiguration(Library(_directory.Path)).VolumesAdded);
        Assert.Equal(200, Open(connection, "").ListVolumes().Count);
        Assert.Equal(16, Open(connection, "").ListDrives().Count);
        Assert.Equal(8, a.ListDrives().Count);
    }

    [PostgresFact]
    public void A_volume_mounted_on_one_server_is_refused_on_the_other_and_free_after_the_unload()
    {
        var connection = SharedEngines.NewDatabase();
        var a = Open(connection, "a");
        var b = Open(connection, "b");
        a.SyncFromConfiguration(Library(_directory.Path));
        b.SyncFromConfiguration(Library(_directory.Path));

        var onA = a.BeginMount(Serial("T00007"), 0x580);
        Assert.True(onA.Started);
        Assert.True(a.CompleteMount(onA.MountId));
        var onB = b.BeginMount(Serial("T00007"), 0x581);
        Assert.Equal(MountRefusal.VolumeMounted, onB.Refusal);
        Assert.Equal("a", onB.Volume!.MountedBy);
        Assert.Equal("a", Open(connection, "").OpenMounts().Single().Server);

        Assert.True(a.EndMount(onA.MountId));
        Assert.Equal(VolumeStatus.Scratch, b.FindVolume(Serial("T00007"))!.Status); // a specific mount gives back the status it had
        var again = b.BeginMount(Serial("T00007"), 0x581);
        Assert.True(again.Started);
        Assert.Equal("b", again.Volume!.MountedBy);
    }

    [PostgresFact]
    public void Concurrent_scratch_mounts_through_two_servers_never_hand_out_a_volume_twice()
    {
        var connection = SharedEngines.NewDatabase();
        var servers = new[] { Open(connection, "a"), Open(connection, "b") };
        foreach (var server in servers)
        {
            server.SyncFromConfiguration(Library(_directory.Path));
        }

        var taken = new ConcurrentBag<string>();
        // 2 servers x 8 drives, each drive taking scratch volumes until the pool is empty.
        Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 16 }, i =>
        {
            var catalog = servers[i % 2];
            var device = (ushort)(0x580 + i / 2);
            while (true)
            {
                var start = catalog.TryAllocateScratch("SCRATCH", device);
                if (!start.Started)
                {
                    Assert.Equal(MountRefusal.NoScratchVolume, start.Refusal);
                    return;
                }

                taken.Add(start.Volume!.Serial.Value);
                catalog.CompleteMount(start.MountId);
                catalog.EndMount(start.MountId); // handed out by a scratch request: now private, never handed out again
            }
        });

        Assert.Equal(200, taken.Count);
        Assert.Equal(200, taken.Distinct().Count());
    }

    [PostgresFact]
    public void A_server_whose_lease_ran_out_has_its_mounts_released_by_another_and_cannot_renew()
    {
        var connection = SharedEngines.NewDatabase();
        var a = Open(connection, "a");
        var b = Open(connection, "b");
        a.SyncFromConfiguration(Library(_directory.Path));
        b.SyncFromConfiguration(Library(_directory.Path));
        a.RegisterServer(TimeSpan.FromSeconds(1));
        b.RegisterServer(TimeSpan.FromSeconds(60));
        var mount = a.BeginMount(Serial("T00001"), 0x580);
        a.CompleteMount(mount.MountId);
        var dirty = a.BeginMount(Serial("T00002"), 0x581);
        a.CompleteMount(dirty.MountId);
        a.SetDirty(Serial("T00002"), dirty: true);

        Assert.Empty(b.ReleaseExpiredLeases()); // still alive
        Thread.Sleep(1500);
        var released = Assert.Single(b.ReleaseExpiredLeases());

        Assert.Equal("a", released.Server);
        Assert.Equal([Serial("T00001")], released.VolumesReleased);
        Assert.Equal([Serial("T00002")], released.VolumesKeptDirty); // its newest image is only in a's cache
        Assert.Equal(VolumeStatus.Scratch, b.FindVolume(Serial("T00001"))!.Status);
        Assert.Equal(VolumeStatus.Mounted, b.FindVolume(Serial("T00002"))!.Status);
        Assert.False(a.RenewLease(TimeSpan.FromSeconds(60)));
        Assert.True(b.BeginMount(Serial("T00001"), 0x582).Started);
        // The writes a made under the released mount are refused as the volume's image.
        Assert.False(a.RecordStoredImage(Serial("T00001"), new StoredImage("k", "e", 1, "00"), mount.MountId, out var notSwitched));
        Assert.Null(notSwitched);
        Assert.True(a.RecordStoredImage(Serial("T00002"), new StoredImage("k2", "e2", 2, "00"), dirty.MountId, out var first));
        Assert.Null(first); // the volume had no object before
        Assert.True(a.RecordStoredImage(Serial("T00002"), new StoredImage("k3", "e3", 3, "00"), dirty.MountId, out var superseded));
        Assert.Equal("k2", superseded); // the caller deletes it: nothing names it any more
        Assert.Equal("k3", b.FindVolume(Serial("T00002"))!.Stored!.Key);
    }
}
