using Akka.Actor;
using Akka.Hosting;
using FlowActors.Cluster.Hosting;
using FlowActors.Cluster.Messages;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlowActors.Node.Hosting;

/// <summary>
/// The forwarder readiness check: the forwarder singleton answers (through this node's proxy); a degraded sink
/// reports <see cref="HealthStatus.Degraded"/>, named in the description.
/// </summary>
/// <remarks>
/// A degraded sink does not fail readiness. Every node's alerts go to the one forwarder singleton, so a dead SIEM
/// degrades the sinks seen from every pod at once: failing readiness for it would take the whole cluster out of its
/// Service (and the NotReadyWatchdog would restart every pod) without bringing the SIEM back, while the forwarder
/// keeps journalling alerts and delivers them once the SIEM returns. A forwarder that does not answer does fail it:
/// then alerts cannot be accepted at all.
/// </remarks>
public sealed class ForwarderReadiness : IAkkaHealthCheck
{
    /// <summary>Name of the check.</summary>
    public const string Name = "forwarder";

    /// <summary>How long the forwarder has to answer a probe.</summary>
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(AkkaHealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!context.ActorRegistry.TryGet<ForwarderProxyMarker>(out var forwarder)) return NotAnswering("forwarder proxy not started");
        try
        {
            var status = await forwarder.Ask<ForwarderStatus>(GetForwarderStatus.Instance, AskTimeout, cancellationToken).ConfigureAwait(false);
            return Evaluate(status);
        }
        catch (AskTimeoutException)
        {
            return NotAnswering($"forwarder singleton did not answer within {AskTimeout.TotalSeconds:0} s (starting, recovering its journal, or moving to another node)");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return NotAnswering("forwarder failed to report: " + ex.Message);
        }
    }

    /// <summary>The result for a status reply: healthy, or degraded with every degraded sink named.</summary>
    public static HealthCheckResult Evaluate(ForwarderStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var degraded = status.Sinks.Where(s => !string.Equals(s.Health, "healthy", StringComparison.OrdinalIgnoreCase)).ToList();
        string sinks = degraded.Count == 0
            ? $"{status.Sinks.Count} sink(s) healthy"
            : "degraded: " + string.Join(", ", degraded.Select(s => $"{s.Name} ({s.Pending} pending, {s.Failures} failed attempts, last error: {s.LastError ?? "none"})"))
              + $"; {status.Sinks.Count - degraded.Count} of {status.Sinks.Count} sink(s) healthy";
        string detail = $"answering on {status.NodeAddress}, {status.Outbox} alert(s) undelivered; {sinks}";
        return degraded.Count == 0 ? HealthCheckResult.Healthy(detail) : HealthCheckResult.Degraded(detail);
    }

    /// <summary>The result when the forwarder did not answer.</summary>
    public static HealthCheckResult NotAnswering(string why) => HealthCheckResult.Unhealthy(why);
}
