using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ChannelTape.Library.Catalog;

/// <summary>
/// One server per data folder: an exclusive advisory lock (<c>flock</c>) on <c>ctape.lock</c>, taken at
/// start and held until the server stops, with the holder's process id written beside it in
/// <c>ctape.pid</c>. Two servers on one folder would both hand out scratch volumes and mount the same
/// image twice; the second refuses to start, naming the folder and the holder. The kernel drops the
/// lock when the holder dies (kill -9 included), so a stale lock never blocks a restart.
/// </summary>
public sealed class DataFolderLock : IDisposable
{
    public const string LockFileName = "ctape.lock";
    public const string ProcessIdFileName = "ctape.pid";

    private readonly FileStream _lock;

    private DataFolderLock(FileStream held, string folder)
    {
        _lock = held;
        Folder = folder;
    }

    /// <summary>The data folder held.</summary>
    public string Folder { get; }

    /// <summary>Takes the folder's lock; false, saying which process holds it, when another server does.</summary>
    public static bool TryTake(string dataFolder, [NotNullWhen(true)] out DataFolderLock? held, [NotNullWhen(false)] out string? error)
    {
        var folder = Path.GetFullPath(dataFolder);
        held = null;
        Directory.CreateDirectory(folder);
        var pidPath = Path.Combine(folder, ProcessIdFileName);
        FileStream stream;
        try
        {
            // FileShare.None is flock(LOCK_EX | LOCK_NB) on Linux: refused at once while another process holds it.
            stream = new FileStream(Path.Combine(folder, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            error = $"the data folder {folder} is in use by another ctape serve{HolderText(pidPath)}; "
                + "one server per data folder (stop it, or give this one another --data)";
            return false;
        }
        catch (UnauthorizedAccessException e)
        {
            error = $"cannot lock the data folder {folder}: {e.Message}";
            return false;
        }

        try
        {
            File.WriteAllText(pidPath, Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The lock is what counts; the pid file only names the holder to a second server.
        }

        held = new DataFolderLock(stream, folder);
        error = null;
        return true;
    }

    public void Dispose() => _lock.Dispose();

    private static string HolderText(string pidPath)
    {
        try
        {
            var text = File.ReadAllText(pidPath).Trim();
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? $" (process {pid})" : "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
