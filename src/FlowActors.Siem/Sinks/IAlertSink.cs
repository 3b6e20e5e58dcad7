namespace FlowActors.Siem.Sinks;

/// <summary>
/// A destination for alerts (a file, the console, a syslog server, an HTTP collector). The SIEM forwarder
/// delivers every journalled alert to every sink at least once and records, per sink <see cref="Name"/>,
/// how far delivery has got; a sink therefore must be idempotent or tolerate duplicates (alert ids are
/// deterministic so downstream systems can drop them).
/// </summary>
public interface IAlertSink : IAsyncDisposable
{
    /// <summary>Stable name under which delivery progress is recorded (e.g. <c>jsonl</c>, <c>console</c>).
    /// Renaming a sink makes the forwarder redeliver everything pending to it.</summary>
    string Name { get; }

    /// <summary>
    /// Delivers <paramref name="alerts"/> in order. Returns only when they are durably handed over; throws
    /// when they were not (the forwarder retries the same alerts later).
    /// </summary>
    ValueTask DeliverAsync(IReadOnlyList<Alert> alerts, CancellationToken cancellationToken);
}
