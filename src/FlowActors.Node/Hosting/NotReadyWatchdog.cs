using FlowActors.Node.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlowActors.Node.Hosting;

/// <summary>
/// Ends a node that stays not ready (a readiness check unhealthy; degraded is ready) for
/// <see cref="HealthSettings.ExitAfterNotReadySeconds"/>: it logs which checks fail, names the setting and stops the host with exit code <see cref="ExitCode"/>, so a supervisor (Kubernetes,
/// systemd, compose) restarts it instead of it running for ever doing nothing.
/// </summary>
public sealed class NotReadyWatchdog(NodeReadiness readiness, NodeSettings settings, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<NotReadyWatchdog> log)
    : BackgroundService
{
    /// <summary>Process exit code after the grace period.</summary>
    public const int ExitCode = 3;

    /// <summary>How often readiness is evaluated.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        int graceSeconds = settings.Health.ExitAfterNotReadySeconds;
        if (graceSeconds == 0) return;
        var grace = TimeSpan.FromSeconds(graceSeconds);
        DateTimeOffset? notReadySince = time.GetUtcNow();
        using var timer = new PeriodicTimer(CheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var report = await readiness.CheckAsync(stoppingToken).ConfigureAwait(false);
                if (NodeReadiness.IsReady(report))
                {
                    notReadySince = null;
                    continue;
                }

                var now = time.GetUtcNow();
                notReadySince ??= now;
                if (now - notReadySince.Value < grace) continue;
                string failing = string.Join("; ", report.Entries.Where(e => e.Value.Status == HealthStatus.Unhealthy)
                    .Select(e => $"{e.Key}: {e.Value.Description ?? e.Value.Exception?.Message}"));
                log.LogCritical(
                    "Not ready for {Seconds} s ({Failing}); exiting with {Code}. FlowActors:Health:ExitAfterNotReadySeconds (FLOWACTORS__HEALTH__EXITAFTERNOTREADYSECONDS) sets this grace period; 0 never exits.",
                    graceSeconds, failing, ExitCode);
                Environment.ExitCode = ExitCode;
                lifetime.StopApplication();
                return;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping anyway.
        }
    }
}
