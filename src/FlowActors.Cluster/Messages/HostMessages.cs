using FlowActors.Protocols;

namespace FlowActors.Cluster.Messages;

/// <summary>
/// A batch of observations of one monitored host. Receivers send <see cref="ShardObservations"/> instead; this
/// stays for callers that feed one host (tests, tools) and is applied by the host's shard like any other batch.
/// </summary>
/// <param name="Host">The monitored host.</param>
/// <param name="Observations">The observations, oldest first (the array is owned by the message).</param>
public sealed record ObserveBatch(FlowAddress Host, FlowObservation[] Observations) : IHostMessage;

/// <summary>Sent to a host shard entity when it is handed off or its node stops: write every dirty host in one batch, then stop.</summary>
public sealed record StopHost : IFlowActorsMessage
{
    /// <summary>The single instance.</summary>
    public static readonly StopHost Instance = new();
    private StopHost() { }
}

/// <summary>Asks a host for its state (activates it, loading its stored state, if it was not active).</summary>
/// <param name="Host">The monitored host.</param>
public sealed record GetHostState(FlowAddress Host) : IHostMessage;

/// <summary>Reply to <see cref="GetHostState"/>.</summary>
/// <param name="Host">The monitored host.</param>
/// <param name="NodeAddress">Akka address of the node the entity runs on.</param>
/// <param name="FlowsObserved">Observations applied since the host was first seen (survives restarts).</param>
/// <param name="WindowsClosed">Windows in the baseline (<c>HostBehavior.BaselineWindows</c>).</param>
/// <param name="EventTimeMs">Latest event time applied, Unix ms.</param>
/// <param name="BatchesApplied">Batches applied by this incarnation of the entity.</param>
/// <param name="AlertsRaised">Alerts raised by this incarnation.</param>
/// <param name="UnacknowledgedAlerts">Alerts waiting for the forwarder's acknowledgement.</param>
/// <param name="AlertsDropped">Alerts dropped because the unacknowledged queue was full (this incarnation).</param>
/// <param name="RestoredFromSnapshot">True when this incarnation started from a snapshot.</param>
/// <param name="SnapshotBytes">Size of the last snapshot written or restored.</param>
/// <param name="LateObservations">Observations that arrived after their window had closed (dropped as late by detection).</param>
public sealed record HostStateReport(
    FlowAddress Host,
    string NodeAddress,
    long FlowsObserved,
    long WindowsClosed,
    long EventTimeMs,
    long BatchesApplied,
    long AlertsRaised,
    int UnacknowledgedAlerts,
    long AlertsDropped,
    bool RestoredFromSnapshot,
    int SnapshotBytes,
    long LateObservations = 0) : IFlowActorsMessage;

/// <summary>The state a host entity persists as its snapshot.</summary>
/// <param name="Host">The monitored host.</param>
/// <param name="FlowsObserved">Observations applied since the host was first seen.</param>
/// <param name="Behavior">The detection state (<c>HostBehavior.WriteSnapshot</c>).</param>
/// <param name="Unacknowledged">Alerts not yet acknowledged by the forwarder (redelivered after restore).</param>
public sealed record HostSnapshot(FlowAddress Host, long FlowsObserved, byte[] Behavior, Alert[] Unacknowledged) : IFlowActorsMessage;

/// <summary>
/// Observations of many hosts of one shard, oldest first per host, sent by a receive loop when the shard's pending
/// buffer is full or on the flush tick: the message count follows shards and ticks, not hosts. Only the first
/// <see cref="Count"/> items of <see cref="Observations"/> are valid; the array may be pooled.
/// </summary>
/// <remarks>
/// Ownership of <see cref="Observations"/> passes with the message: the sender never touches it again and the shard
/// that applies it returns it to <see cref="System.Buffers.ArrayPool{T}.Shared"/>.
/// </remarks>
public sealed class ShardObservations : IFlowActorsMessage
{
    /// <summary>Creates the message.</summary>
    /// <param name="shard">The shard every observation's host belongs to (<c>HostMessageExtractor.ShardOf</c>).</param>
    /// <param name="observations">The observations; ownership passes to the message.</param>
    /// <param name="count">How many leading items are valid.</param>
    /// <param name="inFlight">The sending node's in-flight budget, released when the batch is applied or leaves the process (not serialized).</param>
    public ShardObservations(int shard, FlowObservation[] observations, int count, InFlightBudget? inFlight = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, observations.Length);
        Shard = shard;
        Observations = observations;
        Count = count;
        InFlight = inFlight;
    }

    /// <summary>The shard of every observation's host.</summary>
    public int Shard { get; }

    /// <summary>The observations (the first <see cref="Count"/> are valid).</summary>
    public FlowObservation[] Observations { get; }

    /// <summary>Number of valid observations.</summary>
    public int Count { get; }

    /// <summary>The sender's in-flight budget; null once it crossed the wire.</summary>
    public InFlightBudget? InFlight { get; private set; }

    /// <summary>Releases this batch's share of the sender's in-flight budget (once; later calls do nothing).</summary>
    public void ReleaseInFlight()
    {
        var budget = InFlight;
        if (budget is null) return;
        InFlight = null;
        budget.Release(Count);
    }

    /// <summary>
    /// Takes the budget this batch holds, for a receiver that releases it later (a host shard that gathers batches
    /// releases them when it has applied them); null when none or already taken.
    /// </summary>
    public InFlightBudget? DetachInFlight()
    {
        var budget = InFlight;
        InFlight = null;
        return budget;
    }
}

/// <summary>
/// Observations a node's receivers have sent and its shards have not yet applied (or serialized for another node):
/// the bound that keeps shard mailboxes from growing without limit when the analytics layer falls behind.
/// </summary>
public sealed class InFlightBudget
{
    private long _inFlight;

    /// <summary>Creates a budget of <paramref name="limit"/> observations.</summary>
    public InFlightBudget(long limit) => Limit = limit;

    /// <summary>Most observations in flight at once.</summary>
    public long Limit { get; }

    /// <summary>Observations in flight now.</summary>
    public long InFlight => Volatile.Read(ref _inFlight);

    /// <summary>True when <paramref name="count"/> more still fit.</summary>
    public bool HasRoomFor(int count) => Volatile.Read(ref _inFlight) + count <= Limit;

    /// <summary>Takes <paramref name="count"/> (the caller checked <see cref="HasRoomFor"/>).</summary>
    public void Take(int count) => Interlocked.Add(ref _inFlight, count);

    /// <summary>Gives back <paramref name="count"/>.</summary>
    public void Release(int count) => Interlocked.Add(ref _inFlight, -count);
}

/// <summary>Asks one host shard for the hosts it holds in memory, busiest first (for <c>flowctl hosts top</c>).</summary>
/// <param name="Shard">The shard.</param>
/// <param name="Limit">Most hosts to report.</param>
public sealed record GetShardHosts(int Shard, int Limit) : IFlowActorsMessage;

/// <summary>Reply to <see cref="GetShardHosts"/>.</summary>
/// <param name="Shard">The shard.</param>
/// <param name="ActiveHosts">Hosts held in memory by the shard.</param>
/// <param name="Hosts">The busiest of them, by observations applied.</param>
public sealed record ShardHosts(int Shard, int ActiveHosts, HostStateReport[] Hosts) : IFlowActorsMessage;

/// <summary>
/// The pool observation batches are rented from: receive loops rent, the shard that applies a batch returns. Arrays not
/// rented from it (tests, tools) are left to the GC.
/// </summary>
/// <remarks>
/// Its own pool rather than <see cref="System.Buffers.ArrayPool{T}.Shared"/>: the shared one keeps about 32 arrays of a
/// size per core plus one per thread, while a node has a few hundred batches in flight between its receive loops and
/// its shards (one per shard per loop and flush), and renting on one thread while returning on another empties the
/// renter's side. Measured at 50,000 hosts: about 90 B per observation of fresh 45 KB batch arrays with the shared
/// pool. Here up to 1,024 arrays per size are kept (512 observations: 46 MB at most, only once traffic has needed them):
/// after a 60 ms collection at 2 M flows/s the socket backlog alone is about 470 batches, and with 256 the rest were
/// fresh 45 KB gen0 arrays that lived until applied, were promoted, and lengthened the next collection.
/// </remarks>
public static class ObservationPool
{
    /// <summary>Largest batch the pool keeps (<c>BatchSize</c>'s maximum); larger arrays are left to the GC.</summary>
    private const int MaxPooledLength = 65_536;

    private static readonly System.Buffers.ArrayPool<FlowObservation> Pool = System.Buffers.ArrayPool<FlowObservation>.Create(MaxPooledLength, 1_024);

    /// <summary>Rents an array of at least <paramref name="minimumLength"/> observations.</summary>
    public static FlowObservation[] Rent(int minimumLength) => Pool.Rent(minimumLength);

    /// <summary>Returns <paramref name="array"/> if it can have come from the pool (the pool refuses other sizes).</summary>
    public static void Return(FlowObservation[] array)
    {
        // The pool hands out power-of-two lengths from 16 up to MaxPooledLength; any other array is not its own.
        if (array.Length is >= 16 and <= MaxPooledLength && System.Numerics.BitOperations.IsPow2(array.Length))
            Pool.Return(array);
    }
}
