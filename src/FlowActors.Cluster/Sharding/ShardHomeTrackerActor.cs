using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Event;

namespace FlowActors.Cluster.Sharding;

/// <summary>
/// Keeps <see cref="ShardHomes"/> current for this node's receivers: where each <c>host</c> shard lives (the
/// coordinator's shard statistics, every <c>interval</c> while every member is reachable) and which members are
/// unreachable (cluster events, at once). A shard whose home is unreachable is held until that member is reachable again
/// or removed; after the removal its shards are allocated anew and the held batches go there.
/// </summary>
/// <remarks>
/// Statistics are asked only while nothing is unreachable: the coordinator's answer would be empty then (it waits for
/// every region), and the homes known from before the failure are the ones that matter.
/// </remarks>
public sealed class ShardHomeTrackerActor : ReceiveActor, IWithTimers
{
    private readonly IActorRef _region;
    private readonly ShardHomes _homes;
    private readonly HostMessageExtractor _extractor;
    private readonly TimeSpan _interval;
    private readonly Address?[] _home;
    private readonly HashSet<Address> _unreachable = [];
    private readonly Akka.Event.ILoggingAdapter _log = Context.GetLogger();
    private bool _asking;
    private int _heldCount;

    /// <summary>Creates the tracker for <paramref name="region"/>, writing <paramref name="homes"/>.</summary>
    public ShardHomeTrackerActor(IActorRef region, ShardHomes homes, int shardCount, TimeSpan interval)
    {
        _region = region;
        _homes = homes;
        _extractor = new HostMessageExtractor(shardCount);
        _interval = interval;
        _home = new Address?[shardCount];
        Receive<Tick>(_ => Ask());
        Receive<ClusterShardingStats>(OnStats);
        Receive<StatsFailed>(_ => _asking = false);
        Receive<ClusterEvent.UnreachableMember>(e => Changed(_unreachable.Add(e.Member.Address)));
        Receive<ClusterEvent.ReachableMember>(e => Changed(_unreachable.Remove(e.Member.Address)));
        Receive<ClusterEvent.MemberRemoved>(e => OnRemoved(e.Member.Address));
        Receive<ClusterEvent.IMemberEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
    }

    /// <summary>Props for the tracker; <paramref name="interval"/> is how often shard homes are refreshed.</summary>
    public static Props GetProps(IActorRef region, ShardHomes homes, int shardCount, TimeSpan interval) =>
        Props.Create(() => new ShardHomeTrackerActor(region, homes, shardCount, interval));

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart()
    {
        Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.MemberRemoved));
        Timers.StartPeriodicTimer("stats", Tick.Instance, _interval);
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        _homes.Publish(new bool[_home.Length]);
    }

    private void Ask()
    {
        if (_asking || _unreachable.Count > 0) return;
        _asking = true;
        var timeout = _interval < TimeSpan.FromSeconds(2) ? _interval : TimeSpan.FromSeconds(2);
        _region.Ask<ClusterShardingStats>(new GetClusterShardingStats(timeout), timeout + timeout)
            .PipeTo(Self, failure: _ => StatsFailed.Instance);
    }

    private void OnStats(ClusterShardingStats stats)
    {
        _asking = false;
        foreach (var (address, region) in stats.Regions)
        {
            foreach (var id in region.Stats.Keys)
            {
                if (_extractor.TryParseShard(id, out int shard)) _home[shard] = address;
            }
        }
        Publish();
    }

    private void OnRemoved(Address address)
    {
        _unreachable.Remove(address);
        // Its shards are allocated anew with the next message; where is learnt with the next statistics.
        for (int i = 0; i < _home.Length; i++)
        {
            if (address.Equals(_home[i])) _home[i] = null;
        }
        Publish();
    }

    private void Changed(bool changed)
    {
        if (changed) Publish();
    }

    private void Publish()
    {
        var held = new bool[_home.Length];
        int count = 0, known = 0;
        for (int i = 0; i < held.Length; i++)
        {
            if (_home[i] is not { } a) continue;
            known++;
            if (_unreachable.Contains(a) && (held[i] = true)) count++;
        }
        _homes.Publish(held);
        if (count != _heldCount)
        {
            _log.Warning("Holding the receivers' batches for {0} host shards (of {1} with a known home) on unreachable members [{2}] until they are reachable or removed",
                count, known, string.Join(", ", _unreachable));
            _heldCount = count;
        }
    }

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    private sealed class StatsFailed
    {
        public static readonly StatsFailed Instance = new();
    }
}
