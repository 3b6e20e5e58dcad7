using Akka.Actor;
using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Sharding;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Receiving;

/// <summary>
/// Pending observations per <c>host</c> shard for one receive loop. An observation is an append to its shard's recent
/// block, copied into the shard's pooled array when the block is full (<see cref="RecentBlock"/>); a shard's buffer goes
/// to the region as one <see cref="ShardObservations"/> when it holds <c>batchSize</c> observations or on the flush
/// tick, so the message count follows shards and ticks, not hosts, and memory follows traffic: only shards with pending
/// observations hold an array. Observations of one host keep their order (one buffer per shard, sent in order).
/// </summary>
/// <remarks>
/// <para>Bounded: the node's <see cref="InFlightBudget"/> caps observations sent but not yet applied. When it is full the
/// loop waits (up to <c>maxWait</c>, the kernel's receive buffer absorbing the burst), then drops the batch and
/// counts it. Not thread-safe: owned by one receive loop.</para>
/// <para>Held shards (<see cref="ShardHomes"/>: their home member is unreachable and not yet downed) are not sent, or
/// the region would route the batch to the dead member: their pending buffer keeps filling, and each full buffer waits
/// in order, under the same in-flight budget (over it, it is dropped and counted at once, without the wait, so one dead
/// member cannot stall the other shards). When the shard is released (the member is reachable again, or removed and
/// the shard allocated anew), the waiting buffers go first, then the pending one. On stop everything is sent.</para>
/// </remarks>
internal sealed class ShardBatcher
{
    /// <summary>How many of a shard's newest observations wait in its recent block before they are copied into its pooled array in one piece.</summary>
    /// <remarks>
    /// Why: a pooled array was last read by a host shard on the other core, so writing observations into it one at a
    /// time missed the cache on almost every line (an observation is 1.4 lines), and the receive loop's thread, the one
    /// whose lag the kernel turns into drops, waited for each. The recent blocks of all shards stay in this core's cache
    /// (100 shards × 16 × 88 bytes = 140 KB); a block copy to the pooled array streams.
    /// </remarks>
    internal const int RecentBlock = 16;

    private readonly FlowObservation[]?[] _pending;
    private readonly int[] _counts; // observations in the pooled array
    private readonly FlowObservation[] _recent; // shard s's recent block is [s * RecentBlock, (s + 1) * RecentBlock)
    private readonly int[] _recentCounts;
    private readonly int[] _dirty;
    private int _dirtyCount;
    private readonly IActorRef _region;
    private readonly HostMessageExtractor _extractor;
    private readonly InFlightBudget _budget;
    private readonly int _batchSize;
    private readonly long _maxWaitMs;
    private readonly Func<bool> _stopping;
    private readonly ShardHomes? _homes;
    private readonly Queue<(FlowObservation[] Items, int Count)>?[] _held;
    private readonly List<int> _heldShards = [];
    private bool _final;

    public ShardBatcher(IActorRef region, HostMessageExtractor extractor, InFlightBudget budget, int batchSize, TimeSpan maxWait, Func<bool> stopping, ShardHomes? homes = null)
    {
        _homes = homes;
        _held = new Queue<(FlowObservation[], int)>?[extractor.MaxNumberOfShards];
        _region = region;
        _extractor = extractor;
        _budget = budget;
        _batchSize = batchSize;
        _maxWaitMs = Math.Max(0, (long)maxWait.TotalMilliseconds);
        _stopping = stopping;
        int shards = extractor.MaxNumberOfShards;
        _pending = new FlowObservation[shards][];
        _counts = new int[shards];
        _recent = new FlowObservation[shards * RecentBlock];
        _recentCounts = new int[shards];
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

    /// <summary>Observations in full buffers waiting for a held shard's home (in the in-flight budget).</summary>
    public long HeldObservations { get; private set; }

    /// <summary>Observations in held shards' pending buffers, not yet full (walks the pending shards: for the stats tick).</summary>
    public long HeldPendingObservations()
    {
        if (_homes is null) return 0;
        long n = 0;
        for (int i = 0; i < _dirtyCount; i++)
        {
            int shard = _dirty[i];
            if (_homes.IsHeld(shard)) n += _counts[shard] + _recentCounts[shard];
        }
        return n;
    }

    /// <summary>Observations dropped because the in-flight budget had no room to hold them for a held shard (also in <see cref="DroppedOverload"/>).</summary>
    public long DroppedHeld { get; private set; }

    /// <summary>Observations that waited for a held shard and were sent once it was released.</summary>
    public long ReleasedHeld { get; private set; }

    /// <summary>Appends one observation to its shard's buffer, sending the buffer when full.</summary>
    public void Add(in FlowObservation observation)
    {
        int shard = _extractor.ShardNumberOf(observation.Host);
        if (_pending[shard] is null)
        {
            _pending[shard] = ObservationPool.Rent(_batchSize);
            _dirty[_dirtyCount++] = shard;
        }
        int recent = _recentCounts[shard];
        _recent[(shard * RecentBlock) + recent++] = observation;
        _recentCounts[shard] = recent;
        if (_counts[shard] + recent == _batchSize) Send(shard); // Send moves the block first
        else if (recent == RecentBlock) MoveRecent(shard);
    }

    /// <summary>Copies the shard's recent block to the end of its pooled array.</summary>
    private void MoveRecent(int shard)
    {
        int recent = _recentCounts[shard];
        if (recent == 0) return;
        int n = _counts[shard];
        _recent.AsSpan(shard * RecentBlock, recent).CopyTo(_pending[shard].AsSpan(n));
        _counts[shard] = n + recent;
        _recentCounts[shard] = 0;
    }

    /// <summary>Sends every non-empty buffer, except those of held shards, which keep filling.</summary>
    public void Flush() => Flush(final: false);

    /// <summary>Sends everything, held shards' buffers too: the loop is ending, and nothing may keep budget after it.</summary>
    public void FlushAll() => Flush(final: true);

    private void Flush(bool final)
    {
        _final = final;
        // Released shards' waiting buffers first, so they go before the same shards' pending ones.
        if (_heldShards.Count > 0) ReleaseHeld();
        // Send() removes the shard from the dirty list by moving the last entry into its place; walking from the end,
        // that entry was already visited.
        for (int i = _dirtyCount - 1; i >= 0; i--)
        {
            int shard = _dirty[i];
            if (IsHeld(shard)) continue;
            Send(shard);
        }
    }

    private bool IsHeld(int shard) => _homes is not null && !_final && _homes.IsHeld(shard) && !_stopping();

    private void Send(int shard)
    {
        MoveRecent(shard);
        var items = _pending[shard]!;
        int count = _counts[shard];
        _pending[shard] = null;
        _counts[shard] = 0;
        int at = Array.LastIndexOf(_dirty, shard, _dirtyCount - 1, _dirtyCount);
        _dirty[at] = _dirty[--_dirtyCount];
        if (IsHeld(shard))
        {
            Hold(shard, items, count);
            return;
        }
        if (_held[shard] is { Count: > 0 }) Release(shard);
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

    private void Hold(int shard, FlowObservation[] items, int count)
    {
        if (!_budget.HasRoomFor(count))
        {
            DroppedOverload += count;
            DroppedHeld += count;
            ObservationPool.Return(items);
            return;
        }
        _budget.Take(count);
        var queue = _held[shard];
        if (queue is null)
        {
            queue = new Queue<(FlowObservation[], int)>();
            _held[shard] = queue;
        }
        if (queue.Count == 0) _heldShards.Add(shard);
        queue.Enqueue((items, count));
        HeldObservations += count;
    }

    private void ReleaseHeld()
    {
        for (int i = _heldShards.Count - 1; i >= 0; i--)
        {
            int shard = _heldShards[i];
            if (IsHeld(shard)) continue;
            Release(shard);
        }
    }

    /// <summary>Sends a released shard's waiting buffers in order (their budget was taken when they were held).</summary>
    private void Release(int shard)
    {
        var queue = _held[shard]!;
        while (queue.TryDequeue(out var batch))
        {
            _region.Tell(new ShardObservations(shard, batch.Items, batch.Count, _budget), ActorRefs.NoSender);
            BatchesSent++;
            ObservationsSent += batch.Count;
            HeldObservations -= batch.Count;
            ReleasedHeld += batch.Count;
        }
        _heldShards.Remove(shard);
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
