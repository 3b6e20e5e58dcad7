using Akka.Actor;
using Akka.Hosting;
using FlowActors.Cluster.Hosting;
using FlowActors.Cluster.Messages;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FlowActors.Node.Hosting;

/// <summary>
/// Ready only while every configured UDP port is bound and every one of its receive loops runs: the receivers
/// open after the shard region is up (a datagram sent before that is lost), a port another process holds is not
/// bound, and a port whose receive loop died is down until its receiver has rebound it.
/// </summary>
public sealed class ReceiverReadiness(IReadOnlyList<int> expectedPorts, int socketsPerPort) : IAkkaHealthCheck
{
    /// <summary>Name of the readiness check.</summary>
    public const string Name = "flow-receivers";

    /// <summary>How long the receivers have to report.</summary>
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(2);

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(AkkaHealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!context.ActorRegistry.TryGet<ReceiverMarker>(out var receivers)) return HealthCheckResult.Unhealthy("not started");
        try
        {
            var stats = await receivers.Ask<ReceiverStats>(GetReceiverStats.Instance, AskTimeout, cancellationToken).ConfigureAwait(false);
            return Evaluate(stats.Ports, expectedPorts, socketsPerPort);
        }
        catch (AskTimeoutException)
        {
            return HealthCheckResult.Unhealthy($"receivers did not answer within {AskTimeout.TotalSeconds:0} s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("receivers failed to report: " + ex.Message);
        }
    }

    /// <summary>
    /// The result for <paramref name="ports"/> (as the receivers report them; <see cref="PortStats.Sockets"/> counts
    /// running loops) against the configured <paramref name="expectedPorts"/> with <paramref name="socketsPerPort"/> each.
    /// </summary>
    public static HealthCheckResult Evaluate(IReadOnlyList<PortStats> ports, IReadOnlyList<int> expectedPorts, int socketsPerPort)
    {
        var problems = new List<string>();
        foreach (int port in expectedPorts)
        {
            var bound = ports.FirstOrDefault(p => p.Port == port);
            if (bound is null || bound.Sockets == 0)
                problems.Add($"UDP {port} not bound (in use by another process, its receive loop died and it is being rebound, or not opened yet: see the log)");
            else if (bound.Sockets < socketsPerPort) problems.Add($"UDP {port}: {bound.Sockets} of {socketsPerPort} receive loops running");
        }

        return problems.Count == 0
            ? HealthCheckResult.Healthy($"{expectedPorts.Count} UDP ports open, {socketsPerPort} receive loop(s) each")
            : HealthCheckResult.Unhealthy(string.Join("; ", problems));
    }
}
