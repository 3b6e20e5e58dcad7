using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using FlowActors.Cluster.Hosting;
using FlowActors.Cluster.Messages;

namespace FlowActors.Node.Hosting;

/// <summary>
/// Node-level instruments on the <c>FlowActors.Node</c> meter: cluster membership, uptime, operator requests,
/// and the receivers' and forwarder's counters, which are asked for (<see cref="RefreshAsync"/>) when
/// metrics are scraped, so nothing polls between scrapes.
/// </summary>
public sealed class NodeMetrics : IDisposable
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "FlowActors.Node";

    private readonly Meter _meter = new(MeterName, NodeInfo.Version);
    private readonly Counter<long> _operatorRequests;
    private volatile ActorSystem? _system;
    private volatile ReceiverStats? _receivers;
    private volatile ForwarderStatus? _forwarder;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(2);

    /// <summary>Creates the instruments.</summary>
    public NodeMetrics(NodeInfo info)
    {
        _meter.CreateObservableGauge("flowactors.node.uptime", () => info.Uptime.TotalSeconds, "s", "Time since the node process started.");
        _meter.CreateObservableGauge("flowactors.cluster.members", ObserveMembers, "{member}", "Cluster members this node sees, by status.");
        _meter.CreateObservableGauge("flowactors.cluster.unreachable", ObserveUnreachable, "{member}", "Members this node sees as unreachable.");
        _meter.CreateObservableGauge("flowactors.cluster.self_up", ObserveSelfUp, "{bool}", "1 when this node is an Up member of the cluster.");
        _operatorRequests = _meter.CreateCounter<long>("flowactors.operator.requests", "{request}", "Operator endpoint requests, by route group and status code.");

        _meter.CreateObservableCounter("flowactors.receiver.datagrams", () => PerPort(p => p.Datagrams), "{datagram}", "UDP datagrams received, by port.");
        _meter.CreateObservableCounter("flowactors.receiver.received", () => PerPort(p => p.Bytes), "By", "UDP payload bytes received, by port.");
        _meter.CreateObservableCounter("flowactors.receiver.records", () => PerPort(p => p.Records), "{record}", "Flow records decoded, by port.");
        _meter.CreateObservableCounter("flowactors.receiver.observations", () => PerPort(p => p.Observations), "{observation}", "Host observations batched for the host shards, by port.");
        _meter.CreateObservableCounter("flowactors.receiver.decode_errors", () => PerPort(p => p.DecodeErrors), "{datagram}", "Datagrams that failed to decode, by port.");
        _meter.CreateObservableCounter("flowactors.receiver.batches", () => PerPort(p => p.BatchesSent), "{batch}", "Per-shard batches sent to the host shards, by port.");
        _meter.CreateObservableCounter("flowactors.receiver.dropped", ObserveDropped, "{item}", "Datagrams or records dropped, by port and reason.");
        _meter.CreateObservableGauge("flowactors.forwarder.outbox", ObserveOutbox, "{alert}", "Alerts accepted but not yet delivered to every sink (on the node running the forwarder).");
        _meter.CreateObservableCounter("flowactors.forwarder.accepted", () => Forwarder(f => f.Accepted), "{alert}", "Alerts journalled by the current forwarder incarnation.");
        _meter.CreateObservableCounter("flowactors.forwarder.duplicates", () => Forwarder(f => f.Duplicates), "{alert}", "Alerts acknowledged as duplicates by the current forwarder incarnation.");
        _meter.CreateObservableCounter("flowactors.forwarder.refused", () => Forwarder(f => f.Refused), "{alert}", "Alerts refused because the outbox was full.");
        _meter.CreateObservableGauge("flowactors.forwarder.sink.pending", () => PerSink(k => k.Pending), "{alert}", "Alerts not yet delivered, by sink.");
        _meter.CreateObservableCounter("flowactors.forwarder.sink.delivered", () => PerSink(k => k.Delivered), "{alert}", "Alerts delivered by the current forwarder incarnation, by sink.");
        _meter.CreateObservableCounter("flowactors.forwarder.sink.failures", () => PerSink(k => k.Failures), "{attempt}", "Failed delivery attempts, by sink.");
    }

    /// <summary>Asks this node's receivers and the forwarder for their counters; what does not answer in time keeps its last value.</summary>
    public async Task RefreshAsync()
    {
        var system = _system;
        if (system is null) return;
        var registry = ActorRegistry.For(system);
        if (registry.TryGet<ReceiverMarker>(out var receivers))
        {
            try
            {
                _receivers = await receivers.Ask<ReceiverStats>(GetReceiverStats.Instance, AskTimeout);
            }
            catch (AskTimeoutException)
            {
            }
        }

        if (registry.TryGet<ForwarderProxyMarker>(out var forwarder))
        {
            try
            {
                var status = await forwarder.Ask<ForwarderStatus>(GetForwarderStatus.Instance, AskTimeout);
                // Only the node running the singleton reports it, so a cluster-wide sum counts it once.
                _forwarder = status.NodeAddress == Akka.Cluster.Cluster.Get(system).SelfAddress.ToString() ? status : null;
            }
            catch (AskTimeoutException)
            {
            }
        }
    }

    private IEnumerable<Measurement<long>> PerPort(Func<PortStats, long> value)
    {
        var stats = _receivers;
        if (stats is null) yield break;
        foreach (var port in stats.Ports) yield return new Measurement<long>(value(port), new KeyValuePair<string, object?>("port", port.Port));
    }

    private IEnumerable<Measurement<long>> ObserveDropped()
    {
        var stats = _receivers;
        if (stats is null) yield break;
        foreach (var port in stats.Ports)
        {
            var tag = new KeyValuePair<string, object?>("port", port.Port);
            yield return new Measurement<long>(port.DroppedNotAllowed, tag, new KeyValuePair<string, object?>("reason", "exporter_not_allowed"));
            yield return new Measurement<long>(port.DroppedOutputFull, tag, new KeyValuePair<string, object?>("reason", "output_full"));
            yield return new Measurement<long>(port.DroppedHostLimit, tag, new KeyValuePair<string, object?>("reason", "in_flight_limit"));
            yield return new Measurement<long>(port.DroppedKernel, tag, new KeyValuePair<string, object?>("reason", "kernel"));
        }
    }

    private IEnumerable<Measurement<int>> ObserveOutbox()
    {
        if (_forwarder is { } f) yield return new Measurement<int>(f.Outbox);
    }

    private IEnumerable<Measurement<long>> Forwarder(Func<ForwarderStatus, long> value)
    {
        if (_forwarder is { } f) yield return new Measurement<long>(value(f));
    }

    private IEnumerable<Measurement<long>> PerSink(Func<SinkStatus, long> value)
    {
        if (_forwarder is not { } f) yield break;
        foreach (var sink in f.Sinks) yield return new Measurement<long>(value(sink), new KeyValuePair<string, object?>("sink", sink.Name));
    }

    /// <summary>Starts observing <paramref name="system"/>'s cluster.</summary>
    public void Attach(ActorSystem system) => _system = system;

    /// <summary>Counts one operator request.</summary>
    public void CountRequest(string group, int status) =>
        _operatorRequests.Add(1, new KeyValuePair<string, object?>("group", group), new KeyValuePair<string, object?>("status", status));

    private IEnumerable<Measurement<int>> ObserveMembers()
    {
        var system = _system;
        if (system is null) yield break;
        var counts = new Dictionary<MemberStatus, int>();
        foreach (var member in Akka.Cluster.Cluster.Get(system).State.Members)
        {
            counts[member.Status] = counts.GetValueOrDefault(member.Status) + 1;
        }

        foreach (var (status, count) in counts)
        {
            yield return new Measurement<int>(count, new KeyValuePair<string, object?>("status", status.ToString().ToLowerInvariant()));
        }
    }

    private int ObserveUnreachable()
    {
        var system = _system;
        return system is null ? 0 : Akka.Cluster.Cluster.Get(system).State.Unreachable.Count;
    }

    private int ObserveSelfUp()
    {
        var system = _system;
        return system is not null && Akka.Cluster.Cluster.Get(system).SelfMember.Status == MemberStatus.Up ? 1 : 0;
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
