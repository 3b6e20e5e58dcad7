using System.Diagnostics.CodeAnalysis;

namespace FlowActors.Protocols.Templates;

/// <summary>What the cache knows about one template (for operators, tests and replication to other nodes).</summary>
/// <param name="Key">Exporter, version, domain and template id.</param>
/// <param name="IsOptions">True for an options template.</param>
/// <param name="FieldCount">Fields in the template, scope fields included.</param>
/// <param name="ScopeFieldCount">Scope fields (options templates).</param>
/// <param name="RecordLength">Record length in bytes (the minimum when <paramref name="HasVariableLength"/>).</param>
/// <param name="HasVariableLength">True when the template has IPFIX variable-length fields.</param>
/// <param name="LastSeenMs">When the exporter last sent it (the decoder's receive clock).</param>
/// <param name="Definition">The field specifiers as received; feed them to <see cref="TemplateCache.Import"/> on another node.</param>
public readonly record struct TemplateInfo(
    TemplateKey Key,
    bool IsOptions,
    int FieldCount,
    int ScopeFieldCount,
    int RecordLength,
    bool HasVariableLength,
    long LastSeenMs,
    ReadOnlyMemory<byte> Definition);

/// <summary>
/// Templates per (exporter, version, domain, template id), compiled into field plans. Bounded per exporter and in
/// total; a redefinition replaces the old plan, a refresh with the same definition only renews it; templates not
/// refreshed within the configured age are expired by <see cref="FlowDecoder.ExpireTemplates"/>.
/// </summary>
/// <remarks>Not thread-safe: owned by one <see cref="FlowDecoder"/>, which is used by one receiver at a time.</remarks>
public sealed class TemplateCache
{
    private readonly Dictionary<TemplateKey, FieldPlan> _plans = new();
    private readonly Dictionary<FlowAddress, int> _perExporter = new();
    private readonly List<TemplateKey> _scratch = new();

    internal TemplateCache(int maxPerExporter, int maxTotal, int maxFields)
    {
        MaxPerExporter = maxPerExporter;
        MaxTotal = maxTotal;
        MaxFieldsPerTemplate = maxFields;
    }

    /// <summary>Most fields accepted in one template; more is treated as a malformed template.</summary>
    public int MaxFieldsPerTemplate { get; }

    /// <summary>Most templates kept for one exporter.</summary>
    public int MaxPerExporter { get; }

    /// <summary>Most templates kept in total.</summary>
    public int MaxTotal { get; }

    /// <summary>Templates held.</summary>
    public int Count => _plans.Count;

    /// <summary>Templates learnt for the first time (cumulative).</summary>
    public long Learned { get; private set; }

    /// <summary>Templates redefined with a different layout (cumulative).</summary>
    public long Replaced { get; private set; }

    /// <summary>Template refreshes with an unchanged layout (cumulative).</summary>
    public long Refreshed { get; private set; }

    /// <summary>Templates withdrawn by the exporter (IPFIX template withdrawal, RFC 7011 §8.1).</summary>
    public long Withdrawn { get; private set; }

    /// <summary>Templates dropped because they were not refreshed in time.</summary>
    public long Expired { get; private set; }

    /// <summary>Templates refused because a per-exporter or total limit was reached.</summary>
    public long Rejected { get; private set; }

    /// <summary>Templates held for <paramref name="exporter"/>.</summary>
    public int CountFor(FlowAddress exporter) => _perExporter.TryGetValue(exporter, out int n) ? n : 0;

    /// <summary>True when the template is known.</summary>
    public bool Contains(in TemplateKey key) => _plans.ContainsKey(key);

    /// <summary>A copy of what is cached (allocates; for operators and tests).</summary>
    public IReadOnlyList<TemplateInfo> Snapshot()
    {
        var list = new List<TemplateInfo>(_plans.Count);
        foreach (var p in _plans.Values)
        {
            list.Add(new TemplateInfo(p.Key, p.IsOptions, p.FieldCount, p.ScopeFieldCount, p.RecordLength, p.HasVariableLength, p.LastSeenMs, p.Definition));
        }

        return list;
    }

    /// <summary>
    /// Adds a template learnt elsewhere (e.g. replicated from another node's <see cref="Snapshot"/>).
    /// Subject to the same checks and limits as templates read from datagrams.
    /// </summary>
    /// <returns><see cref="DecodeError.None"/>, <see cref="DecodeError.BadTemplate"/> or <see cref="DecodeError.TemplateLimit"/>.</returns>
    public DecodeError Import(in TemplateKey key, bool isOptions, int fieldCount, int scopeFieldCount, ReadOnlySpan<byte> definition, long nowMs)
    {
        if (key.Version is not (9 or 10) || key.TemplateId < 256) return DecodeError.BadTemplate;
        if (FieldPlan.MeasureSpecifiers(key.Version, definition, fieldCount) != definition.Length) return DecodeError.BadTemplate;
        return Learn(key, isOptions, scopeFieldCount, fieldCount, definition, nowMs, out _, out _);
    }

    internal bool TryGet(in TemplateKey key, [NotNullWhen(true)] out FieldPlan? plan) => _plans.TryGetValue(key, out plan);

    /// <summary>Learns, replaces or refreshes a template; <c>changed</c> is true when the plan is new or replaced (held data may now decode).</summary>
    internal DecodeError Learn(in TemplateKey key, bool isOptions, int scopeFieldCount, int fieldCount, ReadOnlySpan<byte> specs, long nowMs, out FieldPlan? plan, out bool changed)
    {
        changed = false;
        plan = null;
        if (fieldCount > MaxFieldsPerTemplate) return DecodeError.BadTemplate;
        if (_plans.TryGetValue(key, out var existing) && existing.FieldCount == fieldCount && existing.SameDefinition(isOptions, scopeFieldCount, specs))
        {
            existing.LastSeenMs = nowMs;
            Refreshed++;
            plan = existing;
            return DecodeError.None;
        }

        var error = FieldPlan.TryBuild(key, isOptions, scopeFieldCount, fieldCount, specs, out plan);
        if (error != DecodeError.None) return error;
        plan!.LastSeenMs = nowMs;

        if (existing is not null)
        {
            _plans[key] = plan;
            Replaced++;
            changed = true;
            return DecodeError.None;
        }

        int forExporter = CountFor(key.Exporter);
        if (_plans.Count >= MaxTotal || forExporter >= MaxPerExporter)
        {
            Rejected++;
            plan = null;
            return DecodeError.TemplateLimit;
        }

        _plans[key] = plan;
        _perExporter[key.Exporter] = forExporter + 1;
        Learned++;
        changed = true;
        return DecodeError.None;
    }

    /// <summary>Removes one template (RFC 7011 §8.1 withdrawal).</summary>
    internal bool Withdraw(in TemplateKey key)
    {
        if (!Remove(key)) return false;
        Withdrawn++;
        return true;
    }

    /// <summary>Removes every template (or every options template) of one exporter domain (RFC 7011 §8.1 withdraw-all).</summary>
    internal int WithdrawAll(FlowAddress exporter, ushort version, uint domain, bool options)
    {
        _scratch.Clear();
        foreach (var (k, p) in _plans)
        {
            if (p.IsOptions == options && k.IsInDomain(exporter, version, domain)) _scratch.Add(k);
        }

        foreach (var k in _scratch) Remove(k);
        Withdrawn += _scratch.Count;
        return _scratch.Count;
    }

    /// <summary>Drops templates last seen before <paramref name="cutoffMs"/>.</summary>
    internal int Expire(long cutoffMs)
    {
        _scratch.Clear();
        foreach (var (k, p) in _plans)
        {
            if (p.LastSeenMs < cutoffMs) _scratch.Add(k);
        }

        foreach (var k in _scratch) Remove(k);
        Expired += _scratch.Count;
        return _scratch.Count;
    }

    private bool Remove(in TemplateKey key)
    {
        if (!_plans.Remove(key)) return false;
        int n = CountFor(key.Exporter) - 1;
        if (n <= 0) _perExporter.Remove(key.Exporter);
        else _perExporter[key.Exporter] = n;
        return true;
    }
}
