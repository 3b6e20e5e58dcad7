using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using FlowActors.Cluster.Messages;
using FlowActors.Protocols.Templates;

namespace FlowActors.Cluster.Receiving;

/// <summary>
/// Replicates flow templates between nodes with Akka.DistributedData (an LWW map keyed by
/// <c>exporter/version/domain/template</c>). Templates the local decoders learn are written to the map; every
/// template that appears or changes in the map is handed to this node's receive loops through the
/// <see cref="TemplateExchange"/>, so a node that takes over an exporter decodes its data at once.
/// </summary>
/// <remarks>
/// Bounded as the decoders are (<see cref="TemplateStoreBounds"/>): per-exporter quotas, a total no exporter can
/// starve others of, and an age limit counted from when the exporter last sent the template. The receive loops
/// only offer templates of exporters whose data has decoded, so a flood of templates from spoofed sources never
/// reaches the map. A node that keeps receiving a template rewrites it every half age, so the others see it alive;
/// any node prunes entries older than the age limit.
/// </remarks>
public sealed class TemplateReplicatorActor : ReceiveActor, IWithTimers
{
    /// <summary>The DistributedData key of the template map.</summary>
    public static readonly LWWDictionaryKey<string, TemplateBlob> TemplatesKey = new("flowactors-templates");

    private static readonly TimeSpan LogEvery = TimeSpan.FromMinutes(1);

    private readonly Dictionary<string, TemplateBlob> _known = new(StringComparer.Ordinal);
    private readonly HashSet<string> _learntHere = new(StringComparer.Ordinal);
    private readonly TemplateExchange _exchange;
    private readonly TemplateStoreBounds _bounds;
    private readonly IActorRef _replicator;
    private readonly UniqueAddress _self;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private DateTime _lastRefusalLog = DateTime.MinValue;
    private long _loggedRefused;

    /// <summary>Creates the replicator front for this node.</summary>
    public TemplateReplicatorActor(TemplateExchange exchange, int maxTemplates, int maxPerExporter, TimeSpan maxAge)
    {
        _exchange = exchange;
        _bounds = new TemplateStoreBounds(maxTemplates, maxPerExporter, maxAge);
        var ddata = DistributedData.Get(Context.System);
        _replicator = ddata.Replicator;
        _self = Akka.Cluster.Cluster.Get(Context.System).SelfUniqueAddress;

        Receive<LocalTemplates>(OnLocal);
        Receive<Changed>(c => OnChanged(c.Get(TemplatesKey)));
        Receive<PruneTick>(_ => Prune());
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(f => _log.Warning("Template replication update failed: {0}", f));
        Receive<GetTemplateReports>(_ => Sender.Tell(Reports()));
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the actor.</summary>
    public static Props GetProps(TemplateExchange exchange, int maxTemplates = 16_384, int maxPerExporter = 1_024, TimeSpan? maxAge = null) =>
        Props.Create(() => new TemplateReplicatorActor(exchange, maxTemplates, maxPerExporter, maxAge ?? TimeSpan.FromMinutes(30)));

    /// <inheritdoc />
    protected override void PreStart()
    {
        _replicator.Tell(Dsl.Subscribe(TemplatesKey, Self));
        var every = TimeSpan.FromMilliseconds(Math.Clamp(_bounds.MaxAgeMs / 4, 1_000, 60_000));
        Timers.StartPeriodicTimer("prune", PruneTick.Instance, every);
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private void OnLocal(LocalTemplates msg)
    {
        long now = Now;
        var writes = new List<TemplateBlob>();
        var removes = new List<string>();
        foreach (var t in msg.Templates)
        {
            if (_bounds.IsStale(t.RefreshedUnixMs, now)) continue;
            string key = t.Key;
            if (_known.TryGetValue(key, out var old) && SameDefinition(old, t))
            {
                // A refresh: rewritten only every half age, so the others see it alive without a write per refresh.
                _learntHere.Add(key);
                if (t.RefreshedUnixMs - old.RefreshedUnixMs < _bounds.MaxAgeMs / 2) continue;
                _bounds.Admit(t.TemplateKey, t.RefreshedUnixMs, out _);
                _known[key] = t;
                writes.Add(t);
                continue;
            }

            if (!Admit(t, removes)) continue;
            _learntHere.Add(key);
            writes.Add(t);
        }

        Write(writes, removes);
        LogRefusals();
    }

    private void OnChanged(LWWDictionary<string, TemplateBlob> map)
    {
        long now = Now;
        var removes = new List<string>();
        foreach (var (key, t) in map.Entries)
        {
            if (_bounds.IsStale(t.RefreshedUnixMs, now)) continue;
            if (_known.TryGetValue(key, out var old) && SameDefinition(old, t))
            {
                if (t.RefreshedUnixMs <= old.RefreshedUnixMs) continue;
                _bounds.Admit(t.TemplateKey, t.RefreshedUnixMs, out _);
                _known[key] = t;
                if (_learntHere.Contains(key)) continue;
                _exchange.Publish(t); // the exporter is alive elsewhere: renew the template in this node's decoders
                continue;
            }

            if (old is null && !Admit(t, removes)) continue;
            _known[key] = t;
            _exchange.Publish(t);
        }

        // Entries another node removed (pruned by age or evicted) are forgotten here too.
        if (_known.Count > map.Count)
        {
            foreach (var key in _known.Keys.Where(k => !map.ContainsKey(k)).ToList()) Forget(key);
        }

        Write([], removes);
        LogRefusals();
    }

    /// <summary>Admits a new template within the bounds; an evicted one is forgotten and, if this node wrote it, removed from the map.</summary>
    private bool Admit(TemplateBlob t, List<string> removes)
    {
        var admission = _bounds.Admit(t.TemplateKey, t.RefreshedUnixMs, out var evicted);
        if (admission == TemplateAdmission.Refused) return false;
        if (admission == TemplateAdmission.AddedWithEviction)
        {
            string evictedKey = TemplateBlob.KeyOf(evicted);
            if (_learntHere.Contains(evictedKey)) removes.Add(evictedKey);
            Forget(evictedKey);
        }

        _known[t.Key] = t;
        return true;
    }

    private void Prune()
    {
        var expired = _bounds.TakeExpired(Now);
        if (expired.Count == 0) return;
        var removes = new List<string>(expired.Count);
        foreach (var k in expired)
        {
            string key = TemplateBlob.KeyOf(k);
            _known.Remove(key);
            _learntHere.Remove(key);
            removes.Add(key);
        }

        _log.Info("Template replication: {0} templates not refreshed within {1} min pruned ({2} held)", expired.Count, _bounds.MaxAgeMs / 60_000, _known.Count);
        Write([], removes);
    }

    private void Forget(string key)
    {
        if (!_known.Remove(key, out var t)) return;
        _learntHere.Remove(key);
        _bounds.Remove(t.TemplateKey);
    }

    private void Write(List<TemplateBlob> writes, List<string> removes)
    {
        if (writes.Count == 0 && removes.Count == 0) return;
        var self = _self;
        _replicator.Tell(Dsl.Update(TemplatesKey, LWWDictionary<string, TemplateBlob>.Empty, WriteLocal.Instance, map =>
        {
            foreach (var key in removes) map = map.Remove(self, key);
            foreach (var t in writes) map = map.SetItem(self, t.Key, t);
            return map;
        }));
    }

    private void LogRefusals()
    {
        if (_bounds.Refused + _bounds.Evicted == _loggedRefused || DateTime.UtcNow - _lastRefusalLog < LogEvery) return;
        _log.Warning("Template replication holds {0} templates (at most {1}, {2} per exporter); {3} refused and {4} evicted in total",
            _bounds.Count, _bounds.MaxTotal, _bounds.MaxPerExporter, _bounds.Refused, _bounds.Evicted);
        _loggedRefused = _bounds.Refused + _bounds.Evicted;
        _lastRefusalLog = DateTime.UtcNow;
    }

    private static bool SameDefinition(TemplateBlob a, TemplateBlob b) =>
        a.IsOptions == b.IsOptions && a.FieldCount == b.FieldCount && a.ScopeFieldCount == b.ScopeFieldCount && a.Definition.AsSpan().SequenceEqual(b.Definition);

    private TemplateReport[] Reports()
    {
        var list = new TemplateReport[_known.Count];
        int i = 0;
        foreach (var (key, t) in _known)
            list[i++] = new TemplateReport(t.Exporter.ToString(), t.Version, t.Domain, t.TemplateId, t.IsOptions, !_learntHere.Contains(key));
        return list;
    }

    /// <summary>Templates a local receive loop learnt or saw refreshed (sent from the loop's thread).</summary>
    /// <param name="Templates">The exporter's templates.</param>
    internal sealed record LocalTemplates(IReadOnlyList<TemplateBlob> Templates) : INoSerializationVerificationNeeded;

    /// <summary>Asks for the templates known to this node (answered with <see cref="TemplateReport"/>[]).</summary>
    internal sealed record GetTemplateReports : INoSerializationVerificationNeeded
    {
        public static readonly GetTemplateReports Instance = new();
    }

    private sealed record PruneTick : INoSerializationVerificationNeeded
    {
        public static readonly PruneTick Instance = new();
    }
}
