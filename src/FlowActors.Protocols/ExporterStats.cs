namespace FlowActors.Protocols;

/// <summary>Counters for one exporter, kept by <see cref="FlowDecoder"/>.</summary>
/// <remarks>Plain fields updated by the one thread that owns the decoder; readers on other threads may see slightly stale values.</remarks>
public sealed class ExporterStats : ILruNode<ExporterStats>
{
    private static readonly int ErrorKinds = Enum.GetValues<DecodeError>().Length;
    private readonly long[] _errors = new long[ErrorKinds];

    internal ExporterStats(FlowAddress exporter) => Exporter = exporter;

    private LruLinks<ExporterStats> _lru;

    ref LruLinks<ExporterStats> ILruNode<ExporterStats>.Links(int list) => ref _lru;

    /// <summary>The exporter.</summary>
    public FlowAddress Exporter { get; }

    /// <summary>Datagrams decoded (or attempted).</summary>
    public long Datagrams { get; internal set; }

    /// <summary>Flow records produced (released held data included).</summary>
    public long Records { get; internal set; }

    /// <summary>Datagrams that ended with an error (any kind).</summary>
    public long ErrorDatagrams { get; internal set; }

    /// <summary>Templates and options templates learnt or replaced.</summary>
    public long TemplatesLearned { get; internal set; }

    /// <summary>Data sets held because their template had not arrived.</summary>
    public long Held { get; internal set; }

    /// <summary>Records decoded from held data once the template arrived.</summary>
    public long Released { get; internal set; }

    /// <summary>Data sets that could not be decoded: no template and no room to hold them.</summary>
    public long Undecodable { get; internal set; }

    /// <summary>Held data sets whose template never came (dropped by age).</summary>
    public long HeldExpired { get; internal set; }

    /// <summary>Last time a datagram from this exporter was seen (decoder's receive clock, Unix ms).</summary>
    public long LastSeenMs { get; internal set; }

    /// <summary>Datagrams whose first error was <paramref name="kind"/>.</summary>
    public long Errors(DecodeError kind) => (uint)kind < (uint)_errors.Length ? _errors[(int)kind] : 0;

    internal void CountError(DecodeError kind)
    {
        if ((uint)kind < (uint)_errors.Length) _errors[(int)kind]++;
        ErrorDatagrams++;
    }
}

/// <summary>Per-exporter counters, bounded: beyond <see cref="MaxExporters"/> the least recently seen exporter is evicted.</summary>
public sealed class ExporterStatsRegistry
{
    // O(1) eviction of the least recently seen exporter: a flood of spoofed sources costs no scans.
    private readonly LruTable<FlowAddress, ExporterStats> _exporters;

    internal ExporterStatsRegistry(int maxExporters) =>
        _exporters = new LruTable<FlowAddress, ExporterStats>(maxExporters, static a => new ExporterStats(a), static s => s.Exporter);

    /// <summary>Most exporters tracked.</summary>
    public int MaxExporters => _exporters.MaxCount;

    /// <summary>Exporters tracked.</summary>
    public int Count => _exporters.Count;

    /// <summary>Exporters evicted to stay within <see cref="MaxExporters"/>.</summary>
    public long Evicted => _exporters.Evicted;

    /// <summary>The counters of one exporter, or null when it has not been seen (or was evicted).</summary>
    public ExporterStats? Get(FlowAddress exporter) => _exporters.TryGet(exporter, out var s) ? s : null;

    /// <summary>A copy of all counters (allocates; for operators and tests).</summary>
    public IReadOnlyList<ExporterStats> Snapshot() => new List<ExporterStats>(_exporters.Items.Values);

    internal ExporterStats For(FlowAddress exporter, long nowMs)
    {
        var s = _exporters.GetOrAdd(exporter, out _);
        s.LastSeenMs = nowMs;
        return s;
    }
}
