using System.Diagnostics;

namespace ChannelTape.Protocol.Tests;

/// <summary>Files of the repository the tests read (found by walking up to ChannelTape.sln).</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string Path(string relative) => System.IO.Path.Combine(Root, relative);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "ChannelTape.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("ChannelTape.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>
/// Runs a tool the repository's other codecs are checked with (python3, make and gcc, installed by
/// scripts/install-prereqs.sh) in the repository root. A missing tool fails the test with its name.
/// </summary>
internal static class RepositoryTool
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        /// <summary>Output and error for an assertion message.</summary>
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
    }

    public static Result Run(string tool, params string[] arguments)
    {
        var path = Require(tool);
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryFiles.Root,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{tool} {string.Join(' ', arguments)} did not finish within 120 s");
        }

        return new Result(process.ExitCode, output.Result, error.Result);
    }

    private static string Require(string tool)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(System.IO.Path.PathSeparator).Append("/usr/bin"))
        {
            var candidate = System.IO.Path.Combine(directory, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail($"'{tool}' is not installed (run scripts/install-prereqs.sh).");
        return tool;
    }
}
