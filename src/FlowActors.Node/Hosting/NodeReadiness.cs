using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlowActors.Node.Hosting;

/// <summary>
/// The node's probes on top of <see cref="HealthCheckService"/>: checks tagged <see cref="LiveTag"/> answer
/// <c>/healthz/live</c>, checks tagged <see cref="ReadyTag"/> answer <c>/healthz/ready</c>, the
/// <see cref="NotReadyWatchdog"/> and the demo feed. A degraded check (a SIEM sink failing) keeps the node ready and
/// is named in the report; an unhealthy one makes it not ready.
/// </summary>
public sealed class NodeReadiness(HealthCheckService health)
{
    /// <summary>Tag of the liveness checks.</summary>
    public const string LiveTag = "live";

    /// <summary>Tag of the readiness checks.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Tags of a readiness check.</summary>
    public static readonly string[] ReadyTags = [ReadyTag];

    /// <summary>Runs the readiness checks; a failure of the health check service itself is an unhealthy report.</summary>
    public async Task<HealthReport> CheckAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await health.CheckHealthAsync(r => r.Tags.Contains(ReadyTag), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // E.g. the actor system, which the Akka checks resolve, failed to start.
            var entry = new HealthReportEntry(HealthStatus.Unhealthy, "the health checks could not run: " + ex.Message, TimeSpan.Zero, ex, null);
            return new HealthReport(new Dictionary<string, HealthReportEntry> { ["health-checks"] = entry }, TimeSpan.Zero);
        }
    }

    /// <summary>Whether no readiness check is unhealthy.</summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken = default) =>
        IsReady(await CheckAsync(cancellationToken).ConfigureAwait(false));

    /// <summary>Whether <paramref name="report"/> lets the node take traffic (degraded does).</summary>
    public static bool IsReady(HealthReport report) => report.Status != HealthStatus.Unhealthy;

    /// <summary>
    /// The probe body: <c>{"status":"ready"|"not-ready","checks":[{"name","status","ok","detail","duration_ms"}]}</c>
    /// (<c>live</c>/<c>not-live</c> on the liveness probe), the <c>detail</c> being each check's description.
    /// </summary>
    public static Func<HttpContext, HealthReport, Task> JsonWriter(string upWord, JsonSerializerOptions json) => (context, report) =>
    {
        var body = new ProbeBody(
            IsReady(report) ? upWord : "not-" + upWord,
            [.. report.Entries.Select(e => new ProbeCheck(
                e.Key,
                e.Value.Status.ToString().ToLowerInvariant(),
                e.Value.Status != HealthStatus.Unhealthy,
                e.Value.Description ?? e.Value.Exception?.Message ?? "",
                Math.Round(e.Value.Duration.TotalMilliseconds, 1)))]);
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsJsonAsync(body, json);
    };

    /// <summary>Probe response.</summary>
    /// <param name="Status">ready/not-ready or live/not-live.</param>
    /// <param name="Checks">Every check that ran.</param>
    public sealed record ProbeBody(string Status, IReadOnlyList<ProbeCheck> Checks);

    /// <summary>One check in a probe response.</summary>
    /// <param name="Name">What is checked.</param>
    /// <param name="Status">healthy, degraded or unhealthy.</param>
    /// <param name="Ok">Whether it lets the node take traffic (healthy or degraded).</param>
    /// <param name="Detail">What was seen.</param>
    /// <param name="DurationMs">How long the check took.</param>
    public sealed record ProbeCheck(string Name, string Status, bool Ok, string Detail, double DurationMs);
}

/// <summary>
/// Ready only while this node is an <see cref="MemberStatus.Up"/> member. Akka.Cluster.Hosting's
/// <c>AkkaClusterReadinessCheck</c> stays healthy once the node has joined, also while it leaves or after it was
/// downed; a node that leaves must stop taking traffic, so this check looks at the member's status on every probe.
/// </summary>
public sealed class ClusterMemberUpCheck : IAkkaHealthCheck
{
    /// <summary>Name of the check.</summary>
    public const string Name = "cluster-member-up";

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(AkkaHealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var self = Akka.Cluster.Cluster.Get(context.ActorSystem).SelfMember;
        string detail = $"{self.Address} is {self.Status}";
        return Task.FromResult(self.Status == MemberStatus.Up ? HealthCheckResult.Healthy(detail) : HealthCheckResult.Unhealthy(detail));
    }
}

/// <summary>Ready once the actor registered as <typeparamref name="TMarker"/> (a shard region, a singleton proxy) exists.</summary>
/// <typeparam name="TMarker">The Akka.Hosting registry key.</typeparam>
public sealed class RegisteredActorCheck<TMarker> : IAkkaHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(AkkaHealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(context.ActorRegistry.TryGet<TMarker>(out var actor)
            ? HealthCheckResult.Healthy(actor.Path.ToStringWithoutAddress())
            : HealthCheckResult.Unhealthy("not started"));
}
