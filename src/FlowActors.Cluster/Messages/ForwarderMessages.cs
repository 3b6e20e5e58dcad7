namespace FlowActors.Cluster.Messages;

/// <summary>Host actor → forwarder: accept this alert. Answered with <see cref="AlertAccepted"/> once journalled.</summary>
/// <param name="Alert">The alert (its id is deterministic).</param>
/// <param name="TraceParent">W3C <c>traceparent</c> of the span that raised the alert, when that span was sampled; null otherwise.</param>
public sealed record ForwardAlert(Alert Alert, string? TraceParent = null) : IFlowActorsMessage;

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
/// <param name="DeliveredThrough">Journal sequence number through which this sink has every alert (delivered, filtered or dropped).</param>
/// <param name="Pending">Alerts waiting for this sink (its backlog, including a batch in flight).</param>
/// <param name="Delivered">Alerts delivered by this incarnation.</param>
/// <param name="Failures">Failed delivery attempts by this incarnation.</param>
/// <param name="LastError">Last delivery error, if any.</param>
public sealed record SinkStatus(string Name, long DeliveredThrough, int Pending, long Delivered, long Failures, string? LastError)
{
    /// <summary>Retries made inside delivery attempts (Polly).</summary>
    public long Retried { get; init; }

    /// <summary>Alerts dropped for this sink because its backlog was full (oldest first).</summary>
    public long Dropped { get; init; }

    /// <summary>Alerts that arrived above the sink's rate limit and waited.</summary>
    public long RateLimited { get; init; }

    /// <summary>Alerts below the sink's minimum severity.</summary>
    public long Filtered { get; init; }

    /// <summary>Updates not sent because of the sink's Updates policy.</summary>
    public long SuppressedUpdates { get; init; }

    /// <summary>Circuit breaker state: closed, open, half-open.</summary>
    public string Circuit { get; init; } = "closed";

    /// <summary><c>healthy</c>, or <c>degraded</c> while deliveries to this sink fail (for readiness and alerting).</summary>
    public string Health { get; init; } = "healthy";

    /// <summary>Median delay from acceptance to delivery over the last 1,024 alerts, in milliseconds.</summary>
    public double LatencyP50Ms { get; init; }

    /// <summary>99th percentile of the same.</summary>
    public double LatencyP99Ms { get; init; }

    /// <summary>When the next attempt may start after a failure (Unix ms; 0 when not waiting).</summary>
    public long NextAttemptUnixMs { get; init; }
}

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
    IReadOnlyList<SinkStatus> Sinks) : IFlowActorsMessage
{
    /// <summary>Versions refused because a higher count of the same id was accepted already (counts must rise).</summary>
    public long Stale { get; init; }

    /// <summary>Cursor of the oldest alert the pull API still has (0 when none).</summary>
    public long PullOldest { get; init; }
}

/// <summary>
/// Pull API query: alerts journalled after cursor <paramref name="After"/> (a journal sequence number), at most
/// <paramref name="Limit"/>; with no cursor, the last <paramref name="Limit"/> alerts. Answered with <see cref="PulledAlerts"/>.
/// </summary>
/// <param name="After">Cursor from the previous answer's <see cref="PulledAlerts.Next"/>, or null for the most recent alerts.</param>
/// <param name="Limit">Most alerts to return.</param>
public sealed record PullAlerts(long? After, int Limit) : IFlowActorsMessage;

/// <summary>One alert of a <see cref="PulledAlerts"/> answer.</summary>
/// <param name="Cursor">Its journal sequence number: pass it as <c>after</c> to get what follows.</param>
/// <param name="Alert">The alert.</param>
public sealed record PulledAlert(long Cursor, Alert Alert);

/// <summary>Answer to <see cref="PullAlerts"/>.</summary>
/// <param name="Alerts">Alerts after the cursor, oldest first.</param>
/// <param name="Next">Cursor for the next call.</param>
/// <param name="Oldest">Cursor of the oldest alert still kept (0 when none).</param>
/// <param name="Truncated">True when alerts after the given cursor had already left the window (the poller fell behind).</param>
/// <param name="Window">How many recent alerts the forwarder keeps for pulling.</param>
public sealed record PulledAlerts(IReadOnlyList<PulledAlert> Alerts, long Next, long Oldest, bool Truncated, int Window) : IFlowActorsMessage;

/// <summary>Journal event: an alert accepted into the outbox.</summary>
/// <param name="Alert">The alert.</param>
/// <param name="TraceParent">W3C <c>traceparent</c> of the forwarder's accept span, so deliveries after a restart join the alert's trace; null when not traced.</param>
public sealed record AlertJournaled(Alert Alert, string? TraceParent = null) : IFlowActorsMessage;

/// <summary>Journal event: <paramref name="Sink"/> has every alert through journal sequence number <paramref name="DeliveredThrough"/>.</summary>
/// <param name="Sink">Sink name.</param>
/// <param name="DeliveredThrough">Sequence number.</param>
public sealed record SinkProgress(string Sink, long DeliveredThrough) : IFlowActorsMessage;

/// <summary>One outbox entry: an alert and the journal sequence number it was accepted at.</summary>
/// <param name="SequenceNr">Journal sequence number of its <see cref="AlertJournaled"/> event.</param>
/// <param name="Alert">The alert.</param>
/// <param name="TraceParent">W3C <c>traceparent</c> of the span that raised the alert, if it was traced.</param>
public sealed record OutboxEntry(long SequenceNr, Alert Alert, string? TraceParent = null);

/// <summary>Snapshot of the forwarder: undelivered alerts, per-sink progress and recently accepted ids (dedup).</summary>
/// <param name="Outbox">Alerts some sink has not yet got, in journal order.</param>
/// <param name="Progress">Per-sink delivered-through sequence numbers.</param>
/// <param name="RecentIds">Versions (<c>id#count</c>) of recently accepted alerts, oldest first (bounded).</param>
public sealed record ForwarderSnapshot(
    IReadOnlyList<OutboxEntry> Outbox,
    IReadOnlyList<SinkProgress> Progress,
    IReadOnlyList<string> RecentIds) : IFlowActorsMessage;
