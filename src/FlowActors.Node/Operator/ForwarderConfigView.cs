using FlowActors.Node.Configuration;

namespace FlowActors.Node.Operator;

/// <summary>The forwarder's settings as <c>flowctl node config</c> shows them: every sink with its policy, secrets masked.</summary>
internal static class ForwarderConfigView
{
    /// <summary>Mask shown instead of a secret.</summary>
    public const string Mask = "***";

    public static object Describe(ForwarderSettings forwarder) => new
    {
        pull_window = forwarder.PullWindow,
        sinks = forwarder.Sinks.Select(k => new
        {
            name = k.Name,
            kind = k.Kind.ToString().ToLowerInvariant(),
            path = k.Path,
            min_severity = k.Policy.MinSeverity,
            batch_size = k.Policy.BatchSize,
            max_backlog = k.Policy.MaxBacklog,
            updates = k.Policy.Updates.ToString(),
            rate_limit_per_second = k.Policy.RateLimitPerSecond,
            options = k.Options.ToDictionary(o => o.Key, o => SinkKinds.IsSecret(o.Key) ? Mask : o.Value, StringComparer.OrdinalIgnoreCase),
        }).ToArray(),
    };
}
