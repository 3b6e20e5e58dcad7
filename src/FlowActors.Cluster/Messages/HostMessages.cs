using FlowActors.Protocols;

namespace FlowActors.Cluster.Messages;

/// <summary>
/// A batch of observations of one monitored host, sent by a receiver when the host's pending batch is full
/// or on the flush tick. One message per host per flush, never one per flow.
/// </summary>
/// <param name="Host">The monitored host.</param>
/// <param name="Observations">The observations, oldest first (the array is owned by the message).</param>
public sealed record ObserveBatch(FlowAddress Host, FlowObservation[] Observations) : IHostMessage;

/// <summary>Sent to a host entity when it is passivated or handed off: snapshot, then stop.</summary>
public sealed record StopHost : IFlowActorsMessage
{
    /// <summary>The single instance.</summary>
    public static readonly StopHost Instance = new();
    private StopHost() { }
}

/// <summary>Asks the host entity for its state (starts it, restoring its snapshot, if it was not running).</summary>
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
    int SnapshotBytes) : IFlowActorsMessage;

/// <summary>The state a host entity persists as its snapshot.</summary>
/// <param name="Host">The monitored host.</param>
/// <param name="FlowsObserved">Observations applied since the host was first seen.</param>
/// <param name="Behavior">The detection state (<c>HostBehavior.WriteSnapshot</c>).</param>
/// <param name="Unacknowledged">Alerts not yet acknowledged by the forwarder (redelivered after restore).</param>
public sealed record HostSnapshot(FlowAddress Host, long FlowsObserved, byte[] Behavior, Alert[] Unacknowledged) : IFlowActorsMessage;
