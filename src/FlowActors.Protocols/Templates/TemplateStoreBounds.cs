namespace FlowActors.Protocols.Templates;

/// <summary>What <see cref="TemplateStoreBounds.Admit"/> decided.</summary>
public enum TemplateAdmission : byte
{
    /// <summary>Already held: its refresh time was updated.</summary>
    Refreshed,
    /// <summary>Added, with room to spare.</summary>
    Added,
    /// <summary>Added after evicting another template (see the <c>evicted</c> output).</summary>
    AddedWithEviction,
    /// <summary>Refused: the store is full and the exporter already holds its fair share.</summary>
    Refused,
}

/// <summary>
/// The bounds of a replicated template store (the cluster's DistributedData map), kept apart from the actor that
/// owns it: per-exporter quotas, a total that no exporter can starve others of, and an age limit.
/// </summary>
/// <remarks>
/// <para>An exporter at its quota replaces its own least recently refreshed template. When the store is full, the
/// exporter holding the most templates gives up its least recently refreshed one, as long as it holds more than
/// the newcomer; otherwise the newcomer is refused. Templates not refreshed within the age limit are pruned
/// (<see cref="TakeExpired"/>).</para>
/// <para>Eviction scans one exporter's entries or the exporters (not per datagram: only when a template is new and
/// a bound is reached). Not thread-safe.</para>
/// </remarks>
public sealed class TemplateStoreBounds
{
    private readonly Dictionary<TemplateKey, long> _refreshed = new();
    private readonly Dictionary<FlowAddress, int> _perExporter = new();

    /// <summary>Creates the bounds.</summary>
    /// <param name="maxTotal">Most templates in the store.</param>
    /// <param name="maxPerExporter">Most templates of one exporter.</param>
    /// <param name="maxAge">Templates not refreshed for this long are pruned.</param>
    public TemplateStoreBounds(int maxTotal, int maxPerExporter, TimeSpan maxAge)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTotal, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPerExporter, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxAge, TimeSpan.Zero);
        MaxTotal = maxTotal;
        MaxPerExporter = Math.Min(maxPerExporter, maxTotal);
        MaxAgeMs = (long)maxAge.TotalMilliseconds;
    }

    /// <summary>Most templates in the store.</summary>
    public int MaxTotal { get; }

    /// <summary>Most templates of one exporter.</summary>
    public int MaxPerExporter { get; }

    /// <summary>Age limit, ms.</summary>
    public long MaxAgeMs { get; }

    /// <summary>Templates held.</summary>
    public int Count => _refreshed.Count;

    /// <summary>Templates refused (cumulative).</summary>
    public long Refused { get; private set; }

    /// <summary>Templates evicted to make room (cumulative).</summary>
    public long Evicted { get; private set; }

    /// <summary>Templates pruned by age (cumulative).</summary>
    public long Expired { get; private set; }

    /// <summary>Templates held for <paramref name="exporter"/>.</summary>
    public int CountFor(FlowAddress exporter) => _perExporter.GetValueOrDefault(exporter);

    /// <summary>True when <paramref name="key"/> is held.</summary>
    public bool Contains(in TemplateKey key) => _refreshed.ContainsKey(key);

    /// <summary>When <paramref name="key"/> was last refreshed, or null when not held.</summary>
    public long? RefreshedAt(in TemplateKey key) => _refreshed.TryGetValue(key, out long t) ? t : null;

    /// <summary>True when a template refreshed at <paramref name="refreshedMs"/> is too old at <paramref name="nowMs"/>.</summary>
    public bool IsStale(long refreshedMs, long nowMs) => nowMs - refreshedMs > MaxAgeMs;

    /// <summary>Admits or refreshes <paramref name="key"/>; <paramref name="evicted"/> names the template that gave way, if any.</summary>
    public TemplateAdmission Admit(in TemplateKey key, long refreshedMs, out TemplateKey evicted)
    {
        evicted = default;
        if (_refreshed.TryGetValue(key, out long old))
        {
            _refreshed[key] = Math.Max(old, refreshedMs);
            return TemplateAdmission.Refreshed;
        }

        int own = CountFor(key.Exporter);
        bool evictedOne = false;
        if (own >= MaxPerExporter)
        {
            evicted = OldestOf(key.Exporter);
            evictedOne = true;
        }
        else if (_refreshed.Count >= MaxTotal)
        {
            FlowAddress largest = default;
            int most = -1;
            foreach (var (exporter, n) in _perExporter)
            {
                if (n > most) { most = n; largest = exporter; }
            }

            if (most <= own + 1)
            {
                Refused++;
                return TemplateAdmission.Refused;
            }

            evicted = OldestOf(largest);
            evictedOne = true;
        }

        if (evictedOne)
        {
            Remove(evicted);
            Evicted++;
        }

        _refreshed[key] = refreshedMs;
        _perExporter[key.Exporter] = CountFor(key.Exporter) + 1;
        return evictedOne ? TemplateAdmission.AddedWithEviction : TemplateAdmission.Added;
    }

    /// <summary>Forgets <paramref name="key"/>.</summary>
    public bool Remove(in TemplateKey key)
    {
        if (!_refreshed.Remove(key)) return false;
        int n = CountFor(key.Exporter) - 1;
        if (n <= 0) _perExporter.Remove(key.Exporter);
        else _perExporter[key.Exporter] = n;
        return true;
    }

    /// <summary>Removes and returns the templates not refreshed within the age limit at <paramref name="nowMs"/>.</summary>
    public List<TemplateKey> TakeExpired(long nowMs)
    {
        var list = new List<TemplateKey>();
        foreach (var (k, t) in _refreshed)
        {
            if (IsStale(t, nowMs)) list.Add(k);
        }

        foreach (var k in list) Remove(k);
        Expired += list.Count;
        return list;
    }

    private TemplateKey OldestOf(FlowAddress exporter)
    {
        TemplateKey oldest = default;
        long at = long.MaxValue;
        foreach (var (k, t) in _refreshed)
        {
            if (t < at && k.Exporter == exporter) { at = t; oldest = k; }
        }

        return oldest;
    }
}
