using System.CommandLine;
using ChannelTape.Library.Configuration;

namespace ChannelTape.Cli;

/// <summary>
/// <c>ctape config check FILE</c>: reports every error as <c>FILE:LINE:COL: message</c> (by line) and exits 1,
/// or prints a summary and exits 0. <c>ctape config show [FILE]</c>: prints the effective configuration (the
/// embedded default without FILE) in the configuration language (docs/config.md).
/// </summary>
public static class ConfigCommand
{
    public static Command Create(CliContext context)
    {
        var config = new Command("config", "Check a configuration file or print the effective configuration (docs/config.md)");

        var check = new Command("check", "Report every error of a configuration as FILE:LINE:COL: message (exit 1), or summarise it");
        var checkFile = new Argument<string>("FILE") { Description = "The configuration file" };
        check.Arguments.Add(checkFile);
        check.SetAction(parse => Check(parse.GetValue(checkFile)!, context.Output, context.Error));

        var show = new Command("show", "Print the effective configuration: FILE's, or the embedded default that 'ctape serve' uses without --config");
        var showFile = new Argument<string?>("FILE") { Description = "The configuration file (default: the embedded default)", Arity = ArgumentArity.ZeroOrOne };
        show.Arguments.Add(showFile);
        show.SetAction(parse => Show(parse.GetValue(showFile), context.Output, context.Error));

        config.Subcommands.Add(check);
        config.Subcommands.Add(show);
        return config;
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

            return ExitCodes.Failure;
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
        return ExitCodes.Success;
    }

    private static string FormatDetail(ImageFormat format) =>
        format.Compression == HetCompression.None ? "" : $", {format.Compression.ToString().ToLowerInvariant()} level {format.Level}";

    private static int Show(string? path, TextWriter output, TextWriter error)
    {
        if (!ServeCommand.TryLoad(path, error, out var configuration))
        {
            return ExitCodes.Failure;
        }

        ConfigurationWriter.Write(configuration, output);
        return ExitCodes.Success;
    }
}
