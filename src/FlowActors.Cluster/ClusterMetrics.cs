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

    /// <summary>Flow observations applied to host behaviour by the host shards on this node (one flow end each).</summary>
    public static readonly Counter<long> HostObservations =
        Meter.CreateCounter<long>("flowactors.host.observations", "{observation}", "Flow observations applied by the hosts on this node.");

    /// <summary>Flow records whose times lay too far in the future and were re-stamped to the receive time.</summary>
    public static readonly Counter<long> RestampedFutureTimes =
        Meter.CreateCounter<long>("flowactors.receiver.restamped_future_times", "{record}", "Flow records stamped too far ahead of the node's clock, re-stamped to the receive time.");

    /// <summary>Flow records whose start was after their end, repaired to start at their end.</summary>
    public static readonly Counter<long> RepairedStartAfterEnd =
        Meter.CreateCounter<long>("flowactors.receiver.repaired_start_after_end", "{record}", "Flow records whose start was after their end, repaired to start at their end.");

    /// <summary>Templates refused or evicted by the per-exporter template quotas.</summary>
    public static readonly Counter<long> TemplateQuota =
        Meter.CreateCounter<long>("flowactors.receiver.template_quota", "{template}", "Templates refused or evicted by the template quotas (a flood of templates, or too many from one exporter).");

    /// <summary>Observation batches (messages, each for one shard) applied by the host shards on this node; observations ÷ batches is the average batch size.</summary>
    public static readonly Counter<long> HostBatches =
        Meter.CreateCounter<long>("flowactors.host.batches", "{batch}", "Observation batches applied by the host shards on this node.");

    /// <summary>Observations per applied batch.</summary>
    public static readonly Histogram<int> HostBatchSize =
        Meter.CreateHistogram<int>("flowactors.host.batch_observations", "{observation}", "Observations per batch applied by a host shard.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 10, 50, 100, 200, 500, 1000, 5000] });

    /// <summary>Hosts held in memory by the host shards on this node.</summary>
    public static readonly UpDownCounter<long> ActiveHosts =
        Meter.CreateUpDownCounter<long>("flowactors.host.active", "{host}", "Hosts held in memory by the host shards on this node.");

    /// <summary>Hosts activated, tagged <c>from</c> = <c>new</c> (never seen, no query) or <c>store</c> (state loaded in bulk).</summary>
    public static readonly Counter<long> HostActivations =
        Meter.CreateCounter<long>("flowactors.host.activations", "{host}", "Hosts activated, by where their state came from.");

    /// <summary>Idle hosts passivated (state written, memory freed).</summary>
    public static readonly Counter<long> HostPassivations =
        Meter.CreateCounter<long>("flowactors.host.passivations", "{host}", "Idle hosts passivated after their state was written.");

    /// <summary>Observations dropped by the host shards, tagged <c>reason</c> (<c>host_limit</c>, <c>load_backlog</c>).</summary>
    public static readonly Counter<long> HostDroppedObservations =
        Meter.CreateCounter<long>("flowactors.host.dropped_observations", "{observation}", "Observations dropped by the host shards, by reason.");

    /// <summary>Host-state rows written to the store.</summary>
    public static readonly Counter<long> HostStateRowsWritten =
        Meter.CreateCounter<long>("flowactors.host_state.rows_written", "{row}", "Host-state rows written (many per transaction).");

    /// <summary>Host-state write transactions, tagged <c>result</c> (<c>ok</c>, <c>failed</c>).</summary>
    public static readonly Counter<long> HostStateFlushes =
        Meter.CreateCounter<long>("flowactors.host_state.flushes", "{transaction}", "Host-state write transactions, by result.");

    /// <summary>Host-state rows loaded from the store.</summary>
    public static readonly Counter<long> HostStateRowsLoaded =
        Meter.CreateCounter<long>("flowactors.host_state.rows_loaded", "{row}", "Host-state rows loaded (many per query).");

    /// <summary>Host-state rows deleted by retention.</summary>
    public static readonly Counter<long> HostStateRowsPruned =
        Meter.CreateCounter<long>("flowactors.host_state.rows_pruned", "{row}", "Host-state rows of hosts unseen for the retention period, deleted.");

    /// <summary>Templates replicated from other nodes that a receive loop's import queue had no room for (the exporter's own refresh fills the gap).</summary>
    public static readonly Counter<long> ReplicatedTemplatesDropped =
        Meter.CreateCounter<long>("flowactors.receiver.replicated_templates_dropped", "{template}", "Replicated templates dropped because a receive loop's import queue was full.");

    /// <summary>Rebind attempts of a UDP port whose receive loop died or whose bind failed, tagged <c>port</c>.</summary>
    public static readonly Counter<long> ReceiverRestarts =
        Meter.CreateCounter<long>("flowactors.receiver.restarts", "{restart}", "Rebind attempts of a UDP port whose receive loop died or whose bind failed.");
}
