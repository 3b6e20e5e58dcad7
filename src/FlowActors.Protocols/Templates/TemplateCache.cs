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

/// <summary>One exporter's templates in a <see cref="TemplateCache"/>: how many, whether its data has decoded, and their LRU order.</summary>
internal sealed class ExporterTemplates(FlowAddress exporter)
{
    public readonly FlowAddress Exporter = exporter;
    public int Count;

    /// <summary>True once data from this exporter decoded with one of its templates: it is then protected from newcomers.</summary>
    public bool Proven;

    /// <summary>The exporter's templates, least recently used first.</summary>
    public readonly LruList<FieldPlan> Templates = new(FieldPlan.OwnerList);
}

/// <summary>
/// Templates per (exporter, version, domain, template id), compiled into field plans. A redefinition replaces the
/// old plan, a refresh with the same definition only renews it; templates not refreshed within the configured age
/// are expired by <see cref="FlowDecoder.ExpireTemplates"/>.
/// </summary>
/// <remarks>
/// <para>Bounded so that no sender can starve another (spoofed sources flooding valid templates):</para>
/// <list type="bullet">
/// <item>an exporter at its quota (<see cref="MaxPerExporter"/>) makes room by evicting its own least recently
/// used template;</item>
/// <item>when the whole table is full, the least recently <em>used</em> (decoded against, else learnt) template of
/// an exporter whose data never decoded is evicted first;</item>
/// <item>an exporter whose data has decoded with its templates ("proven") is protected from exporters that only
/// send templates: when only proven templates are left, a newcomer's template is refused, while a proven exporter
/// takes the least recently used template of the exporter holding the most (its fair share).</item>
/// </list>
/// <para>Every eviction and refusal is counted (<see cref="Evicted"/>, <see cref="QuotaEvicted"/>,
/// <see cref="Rejected"/>). All operations are O(1) except fair-share eviction among proven exporters, which scans
/// the exporters once (only when the table is full of decodable templates).</para>
/// <para>Not thread-safe: owned by one <see cref="FlowDecoder"/>, which is used by one receiver at a time.</para>
/// </remarks>
public sealed class TemplateCache
{
    private readonly Dictionary<TemplateKey, FieldPlan> _plans = new();
    private readonly Dictionary<FlowAddress, ExporterTemplates> _owners = new();
    private readonly List<TemplateKey> _scratch = new();
    // One LRU order per trust tier over the templates of its exporters (proven or not).
    private readonly LruList<FieldPlan> _unproven = new(FieldPlan.TierList);
    private readonly LruList<FieldPlan> _proven = new(FieldPlan.TierList);

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

    /// <summary>Templates refused: the table was full of templates of exporters whose data decodes, and the sender's never had.</summary>
    public long Rejected { get; private set; }

    /// <summary>Templates evicted because the table was full, to make room for another exporter's.</summary>
    public long Evicted { get; private set; }

    /// <summary>Templates an exporter evicted from its own share because it reached <see cref="MaxPerExporter"/>.</summary>
    public long QuotaEvicted { get; private set; }

    /// <summary>Exporters whose data has decoded with their templates (protected from newcomers).</summary>
    public int ProvenExporters { get; private set; }

    /// <summary>Times an exporter became proven (cumulative; a change tells a caller to replicate that exporter's templates).</summary>
    public long Proofs { get; private set; }

    /// <summary>Templates held for <paramref name="exporter"/>.</summary>
    public int CountFor(FlowAddress exporter) => _owners.TryGetValue(exporter, out var o) ? o.Count : 0;

    /// <summary>True when data from <paramref name="exporter"/> has decoded with one of its cached templates.</summary>
    public bool IsProven(FlowAddress exporter) => _owners.TryGetValue(exporter, out var o) && o.Proven;

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

    /// <summary>
    /// Notes that data decoded with <paramref name="plan"/>: it becomes the exporter's most recently used template,
    /// and the exporter is proven (its templates are protected from exporters that only send templates).
    /// </summary>
    internal void MarkUsed(FieldPlan plan)
    {
        var owner = plan.Owner;
        if (owner is null) return;
        if (!owner.Proven) Prove(owner);
        owner.Templates.Touch(plan, isNew: false);
        _proven.Touch(plan, isNew: false);
    }

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
            var owner = existing.Owner!;
            Detach(existing);
            Attach(owner, plan);
            _plans[key] = plan;
            Replaced++;
            changed = true;
            return DecodeError.None;
        }

        if (!_owners.TryGetValue(key.Exporter, out var learner)) learner = new ExporterTemplates(key.Exporter);

        if (learner.Count >= MaxPerExporter)
        {
            // The exporter's own quota: it makes room in its own share, never in anyone else's.
            RemoveKey(learner.Templates.Oldest!.Key);
            QuotaEvicted++;
        }
        else if (_plans.Count >= MaxTotal)
        {
            var victim = ChooseVictim(learner);
            if (victim is null)
            {
                Rejected++;
                plan = null;
                return DecodeError.TemplateLimit;
            }

            RemoveKey(victim.Key);
            Evicted++;
        }

        if (_owners.TryAdd(key.Exporter, learner) && learner.Proven) ProvenExporters++; // re-added after its quota emptied it
        _plans[key] = plan;
        Attach(learner, plan);
        Learned++;
        changed = true;
        return DecodeError.None;
    }

    /// <summary>Removes one template (RFC 7011 §8.1 withdrawal).</summary>
    internal bool Withdraw(in TemplateKey key)
    {
        if (!RemoveKey(key)) return false;
        Withdrawn++;
        return true;
    }

    /// <summary>Removes every template (or every options template) of one exporter domain (RFC 7011 §8.1 withdraw-all).</summary>
    internal int WithdrawAll(FlowAddress exporter, ushort version, uint domain, bool options)
    {
        _scratch.Clear();
        if (!_owners.TryGetValue(exporter, out var owner)) return 0;
        for (var p = owner.Templates.Oldest; p is not null; p = owner.Templates.NewerThan(p))
        {
            if (p.IsOptions == options && p.Key.IsInDomain(exporter, version, domain)) _scratch.Add(p.Key);
        }

        foreach (var k in _scratch) RemoveKey(k);
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

        foreach (var k in _scratch) RemoveKey(k);
        Expired += _scratch.Count;
        return _scratch.Count;
    }

    /// <summary>Which template gives way when the table is full, or null when <paramref name="learner"/> must be refused.</summary>
    private FieldPlan? ChooseVictim(ExporterTemplates learner)
    {
        // Exporters that only sent templates give way first, least recently learnt first.
        if (_unproven.Oldest is { } unused) return unused;
        if (!learner.Proven) return null;

        // Only proven exporters are left: the one holding the most gives up its least recently used template, so
        // every proven exporter can reach an equal share.
        ExporterTemplates? largest = null;
        foreach (var o in _owners.Values)
        {
            if (largest is null || o.Count > largest.Count) largest = o;
        }

        return largest is not null && largest.Count > learner.Count + 1 ? largest.Templates.Oldest : null;
    }

    private void Prove(ExporterTemplates owner)
    {
        owner.Proven = true;
        ProvenExporters++;
        Proofs++;
        for (var p = owner.Templates.Oldest; p is not null; p = owner.Templates.NewerThan(p))
        {
            _unproven.Unlink(p);
            _proven.Touch(p, isNew: true);
        }
    }

    private void Attach(ExporterTemplates owner, FieldPlan plan)
    {
        plan.Owner = owner;
        owner.Count++;
        owner.Templates.Touch(plan, isNew: true);
        (owner.Proven ? _proven : _unproven).Touch(plan, isNew: true);
    }

    private void Detach(FieldPlan plan)
    {
        var owner = plan.Owner!;
        owner.Count--;
        owner.Templates.Unlink(plan);
        (owner.Proven ? _proven : _unproven).Unlink(plan);
        plan.Owner = null;
    }

    private bool RemoveKey(in TemplateKey key)
    {
        if (!_plans.Remove(key, out var plan)) return false;
        var owner = plan.Owner!;
        Detach(plan);
        if (owner.Count == 0)
        {
            _owners.Remove(owner.Exporter);
            if (owner.Proven) ProvenExporters--;
        }

        return true;
    }
}
