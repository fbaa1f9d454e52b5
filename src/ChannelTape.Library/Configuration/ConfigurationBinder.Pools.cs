using System.Globalization;
using System.Net;
using ChannelTape.Device;
using ChannelTape.Labels;

namespace ChannelTape.Library.Configuration;

/// <summary>Pool statements: volume ranges, capacity, media and label types, overlapping ranges.</summary>
internal sealed partial class ConfigurationBinder
{
    private sealed class PoolDraft(PoolConfiguration configuration, SourceFile file, int offset, int mediaOffset)
    {
        public PoolConfiguration Configuration { get; } = configuration;
        public SourceFile File { get; } = file;
        public int Offset { get; } = offset;
        public int MediaOffset { get; } = mediaOffset;
    }

    private void BindPool(SourceFile file, PoolStatement statement)
    {
        var name = statement.Name.Value;
        if (name.Length > MaxPoolNameLength)
        {
            Error(file, statement.Name.Offset, $"pool name '{name}' is longer than {MaxPoolNameLength} characters");
        }

        var existing = _poolsByName.GetValueOrDefault(name);
        if (existing is not null)
        {
            Error(file, statement.Name.Offset, $"pool {name} is already defined at {existing.File.Describe(existing.Offset)}");
        }

        var ranges = new List<(VolumeRange Range, int Offset)>();
        var (media, capacity, labels, scratch, sync) = CheckPoolBlock(file, $"pool {name}", statement.Properties, ranges);
        var effectiveMedia = media?.Media ?? MediaType.Eccst;
        var draft = new PoolDraft(
            new PoolConfiguration(
                name,
                new ValueList<VolumeRange>(ranges.Select(r => r.Range)),
                effectiveMedia,
                capacity ?? MediaTypes.DefaultCapacity(effectiveMedia),
                labels ?? LabelType.Standard,
                scratch ?? true) { Sync = sync ?? SyncPoint.TapeMark },
            file,
            statement.Name.Offset,
            media?.Offset ?? statement.Name.Offset);
        if (existing is null)
        {
            _pools.Add(draft);
            _poolsByName.Add(name, draft);
        }

        foreach (var (range, offset) in ranges)
        {
            _ranges.Add((range, draft, file, offset));
        }
    }

    /// <summary>
    /// Checks a pool's block (every value, each property once) and adds its volume ranges to
    /// <paramref name="ranges"/>: for a pool statement, and for one whose header did not parse, so the
    /// errors inside its block are reported too.
    /// </summary>
    private (MediaProperty? Media, long? Capacity, LabelType? Labels, bool? Scratch, SyncPoint? Sync) CheckPoolBlock(
        SourceFile file, string what, IReadOnlyList<PropertySyntax> properties, List<(VolumeRange Range, int Offset)> ranges)
    {
        MediaProperty? media = null;
        long? capacity = null;
        LabelType? labels = null;
        bool? scratch = null;
        SyncPoint? sync = null;
        var seen = new Dictionary<string, int>();
        foreach (var property in properties)
        {
            if (property is VolumesProperty volumes)
            {
                foreach (var item in volumes.Ranges)
                {
                    if (TryBindVolumeRange(file, item, out var range))
                    {
                        ranges.Add((range, item.First.Offset));
                    }
                }

                continue;
            }

            if (!FirstProperty(seen, file, property, what))
            {
                continue;
            }

            switch (property)
            {
                case MediaProperty m:
                    media = m;
                    break;
                case CapacityProperty c:
                    capacity = BindCapacity(file, c.Size);
                    break;
                case LabelsProperty l:
                    labels = l.Labels;
                    break;
                case StatusProperty s:
                    scratch = s.Scratch;
                    break;
                case SyncProperty s:
                    sync = s.Sync;
                    break;
            }
        }

        return (media, capacity, labels, scratch, sync);
    }

    private bool TryBindVolumeRange(SourceFile file, VolumeRangeSyntax syntax, out VolumeRange range)
    {
        range = null!;
        if (!TryBindSerial(file, syntax.First, out var first))
        {
            return false;
        }

        var last = first;
        if (syntax.Last is { } lastText && !TryBindSerial(file, lastText, out last))
        {
            return false;
        }

        if (!VolumeRange.TryCreate(first, last, out var created, out var error))
        {
            Error(file, syntax.First.Offset, error!);
            return false;
        }

        range = created!;
        return true;
    }

    private bool TryBindSerial(SourceFile file, Located<string> text, out VolumeSerial serial)
    {
        // Configuration serials are exact: no blank padding.
        if (text.Value.EndsWith(' '))
        {
            Error(file, text.Offset + text.Value.TrimEnd(' ').Length, $"volume serial '{text.Value}' ends with blanks");
            serial = default;
            return false;
        }

        if (VolumeSerial.TryParse(text.Value, out serial, out var error, out var index))
        {
            return true;
        }

        Error(file, text.Offset + index, error!);
        return false;
    }

    private long? BindCapacity(SourceFile file, Located<string> size)
    {
        if (!ByteSize.TryParse(size.Value, out var bytes, out var error))
        {
            Error(file, size.Offset, error!);
            return null;
        }

        if (bytes == 0)
        {
            Error(file, size.Offset, "capacity must be more than 0");
            return null;
        }

        return bytes;
    }

    /// <summary>
    /// Every range against the earlier ones it could share a serial with, reported once at the later range.
    /// A range's serials lie between its first and last serial in text order, so only ranges whose
    /// text intervals meet need the exact check: sorted by first serial, a sweep keeps the ranges still
    /// open, and 64,000 pools are checked in well under a second instead of pairwise.
    /// </summary>
    private void CheckOverlappingRanges()
    {
        var order = Enumerable.Range(0, _ranges.Count)
            .OrderBy(i => _ranges[i].Range.First.Value, StringComparer.Ordinal)
            .ThenBy(i => i)
            .ToList();
        var open = new List<int>();
        var overlapping = new SortedDictionary<int, int>();
        foreach (var i in order)
        {
            var range = _ranges[i].Range;
            open.RemoveAll(j => string.CompareOrdinal(_ranges[j].Range.Last.Value, range.First.Value) < 0);
            foreach (var j in open)
            {
                if (range.Overlaps(_ranges[j].Range))
                {
                    // Reported at the later of the two, against the earliest it meets.
                    var (later, earlier) = i > j ? (i, j) : (j, i);
                    if (!overlapping.TryGetValue(later, out var known) || earlier < known)
                    {
                        overlapping[later] = earlier;
                    }
                }
            }

            open.Add(i);
        }

        foreach (var (later, earlier) in overlapping)
        {
            var (range, _, file, offset) = _ranges[later];
            var (other, otherPool, otherFile, otherOffset) = _ranges[earlier];
            Error(file, offset, $"volumes {range} overlap {other} of pool {otherPool.Configuration.Name} at {otherFile.Describe(otherOffset)}");
        }
    }
}
