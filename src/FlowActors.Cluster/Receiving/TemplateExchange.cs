using System.Collections.Concurrent;
using FlowActors.Cluster.Messages;

namespace FlowActors.Cluster.Receiving;

/// <summary>
/// Hands templates replicated through DistributedData to every receive loop of this node. Each loop drains its
/// queue between datagrams (the decoder is not thread-safe, so imports happen on the loop's own thread).
/// Bounded: a loop's queue holds at most <see cref="QueueCapacity"/> templates; beyond that they are dropped
/// (counted in <see cref="ClusterMetrics.ReplicatedTemplatesDropped"/>; the exporter's own template refresh fills the gap).
/// </summary>
public sealed class TemplateExchange
{
    /// <summary>Most templates waiting per loop.</summary>
    public const int QueueCapacity = 16_384;

    private readonly object _gate = new();
    private ConcurrentQueue<TemplateBlob>[] _queues = [];

    internal ConcurrentQueue<TemplateBlob> Register()
    {
        var q = new ConcurrentQueue<TemplateBlob>();
        lock (_gate) _queues = [.. _queues, q];
        return q;
    }

    internal void Unregister(ConcurrentQueue<TemplateBlob> queue)
    {
        lock (_gate) _queues = Array.FindAll(_queues, q => !ReferenceEquals(q, queue));
    }

    /// <summary>Queues <paramref name="template"/> for import by every registered loop.</summary>
    public void Publish(TemplateBlob template)
    {
        foreach (var q in Volatile.Read(ref _queues))
        {
            if (q.Count >= QueueCapacity) ClusterMetrics.ReplicatedTemplatesDropped.Add(1);
            else q.Enqueue(template);
        }
    }
}
