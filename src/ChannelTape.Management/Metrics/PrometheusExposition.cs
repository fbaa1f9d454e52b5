using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace ChannelTape.Management.Metrics;

/// <summary>
/// Writes the instruments of one <see cref="Meter"/> in the Prometheus text format 0.0.4 (what
/// <c>/metrics</c> serves). A <see cref="MeterListener"/> takes only that meter's instruments (so servers in
/// one process, as in the tests, never mix), polls the observable ones when collected, and aggregates
/// histogram recordings into their advised buckets. Names: dots become underscores, counters end in
/// <c>_total</c>, a unit of bytes or seconds ends the name (<c>ctape_drive_read_bytes_total</c>,
/// <c>ctape_mount_duration_seconds</c>).
/// </summary>
public sealed class PrometheusExposition : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly Meter _meter;
    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private readonly List<Instrument> _instruments = [];
    private readonly Dictionary<Instrument, List<(double Value, string Labels)>> _samples = [];
    private readonly Dictionary<(Instrument Instrument, string Labels), HistogramState> _histograms = [];

    public PrometheusExposition(Meter meter)
    {
        _meter = meter;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, _meter))
            {
                lock (_lock)
                {
                    _instruments.Add(instrument);
                }

                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>Every instrument's current values, as Prometheus reads them.</summary>
    public string Collect()
    {
        lock (_lock)
        {
            _samples.Clear();
            _listener.RecordObservableInstruments();
            var text = new StringBuilder();
            foreach (var instrument in _instruments)
            {
                Write(text, instrument);
            }

            return text.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>The Prometheus name of <paramref name="instrument"/> (without the histogram's suffixes).</summary>
    public static string NameOf(Instrument instrument)
    {
        var name = instrument.Name.Replace('.', '_');
        var unit = instrument.Unit switch
        {
            "By" => "_bytes",
            "s" => "_seconds",
            _ => "",
        };
        if (unit.Length > 0 && !name.EndsWith(unit, StringComparison.Ordinal))
        {
            name += unit;
        }

        return IsCounter(instrument) ? name + "_total" : name;
    }

    private static bool IsCounter(Instrument instrument) =>
        instrument.GetType().Name.StartsWith("ObservableCounter", StringComparison.Ordinal) || instrument.GetType().Name.StartsWith("Counter", StringComparison.Ordinal);

    private static bool IsHistogram(Instrument instrument) => instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal);

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = Labels(tags);
        lock (_lock)
        {
            if (IsHistogram(instrument))
            {
                if (!_histograms.TryGetValue((instrument, labels), out var histogram))
                {
                    var bounds = (instrument as Histogram<double>)?.Advice?.HistogramBucketBoundaries ?? TapeMetrics.MountDurationBuckets;
                    histogram = new HistogramState([.. bounds]);
                    _histograms.Add((instrument, labels), histogram);
                }

                histogram.Record(value);
                return;
            }

            if (!_samples.TryGetValue(instrument, out var samples))
            {
                _samples[instrument] = samples = [];
            }

            samples.Add((value, labels));
        }
    }

    private void Write(StringBuilder text, Instrument instrument)
    {
        var name = NameOf(instrument);
        var type = IsHistogram(instrument) ? "histogram" : IsCounter(instrument) ? "counter" : "gauge";
        text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(instrument.Description ?? "")).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        if (IsHistogram(instrument))
        {
            foreach (var ((histogramInstrument, labels), histogram) in _histograms.OrderBy(h => h.Key.Labels, StringComparer.Ordinal))
            {
                if (histogramInstrument == instrument)
                {
                    histogram.Write(text, name, labels);
                }
            }

            return;
        }

        if (_samples.TryGetValue(instrument, out var samples))
        {
            foreach (var (value, labels) in samples)
            {
                text.Append(name).Append(labels.Length == 0 ? "" : "{" + labels + "}").Append(' ').Append(Number(value)).Append('\n');
            }
        }
    }

    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.Length == 0)
        {
            return "";
        }

        var text = new StringBuilder();
        foreach (var tag in tags)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }

            text.Append(tag.Key).Append("=\"").Append(EscapeLabel(Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "")).Append('"');
        }

        return text.ToString();
    }

    internal static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static string EscapeLabel(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeHelp(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>One histogram series: cumulative bucket counts, sum and count.</summary>
    private sealed class HistogramState(double[] bounds)
    {
        private readonly long[] _counts = new long[bounds.Length + 1];
        private double _sum;
        private long _count;

        public void Record(double value)
        {
            var bucket = Array.FindIndex(bounds, b => value <= b);
            _counts[bucket < 0 ? bounds.Length : bucket]++;
            _sum += value;
            _count++;
        }

        public void Write(StringBuilder text, string name, string labels)
        {
            var prefix = labels.Length == 0 ? "" : labels + ",";
            long cumulative = 0;
            for (int i = 0; i <= bounds.Length; i++)
            {
                cumulative += _counts[i];
                var le = i < bounds.Length ? Number(bounds[i]) : "+Inf";
                text.Append(name).Append("_bucket{").Append(prefix).Append("le=\"").Append(le).Append("\"} ").Append(cumulative).Append('\n');
            }

            var braces = labels.Length == 0 ? "" : "{" + labels + "}";
            text.Append(name).Append("_sum").Append(braces).Append(' ').Append(Number(_sum)).Append('\n');
            text.Append(name).Append("_count").Append(braces).Append(' ').Append(_count).Append('\n');
        }
    }
}
