using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace ChannelTape.Management;

/// <summary>How the management API is served.</summary>
/// <param name="Http">Where it listens (port 0: any free port).</param>
/// <param name="Secret">The bearer token writes need, and reads from outside loopback; null when none is configured.</param>
/// <param name="TransferFolder">The only folder HTTP imports read from and exports write to; null: HTTP import and export are refused.</param>
public sealed record ManagementSettings(IPEndPoint Http, string? Secret, string? TransferFolder)
{
    /// <summary>
    /// Reads the secret from <paramref name="path"/>: the file's text without its trailing line end. False
    /// with the reason when the file cannot be read or holds nothing.
    /// </summary>
    public static bool TryReadSecret(string path, [NotNullWhen(true)] out string? secret, [NotNullWhen(false)] out string? error)
    {
        secret = null;
        try
        {
            var text = File.ReadAllText(path).TrimEnd('\r', '\n');
            if (text.Length == 0)
            {
                error = $"secret file {path} is empty";
                return false;
            }

            if (text.Contains('\n', StringComparison.Ordinal) || text.Contains('\r', StringComparison.Ordinal))
            {
                error = $"secret file {path} holds more than one line; the secret is one line";
                return false;
            }

            secret = text;
            error = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = $"cannot read the secret file {path}: {e.Message}";
            return false;
        }
    }

    /// <summary>True when every user of the machine may read <paramref name="path"/> (Unix permissions; false where there are none).</summary>
    public static bool IsReadableByOthers(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        try
        {
            var mode = File.GetUnixFileMode(path);
            return (mode & UnixFileMode.OtherRead) != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
