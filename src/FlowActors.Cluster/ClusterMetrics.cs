using System.Diagnostics.Metrics;

namespace FlowActors.Cluster;

/// <summary>
/// Counters the cluster layer updates itself (as opposed to figures the node asks actors for at scrape time).
/// One process-wide <see cref="Meter"/>; <see cref="Counter{T}.Add(T)"/> is lock-free, so actors call it per batch.
/// </summary>
public static class ClusterMetrics
{
    /// <summary>Name of the meter (exported by the node's Prometheus endpoint with every <c>FlowActors*</c> meter).</summary>
    public const string MeterName = "FlowActors.Cluster";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Flow observations applied to host behaviour by host actors on this node (one flow end each).</summary>
    public static readonly Counter<long> HostObservations =
        Meter.CreateCounter<long>("flowactors.host.observations", "{observation}", "Flow observations applied by the host actors on this node.");

    /// <summary>Flow records whose times lay too far in the future and were re-stamped to the receive time.</summary>
    public static readonly Counter<long> RestampedFutureTimes =
        Meter.CreateCounter<long>("flowactors.receiver.restamped_future_times", "{record}", "Flow records stamped too far ahead of the node's clock, re-stamped to the receive time.");

    /// <summary>Flow records whose start was after their end, repaired to start at their end.</summary>
    public static readonly Counter<long> RepairedStartAfterEnd =
        Meter.CreateCounter<long>("flowactors.receiver.repaired_start_after_end", "{record}", "Flow records whose start was after their end, repaired to start at their end.");

    /// <summary>Templates refused or evicted by the per-exporter template quotas.</summary>
    public static readonly Counter<long> TemplateQuota =
        Meter.CreateCounter<long>("flowactors.receiver.template_quota", "{template}", "Templates refused or evicted by the template quotas (a flood of templates, or too many from one exporter).");

    /// <summary>Observation batches applied by the host actors on this node.</summary>
    public static readonly Counter<long> HostBatches =
        Meter.CreateCounter<long>("flowactors.host.batches", "{batch}", "Observation batches applied by the host actors on this node.");
}
