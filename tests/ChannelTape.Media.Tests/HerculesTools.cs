using System.Diagnostics;

namespace ChannelTape.Media.Tests;

/// <summary>
/// Runs the Hercules 3.13 utilities (Debian package <c>hercules</c>, installed by
/// scripts/install-prereqs.sh). A missing tool fails the test with its name.
/// </summary>
public static class HerculesTools
{
    public sealed record Result(int ExitCode, string Output, string Error);

    public static string Require(string tool)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin").Split(Path.PathSeparator).Append("/usr/bin"))
        {
            string candidate = Path.Combine(directory, tool);
            if (File.Exists(candidate))
                return candidate;
        }
        Assert.Fail($"Hercules tool '{tool}' is not installed (Debian package 'hercules'; run scripts/install-prereqs.sh).");
        return tool;
    }

    public static Result Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(Require(tool))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{tool} did not finish within 60 s");
        }
        return new Result(process.ExitCode, output.Result, error.Result);
    }
}
