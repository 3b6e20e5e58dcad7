using System.Collections.Concurrent;
using FlowActors.Siem.Sinks;

namespace FlowActors.Cluster.Tests;

/// <summary>An in-memory sink for tests; fails deliveries while <see cref="Failing"/> is true.</summary>
internal sealed class CollectingSink(string name = "test") : IAlertSink
{
    public ConcurrentQueue<Alert> Delivered { get; } = new();

    public volatile bool Failing;

    public int Attempts;

    public string Name { get; } = name;

    public IReadOnlyList<string> Ids => Delivered.Select(a => a.Id).ToList();

    public ValueTask DeliverAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Attempts);
        if (Failing) throw new IOException("sink unavailable");
        foreach (var a in alerts) Delivered.Enqueue(a);
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
