using Akka.Actor;
using Akka.Cluster.Sharding;

namespace FlowActors.Cluster.Sharding;

/// <summary>
/// Keeps every <c>host</c> shard started somewhere in the cluster: once this node is up and then every
/// <c>interval</c>, it asks the region to start each shard's actor (<see cref="ShardRegion.StartEntity"/>). Shards are
/// otherwise started only by a message, so after a restart or hand-off a shard whose hosts send nothing would never
/// load them, and a restored host with an open window would not close it on the idle tick. Starting an already
/// running shard costs one message and its ack.
/// </summary>
public sealed class HostShardStarterActor : ReceiveActor, IWithTimers
{
    private readonly IActorRef _region;
    private readonly HostMessageExtractor _extractor;
    private readonly TimeSpan _interval;

    /// <summary>Creates the starter for <paramref name="region"/>.</summary>
    public HostShardStarterActor(IActorRef region, int shardCount, TimeSpan interval)
    {
        _region = region;
        _extractor = new HostMessageExtractor(shardCount);
        _interval = interval;
        Receive<Tick>(_ => StartAll());
        ReceiveAny(_ => { }); // StartEntityAck (internal to Akka)
    }

    /// <summary>Props for the starter.</summary>
    public static Props GetProps(IActorRef region, int shardCount, TimeSpan interval) =>
        Props.Create(() => new HostShardStarterActor(region, shardCount, interval));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart()
    {
        var self = Self;
        Akka.Cluster.Cluster.Get(Context.System).RegisterOnMemberUp(() => self.Tell(Tick.Instance));
    }

    private void StartAll()
    {
        for (int shard = 0; shard < _extractor.MaxNumberOfShards; shard++) _region.Tell(new ShardRegion.StartEntity(_extractor.IdOf(shard)));
        Timers.StartSingleTimer("start", Tick.Instance, _interval);
    }

    private sealed class Tick : INoSerializationVerificationNeeded
    {
        public static readonly Tick Instance = new();
    }
}
