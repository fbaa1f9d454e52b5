using ChannelTape.Fuzz;

// ctape-fuzz TARGET            run under afl-fuzz (SharpFuzz's out-of-process loop, stdin per input)
// ctape-fuzz TARGET FILE|DIR   run the inputs once each (the committed corpus, a crash afl found)
if (args.Length is < 1 or > 2 || !Targets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: ctape-fuzz {string.Join("|", Targets.All.Keys)} [FILE|DIR]");
    return 2;
}

if (args.Length == 2)
{
    var files = Directory.Exists(args[1]) ? Directory.GetFiles(args[1]).Order(StringComparer.Ordinal).ToArray() : [args[1]];
    foreach (var file in files)
    {
        target(File.ReadAllBytes(file));
    }

    Console.WriteLine($"ctape-fuzz {args[0]}: {files.Length} inputs, no finding");
    return 0;
}

SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
{
    using var memory = new MemoryStream();
    stream.CopyTo(memory);
    target(memory.ToArray());
});
return 0;
