using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using FlowActors.Detection;

namespace FlowActors.Cluster.Prevalence;

/// <summary>
/// Makes destination prevalence cluster-wide without a message per flow: every <c>interval</c> this node's
/// <see cref="PrevalenceSketch"/> (the one its host behaviours record into and read) is exported into an
/// Akka.DistributedData LWW map under this node's address, and every other node's export that arrives is merged
/// into the local sketch. Merging is a union of host bitmaps (idempotent, order-independent), so re-merging an
/// export, or a node's export that already contains ours, changes nothing.
/// </summary>
/// <remarks>
/// One export is about 33 bytes per destination (34 KB at the sketch's default 1,024); it travels as a
/// <see cref="byte"/> array (Akka's built-in byte-array serializer), one map entry per node, so DistributedData's
/// delta propagation ships only the entries that changed.
/// </remarks>
public sealed class PrevalenceReplicatorActor : ReceiveActor, IWithTimers
{
    /// <summary>The DistributedData key of the per-node sketch exports.</summary>
    public static readonly LWWDictionaryKey<string, byte[]> PrevalenceKey = new("flowactors-prevalence");

    private readonly PrevalenceSketch _sketch;
    private readonly TimeSpan _interval;
    private readonly IActorRef _replicator;
    private readonly UniqueAddress _self;
    private readonly string _selfKey;
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private long _badExports;

    /// <summary>Creates the replicator front for this node.</summary>
    public PrevalenceReplicatorActor(PrevalenceSketch sketch, TimeSpan interval)
    {
        ArgumentNullException.ThrowIfNull(sketch);
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), "The publish interval must be positive.");
        _sketch = sketch;
        _interval = interval;
        _replicator = DistributedData.Get(Context.System).Replicator;
        _self = Akka.Cluster.Cluster.Get(Context.System).SelfUniqueAddress;
        _selfKey = _self.Address.ToString();

        Receive<Publish>(_ => OnPublish());
        Receive<Changed>(c => OnChanged(c.Get(PrevalenceKey)));
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(f => _log.Warning("Prevalence replication update failed: {0}", f));
    }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>Props for the actor.</summary>
    /// <param name="sketch">The node's sketch, shared with every host behaviour on the node.</param>
    /// <param name="interval">How often the local sketch is published. Default 30 s.</param>
    public static Props GetProps(PrevalenceSketch sketch, TimeSpan? interval = null) =>
        Props.Create(() => new PrevalenceReplicatorActor(sketch, interval ?? TimeSpan.FromSeconds(30)));

    /// <inheritdoc />
    protected override void PreStart()
    {
        _replicator.Tell(Dsl.Subscribe(PrevalenceKey, Self));
        Timers.StartPeriodicTimer("publish", Publish.Instance, _interval);
    }

    private void OnPublish()
    {
        if (_sketch.Count == 0) return;
        byte[] export = _sketch.Export();
        var self = _self;
        string key = _selfKey;
        _replicator.Tell(Dsl.Update(PrevalenceKey, LWWDictionary<string, byte[]>.Empty, WriteLocal.Instance, map => map.SetItem(self, key, export)));
    }

    private void OnChanged(LWWDictionary<string, byte[]> map)
    {
        foreach (var (node, export) in map.Entries)
        {
            if (node == _selfKey) continue;
            try
            {
                _sketch.Merge(export);
            }
            catch (InvalidDataException e)
            {
                // A node of another version, or corrupt data: skip it, count it, log now and then.
                if (_badExports++ % 100 == 0) _log.Warning("Prevalence export from {0} skipped ({1} so far): {2}", node, _badExports, e.Message);
            }
        }
    }

    /// <summary>The timer's tick.</summary>
    private sealed class Publish : INoSerializationVerificationNeeded
    {
        public static readonly Publish Instance = new();
    }
}
