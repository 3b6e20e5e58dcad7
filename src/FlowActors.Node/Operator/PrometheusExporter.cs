using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace FlowActors.Node.Operator;

/// <summary>
/// Listens to <see cref="System.Diagnostics.Metrics"/> instruments and renders them in the Prometheus text
/// exposition format (version 0.0.4). Counters become <c>_total</c> counters, up-down counters and gauges
/// become gauges, histograms become summaries with <c>_sum</c> and <c>_count</c>.
/// </summary>
/// <remarks>
/// Measurement callbacks run on the caller's thread (the receive path, actors), so recording takes no lock:
/// each instrument keeps an append-only array of series cells found by comparing tag values, and a cell is
/// updated with <see cref="Interlocked"/>. A lock is taken only to add a series the first time it is seen,
/// and by the scrape.
/// </remarks>
public sealed class PrometheusExporter : IDisposable
{
    /// <summary>Meters exported by the node: ours and the runtime's.</summary>
    public static readonly IReadOnlyList<string> DefaultMeterPrefixes = ["FlowActors", "System.Runtime"];

    /// <summary>Content type of the exposition format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Most series one instrument may hold; measurements with new tag sets beyond it are counted as dropped.</summary>
    public const int MaxSeriesPerInstrument = 2_000;

    private readonly MeterListener _listener = new();
    private readonly IReadOnlyList<string> _meterPrefixes;
    private readonly ConcurrentDictionary<Instrument, InstrumentState> _instruments = new();
    private readonly Lock _scrapeLock = new();
    private long _droppedSeries;

    /// <summary>Starts listening to every meter whose name starts with one of <paramref name="meterPrefixes"/>.</summary>
    public PrometheusExporter(IReadOnlyList<string> meterPrefixes)
    {
        _meterPrefixes = meterPrefixes;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!IsExported(instrument.Meter.Name)) return;
            var state = new InstrumentState(instrument, this);
            _instruments[instrument] = state;
            listener.EnableMeasurementEvents(instrument, state);
        };
        _listener.MeasurementsCompleted = (instrument, _) => _instruments.TryRemove(instrument, out InstrumentState? _);
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((InstrumentState)state!).Record(value, value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((InstrumentState)state!).Record(value, value, tags));
        _listener.SetMeasurementEventCallback<short>((_, value, tags, state) => ((InstrumentState)state!).Record(value, value, tags));
        _listener.SetMeasurementEventCallback<byte>((_, value, tags, state) => ((InstrumentState)state!).Record(value, value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((InstrumentState)state!).Record(0, value, tags));
        _listener.SetMeasurementEventCallback<float>((_, value, tags, state) => ((InstrumentState)state!).Record(0, value, tags));
        _listener.SetMeasurementEventCallback<decimal>((_, value, tags, state) => ((InstrumentState)state!).Record(0, (double)value, tags));
        _listener.Start();
    }

    /// <summary>Measurements dropped because an instrument already had <see cref="MaxSeriesPerInstrument"/> series.</summary>
    public long DroppedSeries => Interlocked.Read(ref _droppedSeries);

    private bool IsExported(string meterName)
    {
        foreach (var prefix in _meterPrefixes)
        {
            if (meterName.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return true;
        }

        return false;
    }

    /// <summary>Polls observable instruments and renders every series.</summary>
    public string Scrape()
    {
        var families = new SortedDictionary<string, Family>(StringComparer.Ordinal);
        lock (_scrapeLock)
        {
            foreach (var state in _instruments.Values)
            {
                if (state.IsObservable) state.MarkAllStale();
            }

            _listener.RecordObservableInstruments();
            foreach (var state in _instruments.Values)
            {
                state.CollectInto(families);
            }
        }

        var text = new StringBuilder(4096);
        foreach (var (name, family) in families)
        {
            if (family.Help.Length > 0)
            {
                text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(family.Help)).Append('\n');
            }

            text.Append("# TYPE ").Append(name).Append(' ').Append(family.Type).Append('\n');
            foreach (var (series, value) in family.Samples)
            {
                text.Append(series).Append(' ').Append(FormatValue(value)).Append('\n');
            }
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    /// <summary>Prometheus metric name for an instrument name and unit (<c>flowactors.receiver.datagrams</c> → <c>flowactors_receiver_datagrams</c>).</summary>
    internal static string MetricName(string instrumentName, string? unit)
    {
        var name = new StringBuilder(instrumentName.Length + 8);
        foreach (char c in instrumentName)
        {
            name.Append(char.IsAsciiLetterOrDigit(c) || c == '_' || c == ':' ? char.ToLowerInvariant(c) : '_');
        }

        if (name.Length == 0 || char.IsAsciiDigit(name[0])) name.Insert(0, '_');
        string suffix = unit switch
        {
            "s" => "_seconds",
            "ms" => "_milliseconds",
            "By" => "_bytes",
            _ => "",
        };
        if (suffix.Length > 0 && !name.ToString().EndsWith(suffix, StringComparison.Ordinal)) name.Append(suffix);
        return name.ToString();
    }

    private static string FormatValue(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : double.IsNaN(value) ? "NaN"
        : value.ToString("R", CultureInfo.InvariantCulture);

    private static string EscapeHelp(string help) => help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeLabel(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private sealed class Family(string type, string help)
    {
        public string Type { get; } = type;
        public string Help { get; } = help;
        public SortedDictionary<string, double> Samples { get; } = new(StringComparer.Ordinal);

        public void Add(string series, double value, bool sum)
        {
            // Two instruments rendering to the same series (e.g. one meter per actor system in a test process) are summed.
            Samples[series] = sum && Samples.TryGetValue(series, out double existing) ? existing + value : value;
        }
    }

    private enum Kind
    {
        Counter,
        UpDownCounter,
        Gauge,
        ObservableCounter,
        ObservableUpDownCounter,
        ObservableGauge,
        Histogram,
    }

    private sealed class Cell(KeyValuePair<string, object?>[] tags)
    {
        public readonly KeyValuePair<string, object?>[] Tags = tags;
        public long LongValue;
        public double DoubleValue;
        public long Count;
        public volatile bool Stale;

        public bool Matches(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length != Tags.Length) return false;
            for (int i = 0; i < tags.Length; i++)
            {
                bool found = false;
                for (int j = 0; j < Tags.Length; j++)
                {
                    if (string.Equals(tags[i].Key, Tags[j].Key, StringComparison.Ordinal) && Equals(tags[i].Value, Tags[j].Value))
                    {
                        found = true;
                        break;
                    }
                }

                if (!found) return false;
            }

            return true;
        }
    }

    private sealed class InstrumentState
    {
        private readonly Instrument _instrument;
        private readonly PrometheusExporter _owner;
        private readonly Kind _kind;
        private readonly bool _integral;
        private readonly Lock _addLock = new();
        private volatile Cell[] _cells = [];

        public InstrumentState(Instrument instrument, PrometheusExporter owner)
        {
            _instrument = instrument;
            _owner = owner;
            var type = instrument.GetType();
            string generic = type.IsGenericType ? type.GetGenericTypeDefinition().Name : type.Name;
            _kind = generic switch
            {
                "Counter`1" => Kind.Counter,
                "UpDownCounter`1" => Kind.UpDownCounter,
                "Gauge`1" => Kind.Gauge,
                "ObservableCounter`1" => Kind.ObservableCounter,
                "ObservableUpDownCounter`1" => Kind.ObservableUpDownCounter,
                "ObservableGauge`1" => Kind.ObservableGauge,
                _ => Kind.Histogram,
            };
            var arg = type.IsGenericType ? type.GetGenericArguments()[0] : typeof(double);
            _integral = arg == typeof(long) || arg == typeof(int) || arg == typeof(short) || arg == typeof(byte);
        }

        public bool IsObservable => _kind is Kind.ObservableCounter or Kind.ObservableUpDownCounter or Kind.ObservableGauge;

        public void Record(long longValue, double doubleValue, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var cell = Find(tags) ?? Add(tags);
            if (cell is null) return;
            switch (_kind)
            {
                case Kind.Counter:
                case Kind.UpDownCounter:
                    if (_integral) Interlocked.Add(ref cell.LongValue, longValue);
                    else AddDouble(ref cell.DoubleValue, doubleValue);
                    break;
                case Kind.Histogram:
                    Interlocked.Increment(ref cell.Count);
                    AddDouble(ref cell.DoubleValue, doubleValue);
                    break;
                default:
                    // Gauges and observable instruments report the current value (observable counters: the running total).
                    if (_integral) Interlocked.Exchange(ref cell.LongValue, longValue);
                    else Interlocked.Exchange(ref cell.DoubleValue, doubleValue);
                    cell.Stale = false;
                    break;
            }
        }

        public void MarkAllStale()
        {
            foreach (var cell in _cells) cell.Stale = true;
        }

        public void CollectInto(SortedDictionary<string, Family> families)
        {
            string baseName = MetricName(_instrument.Name, _instrument.Unit);
            string help = _instrument.Description ?? "";
            switch (_kind)
            {
                case Kind.Counter:
                case Kind.ObservableCounter:
                {
                    string name = baseName.EndsWith("_total", StringComparison.Ordinal) ? baseName : baseName + "_total";
                    var family = GetFamily(families, name, "counter", help);
                    foreach (var cell in _cells)
                    {
                        if (cell.Stale) continue;
                        family.Add(name + Labels(cell.Tags), Value(cell), sum: true);
                    }

                    break;
                }

                case Kind.Histogram:
                {
                    var family = GetFamily(families, baseName, "summary", help);
                    foreach (var cell in _cells)
                    {
                        string labels = Labels(cell.Tags);
                        family.Add(baseName + "_sum" + labels, Volatile.Read(ref cell.DoubleValue), sum: true);
                        family.Add(baseName + "_count" + labels, Interlocked.Read(ref cell.Count), sum: true);
                    }

                    break;
                }

                default:
                {
                    var family = GetFamily(families, baseName, "gauge", help);
                    foreach (var cell in _cells)
                    {
                        if (cell.Stale) continue;
                        family.Add(baseName + Labels(cell.Tags), Value(cell), sum: true);
                    }

                    break;
                }
            }
        }

        private double Value(Cell cell) => _integral ? Interlocked.Read(ref cell.LongValue) : Volatile.Read(ref cell.DoubleValue);

        private static Family GetFamily(SortedDictionary<string, Family> families, string name, string type, string help)
        {
            if (!families.TryGetValue(name, out var family))
            {
                family = new Family(type, help);
                families[name] = family;
            }

            return family;
        }

        private static string Labels(KeyValuePair<string, object?>[] tags)
        {
            if (tags.Length == 0) return "";
            var sorted = tags.OrderBy(t => t.Key, StringComparer.Ordinal);
            var text = new StringBuilder("{");
            bool first = true;
            foreach (var tag in sorted)
            {
                if (!first) text.Append(',');
                first = false;
                text.Append(MetricName(tag.Key, null)).Append("=\"")
                    .Append(EscapeLabel(Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? "")).Append('"');
            }

            return text.Append('}').ToString();
        }

        private Cell? Find(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var cell in _cells)
            {
                if (cell.Matches(tags)) return cell;
            }

            return null;
        }

        private Cell? Add(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            lock (_addLock)
            {
                var found = Find(tags);
                if (found is not null) return found;
                var cells = _cells;
                if (cells.Length >= MaxSeriesPerInstrument)
                {
                    Interlocked.Increment(ref _owner._droppedSeries);
                    return null;
                }

                var cell = new Cell(tags.ToArray());
                var grown = new Cell[cells.Length + 1];
                cells.CopyTo(grown, 0);
                grown[^1] = cell;
                _cells = grown;
                return cell;
            }
        }

        private static void AddDouble(ref double target, double value)
        {
            double current = Volatile.Read(ref target);
            while (true)
            {
                double seen = Interlocked.CompareExchange(ref target, current + value, current);
                if (seen.Equals(current)) return;
                current = seen;
            }
        }
    }
}
