namespace FlowActors.Cluster.Messages;

/// <summary>Host actor → forwarder: accept this alert. Answered with <see cref="AlertAccepted"/> once journalled.</summary>
/// <param name="Alert">The alert (its id is deterministic).</param>
public sealed record ForwardAlert(Alert Alert) : IFlowActorsMessage;

/// <summary>
/// Forwarder → host actor: this version of the alert (id and suppression count) is journalled, or was already,
/// and will be delivered.
/// </summary>
/// <param name="AlertId">The alert's id.</param>
/// <param name="Count">The alert's <c>Count</c>: a later update of the same id (higher count) is a new version.</param>
public sealed record AlertAccepted(string AlertId, int Count = 1) : IFlowActorsMessage;

/// <summary>Asks the forwarder singleton for its status.</summary>
public sealed record GetForwarderStatus : IFlowActorsMessage
{
    /// <summary>The single instance.</summary>
    public static readonly GetForwarderStatus Instance = new();
    private GetForwarderStatus() { }
}

/// <summary>Delivery state of one sink.</summary>
/// <param name="Name">Sink name.</param>
/// <param name="DeliveredThrough">Journal sequence number through which this sink has every alert.</param>
/// <param name="Pending">Alerts journalled but not yet delivered to this sink.</param>
/// <param name="Delivered">Alerts delivered by this incarnation.</param>
/// <param name="Failures">Failed delivery attempts by this incarnation.</param>
/// <param name="LastError">Last delivery error, if any.</param>
public sealed record SinkStatus(string Name, long DeliveredThrough, int Pending, long Delivered, long Failures, string? LastError);

/// <summary>Reply to <see cref="GetForwarderStatus"/>.</summary>
/// <param name="NodeAddress">Akka address of the node the singleton runs on.</param>
/// <param name="LastSequenceNr">Last journal sequence number.</param>
/// <param name="Outbox">Alerts not yet delivered to every sink.</param>
/// <param name="Accepted">Alerts journalled by this incarnation.</param>
/// <param name="Duplicates">Alerts acknowledged without journalling because their id was already accepted.</param>
/// <param name="Refused">Alerts refused because the outbox was full (the host actor retries).</param>
/// <param name="Recovered">True when this incarnation recovered events or a snapshot.</param>
/// <param name="Sinks">Per-sink delivery state.</param>
public sealed record ForwarderStatus(
    string NodeAddress,
    long LastSequenceNr,
    int Outbox,
    long Accepted,
    long Duplicates,
    long Refused,
    bool Recovered,
    IReadOnlyList<SinkStatus> Sinks) : IFlowActorsMessage;

/// <summary>Journal event: an alert accepted into the outbox.</summary>
/// <param name="Alert">The alert.</param>
public sealed record AlertJournaled(Alert Alert) : IFlowActorsMessage;

/// <summary>Journal event: <paramref name="Sink"/> has every alert through journal sequence number <paramref name="DeliveredThrough"/>.</summary>
/// <param name="Sink">Sink name.</param>
/// <param name="DeliveredThrough">Sequence number.</param>
public sealed record SinkProgress(string Sink, long DeliveredThrough) : IFlowActorsMessage;

/// <summary>One outbox entry: an alert and the journal sequence number it was accepted at.</summary>
/// <param name="SequenceNr">Journal sequence number of its <see cref="AlertJournaled"/> event.</param>
/// <param name="Alert">The alert.</param>
public sealed record OutboxEntry(long SequenceNr, Alert Alert);

/// <summary>Snapshot of the forwarder: undelivered alerts, per-sink progress and recently accepted ids (dedup).</summary>
/// <param name="Outbox">Alerts some sink has not yet got, in journal order.</param>
/// <param name="Progress">Per-sink delivered-through sequence numbers.</param>
/// <param name="RecentIds">Versions (<c>id#count</c>) of recently accepted alerts, oldest first (bounded).</param>
public sealed record ForwarderSnapshot(
    IReadOnlyList<OutboxEntry> Outbox,
    IReadOnlyList<SinkProgress> Progress,
    IReadOnlyList<string> RecentIds) : IFlowActorsMessage;
