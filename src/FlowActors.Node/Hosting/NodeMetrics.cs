using System.Diagnostics.Metrics;
using Akka.Actor;
using Akka.Cluster;

namespace FlowActors.Node.Hosting;

/// <summary>
/// Node-level instruments on the <c>FlowActors.Node</c> meter: uptime, cluster membership as this node sees it, and
/// operator requests. The receivers', host shards' and forwarder's instruments are recorded where their events happen
/// (<c>FlowActors.Cluster</c>, <c>FlowActors.Siem</c> meters); nothing here asks an actor.
/// </summary>
public sealed class NodeMetrics : IDisposable
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "FlowActors.Node";

    private readonly Meter _meter = new(MeterName, NodeInfo.Version);
    private readonly Counter<long> _operatorRequests;
    private volatile ActorSystem? _system;

    /// <summary>Creates the instruments.</summary>
    public NodeMetrics(NodeInfo info)
    {
        _meter.CreateObservableGauge("flowactors.node.uptime", () => info.Uptime.TotalSeconds, "s", "Time since the node process started.");
        _meter.CreateObservableGauge("flowactors.cluster.members", ObserveMembers, "{member}", "Cluster members this node sees, by status.");
        _meter.CreateObservableGauge("flowactors.cluster.unreachable", ObserveUnreachable, "{member}", "Members this node sees as unreachable.");
        _meter.CreateObservableGauge("flowactors.cluster.self_up", ObserveSelfUp, "{bool}", "1 when this node is an Up member of the cluster.");
        _operatorRequests = _meter.CreateCounter<long>("flowactors.operator.requests", "{request}", "Operator endpoint requests, by route group and status code.");
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
