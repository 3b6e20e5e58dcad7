using FlowActors.Node.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FlowActors.Node.Hosting;

/// <summary>
/// Ends a node that stays not ready (a readiness check unhealthy; degraded is ready) for
/// <see cref="HealthSettings.ExitAfterNotReadySeconds"/>: it logs which checks fail, names the setting and stops the
/// host with exit code <see cref="ExitCode"/>, so a supervisor (Kubernetes, systemd, compose) restarts it instead of it running for ever doing nothing. It also logs each change between
/// ready and not ready.
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
        var grace = TimeSpan.FromSeconds(graceSeconds);
        DateTimeOffset? notReadySince = time.GetUtcNow();
        bool wasReady = false;
        using var timer = new PeriodicTimer(CheckInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var report = await readiness.CheckAsync(stoppingToken).ConfigureAwait(false);
                if (NodeReadiness.IsReady(report))
                {
                    if (!wasReady) log.LogInformation("Ready: {Count} readiness checks pass", report.Entries.Count);
                    wasReady = true;
                    notReadySince = null;
                    continue;
                }

                // Logged on the change only (the probes show the details every time they are asked); leaving the
                // cluster on shutdown is expected, not a warning.
                if (wasReady)
                {
                    log.Log(lifetime.ApplicationStopping.IsCancellationRequested ? LogLevel.Information : LogLevel.Warning,
                        "Not ready: {Failing}", Failing(report));
                }
                wasReady = false;
                if (graceSeconds == 0) continue;
                var now = time.GetUtcNow();
                notReadySince ??= now;
                if (now - notReadySince.Value < grace) continue;
                log.LogCritical(
                    "Not ready for {Seconds} s ({Failing}); exiting with {Code}. FlowActors:Health:ExitAfterNotReadySeconds (FLOWACTORS__HEALTH__EXITAFTERNOTREADYSECONDS) sets this grace period; 0 never exits.",
                    graceSeconds, Failing(report), ExitCode);
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

    private static string Failing(HealthReport report) =>
        string.Join("; ", report.Entries.Where(e => e.Value.Status == HealthStatus.Unhealthy)
            .Select(e => $"{e.Key}: {e.Value.Description ?? e.Value.Exception?.Message}"));
}
