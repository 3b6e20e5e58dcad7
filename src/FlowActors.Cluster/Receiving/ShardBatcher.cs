using Akka.Actor;
using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Sharding;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Receiving;

/// <summary>
/// Pending observations per <c>host</c> shard for one receive loop. An observation is an append to its shard's
/// pooled array; a shard's buffer goes to the region as one <see cref="ShardObservations"/> when it holds
/// <c>batchSize</c> observations or on the flush tick, so the message count follows shards and ticks, not hosts,
/// and memory follows traffic: only shards with pending observations hold an array. Observations of one host keep
/// their order (one buffer per shard, sent in order).
/// </summary>
/// <remarks>
/// Bounded: the node's <see cref="InFlightBudget"/> caps observations sent but not yet applied. When it is full the
/// loop waits (up to <c>maxWait</c>, the kernel's receive buffer absorbing the burst), then drops the batch and
/// counts it. Not thread-safe: owned by one receive loop.
/// </remarks>
internal sealed class ShardBatcher
{
    private readonly FlowObservation[]?[] _pending;
    private readonly int[] _counts;
    private readonly int[] _dirty;
    private int _dirtyCount;
    private readonly IActorRef _region;
    private readonly HostMessageExtractor _extractor;
    private readonly InFlightBudget _budget;
    private readonly int _batchSize;
    private readonly long _maxWaitMs;
    private readonly Func<bool> _stopping;

    public ShardBatcher(IActorRef region, HostMessageExtractor extractor, InFlightBudget budget, int batchSize, TimeSpan maxWait, Func<bool> stopping)
    {
        _region = region;
        _extractor = extractor;
        _budget = budget;
        _batchSize = batchSize;
        _maxWaitMs = Math.Max(0, (long)maxWait.TotalMilliseconds);
        _stopping = stopping;
        int shards = extractor.MaxNumberOfShards;
        _pending = new FlowObservation[shards][];
        _counts = new int[shards];
        _dirty = new int[shards];
    }

    /// <summary>Observations dropped because the node's in-flight budget stayed full for the whole wait.</summary>
    public long DroppedOverload { get; private set; }

    /// <summary>Batches sent.</summary>
    public long BatchesSent { get; private set; }

    /// <summary>Observations sent in those batches.</summary>
    public long ObservationsSent { get; private set; }

    /// <summary>Shards with a pending buffer.</summary>
    public int PendingShards => _dirtyCount;

    /// <summary>Appends one observation to its shard's buffer, sending the buffer when full.</summary>
    public void Add(in FlowObservation observation)
    {
        int shard = _extractor.ShardNumberOf(observation.Host);
        var items = _pending[shard];
        if (items is null)
        {
            items = ObservationPool.Rent(_batchSize);
            _pending[shard] = items;
            _dirty[_dirtyCount++] = shard;
        }
        int n = _counts[shard];
        items[n++] = observation;
        _counts[shard] = n;
        if (n == _batchSize) Send(shard);
    }

    /// <summary>Sends every non-empty buffer.</summary>
    public void Flush()
    {
        // Send() also removes the shard from the dirty list; walk it from the end so removal is O(1).
        while (_dirtyCount > 0) Send(_dirty[_dirtyCount - 1]);
    }

    private void Send(int shard)
    {
        var items = _pending[shard]!;
        int count = _counts[shard];
        _pending[shard] = null;
        _counts[shard] = 0;
        int at = Array.LastIndexOf(_dirty, shard, _dirtyCount - 1, _dirtyCount);
        _dirty[at] = _dirty[--_dirtyCount];
        if (!WaitForRoom(count))
        {
            DroppedOverload += count;
            ObservationPool.Return(items);
            return;
        }
        _budget.Take(count);
        _region.Tell(new ShardObservations(shard, items, count, _budget), ActorRefs.NoSender);
        BatchesSent++;
        ObservationsSent += count;
        ClusterMetrics.ReceiverBatchSize.Record(count);
    }

    private bool WaitForRoom(int count)
    {
        if (_budget.HasRoomFor(count)) return true;
        long deadline = Environment.TickCount64 + _maxWaitMs;
        while (!_stopping() && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(1);
            if (_budget.HasRoomFor(count)) return true;
        }
        return _budget.HasRoomFor(count);
    }
}
