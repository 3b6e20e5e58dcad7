using FlowActors.Siem.Sinks;

namespace FlowActors.Siem.Outbox;

/// <summary>
/// A configured sink as the forwarder sees it: its stable name, its delivery policy and how to create it. The sink
/// is created on the forwarder's node when it is first delivered to, so a sink that cannot be created fails (and is
/// retried) on its own.
/// </summary>
/// <param name="Name">Stable name under which delivery progress is journalled.</param>
/// <param name="Policy">Severity filter, batching, backlog, updates and rate limit.</param>
/// <param name="Create">Creates the sink; may throw (counted as a failed delivery of this sink).</param>
public sealed record AlertSinkDefinition(string Name, SinkPolicy Policy, Func<IAlertSink> Create)
{
    /// <summary>Whether a sink whose delivery failed is closed and created again (default true; false for a shared instance).</summary>
    public bool ReopenAfterFailure { get; init; } = true;

    /// <summary>Retry, circuit-breaker and timeout settings.</summary>
    public SinkRetryOptions Retry { get; init; } = new();
}
