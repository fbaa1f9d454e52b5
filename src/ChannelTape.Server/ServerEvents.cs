using System.Net;
using ChannelTape.Channel;
using ChannelTape.Protocol;
using ChannelTape.Protocol.Messages;
using ChannelTape.Runtime.Events;
using Microsoft.Extensions.Logging;

namespace ChannelTape.Server;

// The server's typed events (docs/protocol.md): published on the server's TapeEventHub, they are the
// log lines, the EVENTS report's source and what tests wait for. Connection chatter is Debug.

/// <summary>The server listens on <paramref name="EndPoint"/> and serves <paramref name="Drives"/> (e.g. <c>0580(3490)</c>).</summary>
public sealed record ServerListening(IPEndPoint EndPoint, string Drives) : TapeEvent
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message => $"listening on {EndPoint}, drives {Drives}";
}

/// <summary>Orderly shutdown began.</summary>
public sealed record ServerStopping : TapeEvent
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message => "shutting down";
}

/// <summary>Every connection is closed and every volume flushed and closed.</summary>
public sealed record ServerStopped : TapeEvent
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message => "stopped; every volume closed";
}

/// <summary>Accepting a connection failed (out of descriptors, a reset before accept); the server goes on.</summary>
public sealed record AcceptFailed(string Reason) : TapeEvent
{
    public override LogLevel Level => LogLevel.Warning;

    public override string Message => $"accept failed: {Reason}";
}

/// <summary>
/// A connection was closed as soon as it was accepted: the server has <paramref name="Open"/> of its
/// <paramref name="Limit"/> connections (<paramref name="PerAddress"/>: from that peer's address).
/// </summary>
public sealed record ConnectionRefused(string Peer, int Open, int Limit, bool PerAddress = false) : TapeEvent, IAuditEvent
{
    public override LogLevel Level => LogLevel.Warning;

    public override string Message => $"{Peer}: refused, already {Open} connections{(PerAddress ? " from this address" : "")} (limit {Limit})";
}

/// <summary>A connection that had not attached a drive was closed to make room for a new one (the server was full).</summary>
public sealed record ConnectionEvicted(string Connection, string For) : ConnectionEvent(Connection)
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message => $"{Connection}: closed to make room for {For}: it had not attached a drive";
}

/// <summary>A host proved its secret (docs/protocol.md §2.1); <paramref name="Authority"/> the host entry it is, null when none matches.</summary>
public sealed record HostAuthenticated(string Connection, string Identity, string? Authority, bool Tls = false) : ConnectionEvent(Connection), IAuditEvent
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message =>
        $"{Connection}: authenticated{(Tls ? " over TLS" : "")} with {(Identity.Length == 0 ? "the shared secret" : $"the secret of '{PeerText.Escape(Identity, 64)}'")}"
        + (Authority is null ? "; no host entry matches it" : $" as host {Authority}");
}

/// <summary>A host did not prove a secret the server wants (docs/protocol.md §2.1); the connection is closed.</summary>
public sealed record AuthenticationRefused(string Connection, string Identity, string Reason) : ConnectionEvent(Connection), IAuditEvent
{
    public override LogLevel Level => LogLevel.Warning;

    public override string Message =>
        $"{Connection}: authentication refused{(Identity.Length == 0 ? "" : $" for '{PeerText.Escape(Identity, 64)}'")}: {Reason}";
}

/// <summary>A connection that is not TLS was refused: the server wants TLS from peers that are not on this machine.</summary>
public sealed record PlainConnectionRefused(string Peer, string Reason) : TapeEvent, IAuditEvent
{
    public override LogLevel Level => LogLevel.Warning;

    public override string Message => $"{Peer}: refused: {Reason}";
}

/// <summary>A drive's volume could not be closed at shutdown.</summary>
public sealed record VolumeCloseFailed(ushort DeviceNumber, Exception Failure) : DriveEvent(DeviceNumber)
{
    public override LogLevel Level => LogLevel.Error;

    public override string Message => $"drive {Drive}: closing the volume failed: {Failure}";
}

/// <summary>An event of one host connection, named as the log names it (<c>#7 127.0.0.1:40112</c>).</summary>
public abstract record ConnectionEvent(string Connection) : TapeEvent;

/// <summary>A host connected.</summary>
public sealed record ConnectionOpened(string Connection) : ConnectionEvent(Connection)
{
    public override LogLevel Level => LogLevel.Debug;

    public override string Message => $"{Connection}: connected";
}

/// <summary>A host said Hello: its name, the frame limit agreed and the §5 features in effect.</summary>
public sealed record HelloReceived(string Connection, string HostName, int MaxFrameLength, ProtocolFeatures Features) : ConnectionEvent(Connection)
{
    public override LogLevel Level => LogLevel.Debug;

    public override string Message => $"{Connection}: hello from '{PeerText.Escape(HostName, 64)}', frames up to {MaxFrameLength} bytes, features {Features}";
}

/// <summary>A host attached a drive; <see cref="Host"/> names the host entry it attached as.</summary>
public sealed record DriveAttached(string Connection, ushort DeviceNumber, ushort Model, bool TakeOver, string DriveText) : ConnectionEvent(Connection), IAuditEvent
{
    /// <summary>The host the connection is (docs/security.md); empty when not known.</summary>
    public string Host { get; init; } = "";

    public override LogLevel Level => LogLevel.Information;

    public override string Message =>
        $"{Connection}: attached drive {DeviceNumber:X4} ({Model:X4}){(TakeOver ? " with take-over" : "")}{(Host.Length == 0 ? "" : $" as host {Host}")}: {DriveText}";
}

/// <summary>An Attach was refused.</summary>
public sealed record AttachRefused(string Connection, ushort DeviceNumber, AttachResult Result, string Reason) : ConnectionEvent(Connection), IAuditEvent
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message => $"{Connection}: attach of drive {DeviceNumber:X4} refused ({Result}): {Reason}";
}

/// <summary>Another connection attached this connection's drive with the take-over flag; this one closes.</summary>
public sealed record DriveTakenOver(string Connection, ushort DeviceNumber, string By) : ConnectionEvent(Connection), IAuditEvent
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message => $"{Connection}: drive {DeviceNumber:X4} taken over by {By}; closing";
}

/// <summary>What docs/protocol.md §5 did on one connection: blocks written behind, read ahead (by reference) and given back.</summary>
public readonly record struct StreamingCounts(long BufferedWrites, long ReadAheadSent, long ReadAheadReferred, long ReadAheadReturned)
{
    /// <summary>For the detach log line: empty when nothing was done (tests/bridge/run-e2e.sh reads this wording).</summary>
    public override string ToString() =>
        BufferedWrites + ReadAheadSent == 0
            ? ""
            : $"; write-behind: {BufferedWrites} blocks; read-ahead: {ReadAheadSent} blocks sent ({ReadAheadReferred} by reference), {ReadAheadReturned} given back";
}

/// <summary>A connection let go of its drive (it closed), with what write-behind and read-ahead did.</summary>
public sealed record DriveDetached(string Connection, ushort DeviceNumber, StreamingCounts Streaming) : ConnectionEvent(Connection)
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message => $"{Connection}: detached drive {DeviceNumber:X4}{Streaming}";
}

/// <summary>Why a connection ended.</summary>
public enum CloseCause
{
    /// <summary>The host sent Close.</summary>
    HostClosed,
    /// <summary>The peer closed the socket.</summary>
    PeerClosed,
    /// <summary>The socket failed (reset, broken pipe).</summary>
    ConnectionLost,
    /// <summary>Nothing received for the idle time (Close reason 3).</summary>
    IdleTimeout,
    /// <summary>The server is shutting down (Close reason 1).</summary>
    ShuttingDown,
    /// <summary>Another connection took the drive over (Close reason 2).</summary>
    TakenOver,
    /// <summary>The host broke the protocol (an Error frame was sent).</summary>
    ProtocolError,
    /// <summary>The peer stopped reading: the send queue filled or a send made no progress.</summary>
    PeerNotReading,
    /// <summary>A bug in the server; the connection was dropped, the server goes on.</summary>
    InternalError,
    /// <summary>No drive attached (and, with a secret, no proof) within the handshake time, or closed to make room (Close reason 3).</summary>
    HandshakeTimeout,
}

/// <summary>A connection ended, with its cause and the detail the log shows.</summary>
public sealed record ConnectionClosed(string Connection, CloseCause Cause, string Detail) : ConnectionEvent(Connection)
{
    public override LogLevel Level => Cause switch
    {
        CloseCause.ProtocolError or CloseCause.PeerNotReading => LogLevel.Warning,
        CloseCause.InternalError => LogLevel.Error,
        CloseCause.HostClosed or CloseCause.PeerClosed or CloseCause.ShuttingDown => LogLevel.Debug,
        _ => LogLevel.Information,
    };

    public override string Message => $"{Connection}: {Detail}";
}

/// <summary>A buffered Write failed after the host counted it done (§5.1): the next Ccw reports a deferred unit check.</summary>
public sealed record DeferredUnitCheck(string Connection, ushort DeviceNumber, int Count, UnitStatus Status, int Residual, string SenseHex)
    : ConnectionEvent(Connection)
{
    public override LogLevel Level => LogLevel.Warning;

    public override string Message =>
        $"{Connection}: drive {DeviceNumber:X4}: buffered Write of {Count} bytes ended with status {(byte)Status:X2}, residual {Residual}, "
        + $"sense {SenseHex}; deferred unit check at the next Ccw";
}

/// <summary>The Ccw after a failed buffered Write was not run: it reports the deferred unit check (§5.1).</summary>
public sealed record DeferredUnitCheckReported(string Connection, ushort DeviceNumber, byte Command) : ConnectionEvent(Connection)
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message => $"{Connection}: drive {DeviceNumber:X4}: CCW {Command:X2} not run, it reports the deferred unit check";
}

/// <summary>Buffered Writes that came after a failed one are dropped until the next Ccw (§5.1); said once per failure.</summary>
public sealed record BufferedWritesDropped(string Connection, ushort DeviceNumber) : ConnectionEvent(Connection)
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message =>
        $"{Connection}: drive {DeviceNumber:X4}: buffered Writes after the deferred unit check are dropped until the next Ccw";
}

/// <summary>The host gave back <paramref name="Unused"/> blocks of a read-ahead batch (§5.2); <paramref name="Known"/> false when no batch was known (ignored).</summary>
public sealed record ReadAheadReturned(string Connection, ushort DeviceNumber, uint Unused, bool Known) : ConnectionEvent(Connection)
{
    public override LogLevel Level => Known ? LogLevel.Debug : LogLevel.Information;

    public override string Message => Known
        ? $"{Connection}: drive {DeviceNumber:X4}: {Unused} read-ahead blocks given back"
        : $"{Connection}: drive {DeviceNumber:X4}: ReadAheadEnd with {Unused} unused blocks, but no batch is known; ignored";
}

/// <summary>The host cannot read blocks from the image (§5.3): later batches carry every block inline.</summary>
public sealed record ReferencesStopped(string Connection, ushort DeviceNumber, string? ImagePath) : ConnectionEvent(Connection)
{
    public override LogLevel Level => LogLevel.Information;

    public override string Message =>
        $"{Connection}: drive {DeviceNumber:X4}: the host cannot read blocks from the image{(ImagePath is null ? "" : $" {ImagePath}")}; "
        + "read-ahead carries every block inline from now on";
}

/// <summary>The drive failed on a CCW with a bug; the connection is dropped, the server goes on.</summary>
public sealed record CcwFailed(string Connection, ushort DeviceNumber, byte Command, Exception Failure) : ConnectionEvent(Connection)
{
    public override LogLevel Level => LogLevel.Error;

    public override string Message => $"{Connection}: drive {DeviceNumber:X4} failed on CCW {Command:X2}; closing the connection: {Failure}";
}
