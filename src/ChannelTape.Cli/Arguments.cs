namespace ChannelTape.Cli;

/// <summary>
/// Minimal option reader: <c>--name value</c>, <c>--name=value</c>, <c>--flag</c> and positional words.
/// Unknown options are a <see cref="UsageException"/>.
/// </summary>
public sealed class Arguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];

    /// <param name="args">The words after the command name.</param>
    /// <param name="valueOptions">Options that take a value (e.g. "--server").</param>
    /// <param name="flagOptions">Options without a value (e.g. "--json").</param>
    public Arguments(IReadOnlyList<string> args, IEnumerable<string> valueOptions, IEnumerable<string>? flagOptions = null)
    {
        var takesValue = new HashSet<string>(valueOptions, StringComparer.Ordinal);
        var flags = new HashSet<string>(flagOptions ?? [], StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var word = args[i];
            if (!word.StartsWith("--", StringComparison.Ordinal) || word == "--")
            {
                _positional.Add(word);
                continue;
            }

            var eq = word.IndexOf('=');
            var name = eq < 0 ? word : word[..eq];
            if (takesValue.Contains(name))
            {
                if (eq >= 0)
                {
                    _options[name] = word[(eq + 1)..];
                }
                else if (i + 1 < args.Count)
                {
                    _options[name] = args[++i];
                }
                else
                {
                    throw new UsageException($"{name} needs a value");
                }
            }
            else if (flags.Contains(name) && eq < 0)
            {
                _options[name] = null;
            }
            else
            {
                throw new UsageException($"unknown option '{word}'");
            }
        }
    }

    public IReadOnlyList<string> Positional => _positional;

    public bool Has(string name) => _options.ContainsKey(name);

    public string? Get(string name) => _options.TryGetValue(name, out var value) ? value : null;
}
