using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Serialization;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Actors;

/// <summary>
/// One monitored host inside its <see cref="HostShardActor"/>: the unit of detection, addressed by its IP. Holds the
/// host's <see cref="HostBehavior"/>, its alerts not yet acknowledged by the forwarder and its counters. Its shard
/// feeds it observations by a direct call (local, allocation-free), ticks it, writes it and passivates it.
/// </summary>
/// <remarks>
/// Hosts are objects owned by the shard actor rather than child actors: a child actor per host costs a mailbox, a
/// cell and a scheduled run per delivery, which at tens of thousands of active hosts and a few observations per host
/// per flush is more CPU than the whole per-flow budget (see bench/README.md, "Host delivery"). Not thread-safe: only
/// its shard actor touches it.
/// </remarks>
internal sealed class HostUnit
{
    private readonly int _maxUnacked;
    private List<Alert>? _unacked; // in the order raised; bounded by MaxUnacknowledgedAlertsPerHost

    public HostUnit(FlowAddress host, HostBehavior behavior, int maxUnacked)
    {
        Host = host;
        Behavior = behavior;
        _maxUnacked = maxUnacked;
    }

    public FlowAddress Host { get; }
    public HostBehavior Behavior { get; }
    public long FlowsObserved;
    public long Batches;
    public long AlertsRaised;
    public long AlertsDropped;
    public long LastBatchSeq = -1;
    public long LastTrafficMs;
    public bool SawTrafficSinceTick;
    public bool Dirty;
    public bool InDirtyList;
    public bool Restored;
    public int StateBytes;

    public int UnacknowledgedCount => _unacked?.Count ?? 0;

    public IReadOnlyList<Alert> Unacknowledged => (IReadOnlyList<Alert>?)_unacked ?? [];

    /// <summary>Remembers <paramref name="alert"/> until acknowledged; returns the alert dropped to make room, if any.</summary>
    public Alert? Track(Alert alert)
    {
        _unacked ??= new List<Alert>(2);
        for (int i = 0; i < _unacked.Count; i++)
        {
            if (string.Equals(_unacked[i].Id, alert.Id, StringComparison.Ordinal))
            {
                _unacked[i] = alert; // a newer version of the same alert (suppression folded an update in)
                return null;
            }
        }
        Alert? dropped = null;
        if (_unacked.Count >= _maxUnacked)
        {
            dropped = _unacked[0];
            _unacked.RemoveAt(0);
            AlertsDropped++;
        }
        _unacked.Add(alert);
        return dropped;
    }

    /// <summary>Forgets the alert <paramref name="id"/> if the acknowledged <paramref name="count"/> covers its newest version.</summary>
    public bool Acknowledge(string id, int count)
    {
        if (_unacked is null) return false;
        for (int i = 0; i < _unacked.Count; i++)
        {
            if (!string.Equals(_unacked[i].Id, id, StringComparison.Ordinal)) continue;
            // An ack for an older version does not cover an update folded in since (higher count).
            if (_unacked[i].Count > count) return false;
            _unacked.RemoveAt(i);
            if (_unacked.Count == 0) _unacked = null;
            return true;
        }
        return false;
    }

    /// <summary>
    /// The state to store, encoded (<see cref="FlowActorsSerializer.EncodeHostState(FlowAddress, long, ReadOnlySpan{byte}, IReadOnlyList{Alert})"/>).
    /// The behaviour snapshot goes into <paramref name="scratch"/> (the shard's, reused and grown to the largest
    /// snapshot) and from there straight into the row: the row is the only array allocated.
    /// </summary>
    public byte[] EncodeState(ref byte[] scratch)
    {
        int n = WriteBehavior(ref scratch);
        return FlowActorsSerializer.EncodeHostState(Host, FlowsObserved, scratch.AsSpan(0, n), Unacknowledged);
    }

    /// <summary>The same bytes as <see cref="EncodeState(ref byte[])"/>, in a range of <paramref name="arena"/> (a flush's rows).</summary>
    public ReadOnlyMemory<byte> EncodeState(ref byte[] scratch, Persistence.ByteArena arena)
    {
        int n = WriteBehavior(ref scratch);
        return FlowActorsSerializer.EncodeHostState(Host, FlowsObserved, scratch.AsSpan(0, n), Unacknowledged, arena);
    }

    private int WriteBehavior(ref byte[] scratch)
    {
        int size = Behavior.SnapshotSize;
        if (scratch.Length < size) scratch = new byte[Math.Max(size, scratch.Length * 2)];
        int n = Behavior.WriteSnapshot(scratch);
        StateBytes = n;
        return n;
    }

    public HostStateReport Report(string nodeAddress) => new(
        Host,
        nodeAddress,
        FlowsObserved,
        Behavior.BaselineWindows,
        Behavior.EventTimeMs == long.MinValue ? 0 : Behavior.EventTimeMs,
        Batches,
        AlertsRaised,
        UnacknowledgedCount,
        AlertsDropped,
        Restored,
        StateBytes,
        Behavior.LateObservations);
}

/// <summary>
/// Hosts held in memory by all host shards of one node, against <see cref="FlowActorsClusterOptions.MaxActiveHosts"/>:
/// a host-cardinality storm fills it and further new hosts' observations are dropped and counted.
/// </summary>
public sealed class HostPopulation
{
    private long _count;

    /// <summary>Creates a population of at most <paramref name="limit"/> hosts.</summary>
    public HostPopulation(int limit) => Limit = limit;

    /// <summary>Most hosts at once.</summary>
    public int Limit { get; }

    /// <summary>Hosts held now.</summary>
    public long Count => Interlocked.Read(ref _count);

    /// <summary>Reserves room for one host; false when full.</summary>
    public bool TryAdd()
    {
        if (Interlocked.Increment(ref _count) <= Limit)
        {
            ClusterMetrics.ActiveHosts.Add(1);
            return true;
        }
        Interlocked.Decrement(ref _count);
        return false;
    }

    /// <summary>Gives back room for <paramref name="hosts"/> hosts.</summary>
    public void Remove(int hosts)
    {
        if (hosts == 0) return;
        Interlocked.Add(ref _count, -hosts);
        ClusterMetrics.ActiveHosts.Add(-hosts);
    }
}
