using System.Diagnostics.Metrics;

namespace FlowActors.Cluster;

/// <summary>
/// Instruments the cluster layer records where things happen: receive loops, batchers, host shards, the forwarder.
/// One process-wide <see cref="Meter"/>; <see cref="Counter{T}.Add(T)"/> and <see cref="Histogram{T}.Record(T)"/> are
/// lock-free, and nothing is gathered by asking actors at scrape time. Names follow the OpenTelemetry conventions
/// (dot-separated, UCUM units); README.md lists every one.
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

    /// <summary>UDP datagrams received, tagged <c>port</c>.</summary>
    public static readonly Counter<long> ReceiverDatagrams =
        Meter.CreateCounter<long>("flowactors.receiver.datagrams", "{datagram}", "UDP datagrams received, by port.");

    /// <summary>UDP payload bytes received, tagged <c>port</c>.</summary>
    public static readonly Counter<long> ReceiverBytes =
        Meter.CreateCounter<long>("flowactors.receiver.received", "By", "UDP payload bytes received, by port.");

    /// <summary>Flow records decoded, tagged <c>port</c>.</summary>
    public static readonly Counter<long> ReceiverRecords =
        Meter.CreateCounter<long>("flowactors.receiver.records", "{record}", "Flow records decoded, by port.");

    /// <summary>Host observations (monitored flow ends) batched for the host shards, tagged <c>port</c>.</summary>
    public static readonly Counter<long> ReceiverObservations =
        Meter.CreateCounter<long>("flowactors.receiver.observations", "{observation}", "Host observations batched for the host shards, by port.");

    /// <summary>Datagrams that failed to decode (or did not fit), tagged <c>port</c>.</summary>
    /// <summary>Datagrams that failed to decode, tagged <c>port</c>.</summary>
    public static readonly Counter<long> ReceiverDecodeErrors =
        Meter.CreateCounter<long>("flowactors.receiver.decode_errors", "{datagram}", "Datagrams that failed to decode, by port.");

    /// <summary>Per-shard observation batches sent to the host shards, tagged <c>port</c>.</summary>
    public static readonly Counter<long> ReceiverBatches =
        Meter.CreateCounter<long>("flowactors.receiver.batches", "{batch}", "Per-shard batches sent to the host shards, by port.");

    /// <summary>
    /// Datagrams or records dropped, tagged <c>port</c> and <c>reason</c>: <c>exporter_not_allowed</c> (datagrams),
    /// <c>output_full</c> (records), <c>in_flight_limit</c> (observations), <c>kernel</c> (datagrams).
    /// </summary>
    public static readonly Counter<long> ReceiverDropped =
        Meter.CreateCounter<long>("flowactors.receiver.dropped", "{item}", "Datagrams or records dropped, by port and reason.");

    /// <summary>Observations per batch a receive loop sends to one host shard (full buffer or flush tick).</summary>
    public static readonly Histogram<int> ReceiverBatchSize =
        Meter.CreateHistogram<int>("flowactors.receiver.batch.size", "{observation}", "Observations per batch sent to a host shard.",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000] });

    /// <summary>Time to decode one datagram into flow records, tagged <c>port</c>.</summary>
    public static readonly Histogram<double> ReceiverDecodeDuration =
        Meter.CreateHistogram<double>("flowactors.receiver.decode.duration", "s", "Time to decode one datagram, by port.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 1e-2] });

    /// <summary>Alerts journalled by the forwarder on this node.</summary>
    public static readonly Counter<long> ForwarderAccepted =
        Meter.CreateCounter<long>("flowactors.forwarder.accepted", "{alert}", "Alerts journalled by the forwarder on this node.");

    /// <summary>Alerts acknowledged without journalling because that version was accepted already.</summary>
    public static readonly Counter<long> ForwarderDuplicates =
        Meter.CreateCounter<long>("flowactors.forwarder.duplicates", "{alert}", "Alerts acknowledged as duplicates by the forwarder on this node.");

    /// <summary>Alert versions refused because a higher count of the same id was accepted already.</summary>
    public static readonly Counter<long> ForwarderStale =
        Meter.CreateCounter<long>("flowactors.forwarder.stale", "{alert}", "Alert versions older than one already accepted, acknowledged and not journalled.");

    /// <summary>Alerts refused (not acknowledged, the host actor retries) because the outbox was full.</summary>
    public static readonly Counter<long> ForwarderRefused =
        Meter.CreateCounter<long>("flowactors.forwarder.refused", "{alert}", "Alerts refused because the outbox was full.");

    private static ForwarderGauges? _forwarderGauges;

    static ClusterMetrics()
    {
        Meter.CreateObservableGauge("flowactors.forwarder.outbox", ObserveOutbox, "{alert}",
            "Alerts accepted but not yet delivered to every sink (only on the node running the forwarder).");
        Meter.CreateObservableGauge("flowactors.forwarder.sink.pending", ObservePending, "{alert}",
            "Alerts not yet delivered, by sink (only on the node running the forwarder).");
    }

    /// <summary>Makes <paramref name="gauges"/> the forwarder this node reports (the singleton instance that runs here).</summary>
    internal static void Attach(ForwarderGauges gauges) => Volatile.Write(ref _forwarderGauges, gauges);

    /// <summary>Stops reporting <paramref name="gauges"/> if it is still the one attached (a newer instance may have replaced it).</summary>
    internal static void Detach(ForwarderGauges gauges) => Interlocked.CompareExchange(ref _forwarderGauges, null, gauges);

    private static IEnumerable<Measurement<int>> ObserveOutbox()
    {
        if (Volatile.Read(ref _forwarderGauges) is { } g) yield return new Measurement<int>(g.Outbox);
    }

    private static IEnumerable<Measurement<int>> ObservePending()
    {
        if (Volatile.Read(ref _forwarderGauges) is not { } g) yield break;
        for (int i = 0; i < g.Sinks.Count; i++) yield return new Measurement<int>(g.Pending(i), new KeyValuePair<string, object?>("sink", g.Sinks[i]));
    }
}

/// <summary>
/// The forwarder's current backlog, written by the forwarder actor after every change and read by the observable
/// gauges at collection time (<see cref="Volatile"/> fields, no lock, no Ask).
/// </summary>
internal sealed class ForwarderGauges
{
    private readonly int[] _pending;
    private int _outbox;

    public ForwarderGauges(IReadOnlyList<string> sinks)
    {
        Sinks = sinks;
        _pending = new int[sinks.Count];
    }

    /// <summary>Sink names, in the order of <see cref="Pending"/>.</summary>
    public IReadOnlyList<string> Sinks { get; }

    /// <summary>Alerts some sink still has to deliver.</summary>
    public int Outbox
    {
        get => Volatile.Read(ref _outbox);
        set => Volatile.Write(ref _outbox, value);
    }

    /// <summary>Backlog of sink number <paramref name="index"/>.</summary>
    public int Pending(int index) => Volatile.Read(ref _pending[index]);

    /// <summary>Sets the backlog of sink number <paramref name="index"/>.</summary>
    public void SetPending(int index, int value) => Volatile.Write(ref _pending[index], value);
}
