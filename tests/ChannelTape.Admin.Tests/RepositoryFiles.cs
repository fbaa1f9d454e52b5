namespace ChannelTape.Admin.Tests;

/// <summary>Files of this repository the tests read (documentation, golden tests).</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ChannelTape.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("ChannelTape.sln not found above " + AppContext.BaseDirectory);
    }
}
