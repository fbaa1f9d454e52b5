using ChannelTape.Library.Configuration;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape config check FILE</c>: reports every error as <c>FILE:LINE:COL: message</c> and exits 1,
/// or prints a summary and exits 0. <c>ctape config show [FILE]</c>: prints the effective
/// configuration (the embedded default without FILE) in the configuration language.
/// </summary>
public static class ConfigCommand
{
    public const string Help = "check FILE | show [FILE]: check a configuration, print the effective one";

    public static int Run(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(IReadOnlyList<string> args, TextWriter output, TextWriter error)
    {
        var arguments = new Arguments(args, valueOptions: []);
        var words = arguments.Positional;
        if (words.Count == 0)
        {
            throw new UsageException("expected 'check FILE' or 'show [FILE]'");
        }

        switch (words[0])
        {
            case "check" when words.Count == 2:
                return Check(words[1], output, error);
            case "show" when words.Count <= 2:
                return Show(words.Count == 2 ? words[1] : null, output, error);
            case "check":
                throw new UsageException("usage: ctape config check FILE");
            case "show":
                throw new UsageException("usage: ctape config show [FILE]");
            default:
                throw new UsageException($"unknown subcommand '{words[0]}', expected check or show");
        }
    }

    private static int Check(string path, TextWriter output, TextWriter error)
    {
        var result = ConfigurationParser.ParseFile(path);
        if (!result.Success)
        {
            foreach (var e in result.Errors)
            {
                error.WriteLine(e);
            }
            return 1;
        }

        var configuration = result.Configuration!;
        output.WriteLine($"{path}: configuration is valid");
        output.WriteLine($"  listen   {configuration.Listen}");
        output.WriteLine($"  storage  {configuration.Storage.Root} ({configuration.Storage.Format.Extension}{FormatDetail(configuration.Storage.Format)})");
        output.WriteLine($"  drives   {configuration.Drives.Count}: {ConfigurationWriter.DeviceRanges(configuration.Drives.Select(d => d.DeviceNumber))}");
        output.WriteLine($"  pools    {configuration.Pools.Count}, {configuration.Pools.Sum(p => p.VolumeCount)} volumes");
        foreach (var pool in configuration.Pools)
        {
            output.WriteLine($"    {pool.Name,-16} {pool.VolumeCount,8} {(pool.Scratch ? "scratch" : "private")} volumes  {string.Join(", ", pool.Volumes)}");
        }

        output.WriteLine($"  admin    prefix \"{configuration.Admin.Prefix}\", commands from {configuration.Admin.Hosts.Count} host network(s) on drives {ConfigurationWriter.DeviceRanges(configuration.Admin.Drives)}");
        output.WriteLine($"  limits   {configuration.Limits.MaxConnections} connections, {configuration.Limits.MountHistory} mount history rows");
        return 0;
    }

    private static string FormatDetail(ImageFormat format) =>
        format.Compression == HetCompression.None ? "" : $", {format.Compression.ToString().ToLowerInvariant()} level {format.Level}";

    private static int Show(string? path, TextWriter output, TextWriter error)
    {
        LibraryConfiguration configuration;
        if (path is null)
        {
            configuration = ConfigurationParser.LoadDefault();
        }
        else
        {
            var result = ConfigurationParser.ParseFile(path);
            if (!result.Success)
            {
                foreach (var e in result.Errors)
                {
                    error.WriteLine(e);
                }

                return 1;
            }

            configuration = result.Configuration!;
        }

        ConfigurationWriter.Write(configuration, output);
        return 0;
    }
}
