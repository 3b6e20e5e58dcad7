using Akka.Actor;
using FlowActors.Cluster.Messages;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Receiving;

/// <summary>
/// Pending observations per monitored host for one receive loop. An observation is an append to its host's
/// array; a host's batch goes to the shard region as one <see cref="ObserveBatch"/> when it is full or on the
/// flush tick, so the message count follows active hosts, not flows. Bounded: at most
/// <c>maxHosts</c> hosts pending, further observations are dropped and counted.
/// </summary>
/// <remarks>Not thread-safe: owned by one receive loop.</remarks>
internal sealed class HostBatcher
{
    private readonly Dictionary<FlowAddress, Pending> _pending = new();
    private readonly List<FlowAddress> _idle = new();
    private readonly IActorRef _region;
    private readonly int _batchSize;
    private readonly int _maxHosts;

    public HostBatcher(IActorRef region, int batchSize, int maxHosts)
    {
        _region = region;
        _batchSize = batchSize;
        _maxHosts = maxHosts;
    }

    /// <summary>Observations dropped because <c>maxHosts</c> hosts already had pending batches.</summary>
    public long DroppedHostLimit { get; private set; }

    /// <summary>Batches sent.</summary>
    public long BatchesSent { get; private set; }

    /// <summary>Hosts with a pending batch.</summary>
    public int PendingHosts => _pending.Count;

    /// <summary>Appends one observation to its host's batch, sending the batch when full.</summary>
    public void Add(in FlowObservation observation)
    {
        if (!_pending.TryGetValue(observation.Host, out var p))
        {
            if (_pending.Count >= _maxHosts)
            {
                DroppedHostLimit++;
                return;
            }
            p = new Pending(_batchSize);
            _pending.Add(observation.Host, p);
        }
        p.Items[p.Count++] = observation;
        p.Idle = false;
        if (p.Count == _batchSize)
        {
            // The full array is handed to the message; the host gets a fresh one.
            _region.Tell(new ObserveBatch(observation.Host, p.Items), ActorRefs.NoSender);
            BatchesSent++;
            p.Items = new FlowObservation[_batchSize];
            p.Count = 0;
        }
    }

    /// <summary>Sends every non-empty batch; forgets hosts idle since the previous flush.</summary>
    public void Flush()
    {
        _idle.Clear();
        foreach (var (host, p) in _pending)
        {
            if (p.Count == 0)
            {
                if (p.Idle) _idle.Add(host);
                p.Idle = true;
                continue;
            }
            _region.Tell(new ObserveBatch(host, p.Items.AsSpan(0, p.Count).ToArray()), ActorRefs.NoSender);
            BatchesSent++;
            p.Count = 0;
            p.Idle = false;
        }
        foreach (var host in _idle) _pending.Remove(host);
    }

    private sealed class Pending(int size)
    {
        public FlowObservation[] Items = new FlowObservation[size];
        public int Count;
        public bool Idle;
    }
}
