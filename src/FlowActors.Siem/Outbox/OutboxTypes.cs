using System.Diagnostics.Metrics;

namespace FlowActors.Siem.Outbox;

/// <summary>An alert the forwarder's journal holds, under the journal sequence number it was accepted at.</summary>
public sealed class JournaledAlert
{
    /// <summary>Creates an entry.</summary>
    /// <param name="sequenceNr">Journal sequence number.</param>
    /// <param name="alert">The alert.</param>
    /// <param name="acceptedAt">When it was accepted.</param>
    /// <param name="traceParent">W3C traceparent of the span that accepted it, when traced.</param>
    public JournaledAlert(long sequenceNr, Alert alert, DateTimeOffset acceptedAt, string? traceParent = null)
    {
        ArgumentNullException.ThrowIfNull(alert);
        SequenceNr = sequenceNr;
        Alert = alert;
        AcceptedAt = acceptedAt;
        TraceParent = traceParent;
    }

    /// <summary>W3C traceparent of the forwarder span that accepted it (the parent of its delivery spans); null when not traced.</summary>
    public string? TraceParent { get; }

    /// <summary>Journal sequence number; also the pull API's cursor.</summary>
    public long SequenceNr { get; }

    /// <summary>The alert.</summary>
    public Alert Alert { get; }

    /// <summary>When this incarnation accepted (or recovered) it; delivery latency is measured from here.</summary>
    public DateTimeOffset AcceptedAt { get; }

    /// <summary>Sinks that still have to deliver it.</summary>
    internal int Holders { get; set; }
}

/// <summary>What <see cref="AlertOutbox.Offer"/> decided about an alert.</summary>
public enum OfferResult
{
    /// <summary>A new alert, or an update with a higher count: journal it, then <see cref="AlertOutbox.Append"/> it and acknowledge.</summary>
    Accept,

    /// <summary>This exact version (id and count) was accepted already: acknowledge without journalling.</summary>
    Duplicate,

    /// <summary>An older version (lower count than one already accepted): not journalled, counted; acknowledged so the sender stops resending a superseded version.</summary>
    Stale,

    /// <summary>Too many alerts are undelivered: not acknowledged, so the sender keeps it and retries.</summary>
    Full,
}

/// <summary>Bounds of an <see cref="AlertOutbox"/>.</summary>
public sealed record AlertOutboxOptions
{
    /// <summary>Alert versions remembered for duplicate and stale detection (default 20,000).</summary>
    public int RecentIdCapacity { get; init; } = 20_000;

    /// <summary>
    /// Last accepted alerts kept for the pull API whether or not every sink has them (default 10,000). A poller
    /// whose cursor is older than the oldest kept alert gets the oldest kept ones and <c>truncated</c>.
    /// </summary>
    public int PullWindow { get; init; } = 10_000;

    /// <summary>Alerts some sink still has to deliver, beyond which new alerts are refused unacknowledged (default 1,000,000).</summary>
    public int MaxUndelivered { get; init; } = 1_000_000;

    /// <summary>Alert ids remembered per sink for its <see cref="SinkPolicy.Updates"/> policy (default 20,000).</summary>
    public int UpdateMemory { get; init; } = 20_000;

    /// <summary>First delay after a failed delivery; doubles per further failure (default 1 s).</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between delivery attempts (default 60 s).</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>Alerts handed to one sink in one delivery.</summary>
public sealed class DeliveryBatch
{
    internal DeliveryBatch(string sink, List<JournaledAlert> entries)
    {
        Sink = sink;
        Entries = entries;
        var alerts = new Alert[entries.Count];
        for (int i = 0; i < alerts.Length; i++) alerts[i] = entries[i].Alert;
        Alerts = alerts;
    }

    /// <summary>Sink name.</summary>
    public string Sink { get; }

    /// <summary>The alerts, in journal order.</summary>
    public IReadOnlyList<Alert> Alerts { get; }

    /// <summary>Journal sequence number of the last alert.</summary>
    public long Through => Entries[^1].SequenceNr;

    /// <summary>How many times this batch has been handed out (1 on the first attempt).</summary>
    public int Attempt { get; internal set; }

    /// <summary>The journal entries of the alerts (sequence number, acceptance time, trace context).</summary>
    public IReadOnlyList<JournaledAlert> Journaled => Entries;

    internal List<JournaledAlert> Entries { get; }
}

/// <summary>Answer of the pull API.</summary>
/// <param name="Alerts">Alerts after the cursor, oldest first.</param>
/// <param name="Next">Cursor to pass as <c>after</c> next time (the last returned alert's, or the given one when none).</param>
/// <param name="Oldest">Cursor of the oldest alert still kept (0 when none).</param>
/// <param name="Truncated">True when alerts after the given cursor were already evicted from the window: the poller fell behind.</param>
public sealed record PullResult(IReadOnlyList<JournaledAlert> Alerts, long Next, long Oldest, bool Truncated);

/// <summary>Delivery state of one sink, as the outbox sees it.</summary>
/// <param name="Name">Sink name.</param>
/// <param name="DeliveredThrough">Every alert up to this journal sequence number is done for this sink (delivered, filtered or dropped).</param>
/// <param name="Backlog">Alerts waiting for this sink, including a batch in flight.</param>
/// <param name="Delivered">Alerts delivered by this incarnation.</param>
/// <param name="Failed">Failed delivery attempts by this incarnation.</param>
/// <param name="Dropped">Alerts dropped for this sink because its backlog was full (oldest first).</param>
/// <param name="RateLimited">Alerts that arrived above the sink's rate limit and waited.</param>
/// <param name="Filtered">Alerts below the sink's minimum severity.</param>
/// <param name="SuppressedUpdates">Updates not sent because of the sink's Updates policy.</param>
/// <param name="ConsecutiveFailures">Failed attempts since the last success.</param>
/// <param name="LastError">Last delivery error, if any.</param>
/// <param name="LastDeliveredAt">When a delivery last succeeded.</param>
/// <param name="LatencyP50Ms">Median delay from acceptance to delivery over the last 1,024 alerts, in milliseconds.</param>
/// <param name="LatencyP99Ms">99th percentile of the same.</param>
/// <param name="NextAttemptAt">When the next attempt may start after a failure.</param>
public sealed record SinkLaneStatus(
    string Name,
    long DeliveredThrough,
    int Backlog,
    long Delivered,
    long Failed,
    long Dropped,
    long RateLimited,
    long Filtered,
    long SuppressedUpdates,
    int ConsecutiveFailures,
    string? LastError,
    DateTimeOffset? LastDeliveredAt,
    double LatencyP50Ms,
    double LatencyP99Ms,
    DateTimeOffset? NextAttemptAt)
{
    /// <summary><c>healthy</c>, or <c>degraded</c> while deliveries fail.</summary>
    public string Health => ConsecutiveFailures == 0 ? "healthy" : "degraded";
}

/// <summary>
/// The outbox's System.Diagnostics.Metrics instruments (meter <c>FlowActors.Siem.Outbox</c>), each tagged with the
/// sink name, recorded where the outbox decides (lock-free).
/// </summary>
public static class OutboxMetrics
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "FlowActors.Siem.Outbox";

    private static readonly Meter Meter = new(MeterName);

    internal static readonly Counter<long> Delivered = Meter.CreateCounter<long>("flowactors.siem.delivered", "{alert}", "Alerts delivered, by sink.");
    internal static readonly Counter<long> Failed = Meter.CreateCounter<long>("flowactors.siem.failed", "{attempt}", "Failed delivery attempts, by sink.");
    internal static readonly Counter<long> Retried = Meter.CreateCounter<long>("flowactors.siem.retried", "{attempt}", "Delivery retries inside one attempt, by sink.");
    internal static readonly Counter<long> Dropped = Meter.CreateCounter<long>("flowactors.siem.dropped", "{alert}", "Alerts dropped for a sink whose backlog was full, by sink.");
    internal static readonly Counter<long> RateLimited = Meter.CreateCounter<long>("flowactors.siem.rate_limited", "{alert}", "Alerts held back by a sink's rate limit, by sink.");
    internal static readonly Counter<long> Suppressed = Meter.CreateCounter<long>("flowactors.siem.suppressed_updates", "{alert}", "Updates not sent because of a sink's Updates policy, by sink.");
    internal static readonly Histogram<double> Latency = Meter.CreateHistogram<double>("flowactors.siem.delivery.duration", "s", "Delay from acceptance by the forwarder to delivery, by sink.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800] });

    internal static KeyValuePair<string, object?> Tag(string sink) => new("sink", sink);
}
