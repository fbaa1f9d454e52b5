using System.Data.Common;
using ChannelTape.Library.Catalog;
using ChannelTape.Runtime.Events;
using Microsoft.Extensions.Logging;

namespace ChannelTape.Library.Mounts;

/// <summary>
/// Keeps this server's lease on a shared catalog (docs/scale-out.md): renews it every third of its length,
/// releases the mounts of servers whose lease ran out, and fences this server when its own lease is gone —
/// renewal refused (the lease ran out: others may have taken its volumes) or the catalog unreachable past the
/// lease's end. Fencing takes every catalog volume off this server's drives (their releases upload only what
/// the catalog still lets this server keep) and refuses mounts until a new lease is registered.
/// </summary>
public sealed class ServerLeaseKeeper : IAsyncDisposable
{
    private readonly LibraryCatalog _catalog;
    private readonly LibraryManager _manager;
    private readonly CatalogVolumeResolver _resolver;
    private readonly TapeEventHub _events;
    private readonly TimeSpan _lease;
    private readonly CancellationTokenSource _stop = new();
    private DateTimeOffset _validUntil;
    private Task? _loop;

    public ServerLeaseKeeper(LibraryCatalog catalog, LibraryManager manager, CatalogVolumeResolver resolver, TapeEventHub events, TimeSpan lease)
    {
        _catalog = catalog;
        _manager = manager;
        _resolver = resolver;
        _events = events;
        _lease = lease;
    }

    /// <summary>Registers the server with a fresh lease and starts renewing it.</summary>
    public void Start()
    {
        var asked = DateTimeOffset.UtcNow;
        _catalog.RegisterServer(_lease);
        _validUntil = asked + _lease;
        _loop = Task.Run(LoopAsync);
    }

    private async Task LoopAsync()
    {
        var period = _lease / 3;
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(period, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Renew();
            ReleaseExpired();
        }
    }

    /// <summary>One renewal (the loop's step; tests call it to cut time short).</summary>
    public void Renew()
    {
        var asked = DateTimeOffset.UtcNow;
        try
        {
            if (_catalog.RenewLease(_lease))
            {
                _validUntil = asked + _lease;
                return;
            }

            Fence("its lease ran out before it was renewed");
        }
        catch (DbException e)
        {
            if (DateTimeOffset.UtcNow >= _validUntil)
            {
                Fence($"the catalog was unreachable until the lease ran out ({e.Message})");
            }
        }
    }

    private void ReleaseExpired()
    {
        try
        {
            foreach (var released in _catalog.ReleaseExpiredLeases())
            {
                _events.Publish(new ServerLeaseReleased(released));
            }
        }
        catch (DbException)
        {
            // Tried again at the next renewal.
        }
    }

    private void Fence(string reason)
    {
        _resolver.Fenced = true;
        var fenced = _manager.View.Drives.Where(d => d.Volume.VolumeSerial is not null && !d.Volume.IsAdministrative).ToList();
        _events.Publish(new ServerFenced(_catalog.ServerName, reason, fenced.Count));
        foreach (var drive in fenced)
        {
            drive.Executor.Post(() => _manager.UnloadNow(drive, MountSource.Fence));
        }

        try
        {
            var asked = DateTimeOffset.UtcNow;
            _catalog.RegisterServer(_lease);
            _validUntil = asked + _lease;
            _resolver.Fenced = false;
            _events.Publish(new ServerLeaseRegained(_catalog.ServerName));
        }
        catch (DbException)
        {
            // Still cut off: the next renewal registers again.
        }
    }

    /// <summary>Stops renewing and gives the lease up (after the server's drives let go of their volumes).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        try
        {
            _catalog.UnregisterServer();
        }
        catch (DbException)
        {
            // The lease runs out by itself.
        }

        _stop.Dispose();
    }
}

/// <summary>This server lost its lease on the shared catalog and took its volumes off its drives.</summary>
public sealed record ServerFenced(string Server, string Reason, int DrivesFenced) : TapeEvent
{
    public override LogLevel Level => LogLevel.Error;

    public override string Message => $"server {Server} fenced: {Reason}; {DrivesFenced} drive(s) unloaded, mounts refused until it holds a lease again";
}

/// <summary>This server holds a lease again after it was fenced.</summary>
public sealed record ServerLeaseRegained(string Server) : TapeEvent
{
    public override LogLevel Level => LogLevel.Warning;

    public override string Message => $"server {Server} holds a lease on the catalog again; mounts resume";
}

/// <summary>The mounts of a server whose lease ran out were released by this one.</summary>
public sealed record ServerLeaseReleased(ReleasedLease Released) : TapeEvent
{
    public override LogLevel Level => LogLevel.Warning;

    public override string Message =>
        $"server {Released.Server} let its lease run out: released {string.Join(' ', Released.VolumesReleased.Select(v => v.Value))}"
        + (Released.VolumesKeptDirty.Count > 0 ? $"; kept mounted-dirty until it returns: {string.Join(' ', Released.VolumesKeptDirty.Select(v => v.Value))}" : "");
}
