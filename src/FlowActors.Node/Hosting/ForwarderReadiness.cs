using FlowActors.Cluster.Messages;

namespace FlowActors.Node.Hosting;

/// <summary>
/// The forwarder readiness check: the forwarder singleton answers (through this node's proxy), and each sink's
/// health is listed in the detail.
/// </summary>
/// <remarks>
/// A degraded sink does not fail readiness. Every node's alerts go to the one forwarder singleton, so a dead SIEM
/// degrades the sinks seen from every pod at once: failing readiness for it would take the whole cluster out of its
/// Service (and the NotReadyWatchdog would restart every pod) without bringing the SIEM back, while the forwarder
/// keeps journalling alerts and delivers them once the SIEM returns. A forwarder that does not answer does fail it:
/// then alerts cannot be accepted at all.
/// </remarks>
public static class ForwarderReadiness
{
    /// <summary>Name of the check.</summary>
    public const string Name = "forwarder";

    /// <summary>How long the forwarder has to answer a probe.</summary>
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);

    /// <summary>The check for a status reply: ready, with every degraded sink named in the detail.</summary>
    public static ReadinessCheck Evaluate(ForwarderStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var degraded = status.Sinks.Where(s => !string.Equals(s.Health, "healthy", StringComparison.OrdinalIgnoreCase)).ToList();
        string sinks = degraded.Count == 0
            ? $"{status.Sinks.Count} sink(s) healthy"
            : "degraded: " + string.Join(", ", degraded.Select(s => $"{s.Name} ({s.Pending} pending, {s.Failures} failed attempts, last error: {s.LastError ?? "none"})"))
              + $"; {status.Sinks.Count - degraded.Count} of {status.Sinks.Count} sink(s) healthy";
        return new ReadinessCheck(Name, true, $"answering on {status.NodeAddress}, {status.Outbox} alert(s) undelivered; {sinks}");
    }

    /// <summary>The check when the forwarder did not answer.</summary>
    public static ReadinessCheck NotAnswering(string why) => new(Name, false, why);
}
