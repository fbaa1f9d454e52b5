using ChannelTape.Channel;
using ChannelTape.Client;
using ChannelTape.Protocol;

namespace ChannelTape.Scripts.CcwScript;

/// <summary>A script drive on a ChannelTape server (<c>ctape replay SCRIPT.ccw --server HOST:PORT</c>).</summary>
public static class RemoteScriptDrive
{
    /// <summary>How long the initial mount's device end is waited for before the first step.</summary>
    private static readonly TimeSpan s_initialDeviceEnd = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Attaches the script's drive on the server through <see cref="RemoteDevice"/> and loads the
    /// script's initial volume there. Image files are prepared in <paramref name="workDirectory"/> and
    /// mounted by path, so the server must see this machine's files (a server on the same host). Disposing the
    /// drive unloads it (library volumes go back, pending requests are withdrawn) and detaches.
    /// </summary>
    /// <param name="script">The script (device and tape statements).</param>
    /// <param name="host">Server host.</param>
    /// <param name="port">Server port.</param>
    /// <param name="scriptDirectory">Folder relative image paths are taken from.</param>
    /// <param name="workDirectory">Folder for image copies and new images; created if missing.</param>
    /// <param name="drive">The drive, ready for the first step.</param>
    /// <param name="error">Why the drive could not be attached or loaded.</param>
    public static bool TryConnect(Script script, string host, int port, string scriptDirectory, string workDirectory,
        out ChannelScriptDrive? drive, out string? error)
    {
        ArgumentNullException.ThrowIfNull(script);
        drive = null;
        if (!ScriptVolumes.TryCreate(scriptDirectory, workDirectory, out var volumes, out error))
        {
            return false;
        }

        if (!RemoteDevice.TryConnect(host, port, script.Device.DeviceNumber, (ushort)script.Device.Model, "ctape replay",
                out var device, out error, Replay.RemoteReplayFactory.DefaultFeatures))
        {
            return false;
        }

        string? Mount(VolumeSpec volume)
        {
            if (volume.Kind == VolumeKind.None)
            {
                return device.MountOrRefusal("*");
            }

            if (!volumes.TryPrepare(volume, out var path, out var prepareError))
            {
                return prepareError;
            }

            return device.MountOrRefusal(string.Join(' ', volume.Options.Prepend(path!)));
        }

        // At the end the drive is unloaded: a volume the library mounted for one of the script's Load Displays
        // goes back (unwritten, a scratch volume is scratch again) and a request still pending is withdrawn,
        // so a conformance run leaves a live library as it found it.
        drive = new ChannelScriptDrive(device, Mount, () => device.MountOrRefusal("*"), () =>
        {
            device.MountOrRefusal("*");
            device.Dispose();
        });
        if (script.Tape.Kind == VolumeKind.None && !device.Identity.VolumeLoaded)
        {
            // Already as the script wants it: no unload, which would leave Hercules' zeroed pending
            // sense behind (TapeDrive.Unload) where a drive configured empty has none.
            error = null;
            return true;
        }

        if (Mount(script.Tape) is { } mountError)
        {
            drive.Dispose();
            drive = null;
            error = $"line {script.Tape.Location.Line}: {mountError}";
            return false;
        }

        // The server presents device end for the mount or unload, as Hercules' devinit; a volume in
        // the configuration has none pending, so the script starts without it.
        drive.WaitForUnsolicited(UnitStatus.DeviceEnd, s_initialDeviceEnd);
        error = null;
        return true;
    }
}
