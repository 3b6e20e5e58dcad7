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
            // A secret shows as the mask when set (so an operator sees it is there), as null when not.
            options = SinkKinds.OwnSettings(k.Options).ToDictionary(
                o => o.Key,
                o => SinkKinds.IsSecret(o.Key) && o.Value is string { Length: > 0 } ? Mask : o.Value,
                StringComparer.OrdinalIgnoreCase),
        }).ToArray(),
    };
}
