using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using FlowActors.Cluster.Messages;

namespace FlowActors.Cluster.Receiving;

/// <summary>
/// Replicates flow templates between nodes with Akka.DistributedData (an LWW map keyed by
/// <c>exporter/version/domain/template</c>). Templates the local decoders learn are written to the map; every
/// template that appears or changes in the map is handed to this node's receive loops through the
/// <see cref="TemplateExchange"/>, so a node that takes over an exporter decodes its data at once.
/// </summary>
public sealed class TemplateReplicatorActor : ReceiveActor
{
    /// <summary>The DistributedData key of the template map.</summary>
    public static readonly LWWDictionaryKey<string, TemplateBlob> TemplatesKey = new("flowactors-templates");

    private readonly Dictionary<string, TemplateBlob> _known = new(StringComparer.Ordinal);
    private readonly HashSet<string> _learntHere = new(StringComparer.Ordinal);
    private readonly TemplateExchange _exchange;
    private readonly int _maxTemplates;
    private readonly IActorRef _replicator;
    private readonly UniqueAddress _self;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _refused;

    /// <summary>Creates the replicator front for this node.</summary>
    public TemplateReplicatorActor(TemplateExchange exchange, int maxTemplates)
    {
        _exchange = exchange;
        _maxTemplates = maxTemplates;
        var ddata = DistributedData.Get(Context.System);
        _replicator = ddata.Replicator;
        _self = Akka.Cluster.Cluster.Get(Context.System).SelfUniqueAddress;

        Receive<LocalTemplates>(OnLocal);
        Receive<Changed>(c => OnChanged(c.Get(TemplatesKey)));
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(f => _log.Warning("Template replication update failed: {0}", f));
        Receive<GetTemplateReports>(_ => Sender.Tell(Reports()));
    }

    /// <summary>Props for the actor.</summary>
    public static Props GetProps(TemplateExchange exchange, int maxTemplates = 16_384) =>
        Props.Create(() => new TemplateReplicatorActor(exchange, maxTemplates));

    /// <inheritdoc />
    protected override void PreStart() => _replicator.Tell(Dsl.Subscribe(TemplatesKey, Self));

    private void OnLocal(LocalTemplates msg)
    {
        var changed = new List<TemplateBlob>();
        foreach (var t in msg.Templates)
        {
            string key = t.Key;
            _learntHere.Add(key);
            if (_known.TryGetValue(key, out var old) && SameDefinition(old, t)) continue;
            if (!_known.ContainsKey(key) && _known.Count >= _maxTemplates)
            {
                if (_refused++ % 1000 == 0) _log.Warning("Template replication holds {0} templates; not replicating more ({1} refused)", _maxTemplates, _refused);
                continue;
            }
            _known[key] = t;
            changed.Add(t);
        }
        if (changed.Count == 0) return;
        var self = _self;
        _replicator.Tell(Dsl.Update(TemplatesKey, LWWDictionary<string, TemplateBlob>.Empty, WriteLocal.Instance, map =>
        {
            foreach (var t in changed) map = map.SetItem(self, t.Key, t);
            return map;
        }));
    }

    private void OnChanged(LWWDictionary<string, TemplateBlob> map)
    {
        foreach (var (key, t) in map.Entries)
        {
            if (_known.TryGetValue(key, out var old) && SameDefinition(old, t) && _learntHere.Contains(key)) continue;
            if (!_known.ContainsKey(key) && _known.Count >= _maxTemplates) continue;
            _known[key] = t;
            _exchange.Publish(t);
        }
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

    /// <summary>Templates a local receive loop learnt (sent from the loop's thread).</summary>
    /// <param name="Templates">The exporter's templates.</param>
    internal sealed record LocalTemplates(IReadOnlyList<TemplateBlob> Templates) : INoSerializationVerificationNeeded;

    /// <summary>Asks for the templates known to this node (answered with <see cref="TemplateReport"/>[]).</summary>
    internal sealed record GetTemplateReports : INoSerializationVerificationNeeded
    {
        public static readonly GetTemplateReports Instance = new();
    }
}
