namespace FlowActors.Protocols;

/// <summary>What was refused from one sender outside the exporter allowlist.</summary>
/// <param name="Exporter">The datagrams' source address.</param>
/// <param name="Datagrams">Datagrams refused from it.</param>
/// <param name="LastSeenMs">When the last one came (caller's clock, Unix ms).</param>
public readonly record struct RefusedExporter(FlowAddress Exporter, long Datagrams, long LastSeenMs);

/// <summary>
/// Counts datagrams refused by the exporter allowlist, per source address, so operators see who is sending
/// (<c>flowctl exporters list</c>). Bounded: beyond <see cref="MaxEntries"/> sources, refusals from new ones are
/// only counted in <see cref="Untracked"/> (a spoofed flood cannot grow it or evict the sources already listed).
/// </summary>
/// <remarks>Not thread-safe: one receive loop owns it. Allocates only when a new source is listed.</remarks>
public sealed class RefusedExporterTable
{
    private readonly Dictionary<FlowAddress, Entry> _entries = new();

    /// <summary>Creates a table.</summary>
    /// <param name="maxEntries">Most sources listed one by one.</param>
    public RefusedExporterTable(int maxEntries = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        MaxEntries = maxEntries;
    }

    /// <summary>Most sources listed one by one.</summary>
    public int MaxEntries { get; }

    /// <summary>Sources listed.</summary>
    public int Count => _entries.Count;

    /// <summary>Refused datagrams in total.</summary>
    public long Total { get; private set; }

    /// <summary>Refused datagrams from sources not listed because the table was full.</summary>
    public long Untracked { get; private set; }

    /// <summary>Counts one refused datagram from <paramref name="exporter"/>.</summary>
    public void Refuse(FlowAddress exporter, long nowMs)
    {
        Total++;
        if (_entries.TryGetValue(exporter, out var e))
        {
            e.Datagrams++;
            e.LastSeenMs = nowMs;
            return;
        }

        if (_entries.Count >= MaxEntries)
        {
            Untracked++;
            return;
        }

        _entries[exporter] = new Entry { Datagrams = 1, LastSeenMs = nowMs };
    }

    /// <summary>A copy of the listed sources (allocates; for operators).</summary>
    public RefusedExporter[] Snapshot()
    {
        var list = new RefusedExporter[_entries.Count];
        int i = 0;
        foreach (var (k, e) in _entries) list[i++] = new RefusedExporter(k, e.Datagrams, e.LastSeenMs);
        return list;
    }

    private sealed class Entry
    {
        public long Datagrams;
        public long LastSeenMs;
    }
}
