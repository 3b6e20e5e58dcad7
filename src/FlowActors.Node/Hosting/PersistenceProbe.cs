using System.Data.Common;
using Akka.Hosting;
using Akka.Persistence;
using FlowActors.Cluster;
using PersistenceSettings = FlowActors.Node.Configuration.PersistenceSettings;
using FlowActors.Node.Configuration;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace FlowActors.Node.Hosting;

/// <summary>
/// Readiness of the database behind the journal, the snapshot store and the host-state store (one connection
/// string serves all three): opens a connection through the configured provider and runs <c>SELECT 1</c>. Results
/// are reused for a second, so a flood of unauthenticated probes cannot become a flood of database connections.
/// <see cref="PersistencePluginCheck"/> adds the Akka.Persistence plugins' own view (their circuit breakers).
/// </summary>
public sealed class PersistenceProbe(PersistenceSettings settings, TimeProvider time) : IHealthCheck
{
    /// <summary>Name of the readiness check.</summary>
    public const string Name = "persistence";

    private static readonly TimeSpan Reuse = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private HealthCheckResult? _last;
    private DateTimeOffset _lastAt;

    /// <summary>Whether the store answers now.</summary>
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_last is { } last && time.GetUtcNow() - _lastAt < Reuse) return last;
            var result = await ProbeAsync().ConfigureAwait(false);
            _last = result;
            _lastAt = time.GetUtcNow();
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<HealthCheckResult> ProbeAsync()
    {
        string provider = settings.Provider == PersistenceProvider.PostgreSql ? "postgresql" : "sqlite";
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await using DbConnection connection = settings.Provider == PersistenceProvider.PostgreSql
                ? new NpgsqlConnection(new NpgsqlConnectionStringBuilder(settings.ConnectionString) { Timeout = (int)Timeout.TotalSeconds }.ConnectionString)
                : new SqliteConnection(settings.ConnectionString);
            await connection.OpenAsync(cts.Token).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1";
            await command.ExecuteScalarAsync(cts.Token).ConfigureAwait(false);
            return HealthCheckResult.Healthy($"{provider} answers");
        }
        catch (OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"{provider} did not answer within {Timeout.TotalSeconds:0} s ({NodeSettingsOptions.Redact(settings.ConnectionString)})");
        }
        catch (Exception ex) when (ex is DbException or IOException or System.Net.Sockets.SocketException or InvalidOperationException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy($"{provider} unreachable: {ex.Message} ({NodeSettingsOptions.Redact(settings.ConnectionString)})");
        }
    }
}

/// <summary>
/// Readiness of the default Akka.Persistence journal or snapshot store plugin: the plugin actor answers
/// Akka.Persistence's health query within <see cref="AskTimeout"/>. Its circuit breaker open or half-open (writes
/// failing) reports degraded, naming the last error; no answer reports unhealthy.
/// </summary>
public sealed class PersistencePluginCheck(PersistencePluginCheck.Plugin plugin) : IAkkaHealthCheck
{
    /// <summary>Which plugin is checked.</summary>
    public enum Plugin
    {
        /// <summary>The default journal (the forwarder's outbox events).</summary>
        Journal,

        /// <summary>The default snapshot store (the forwarder's snapshots).</summary>
        SnapshotStore,
    }

    /// <summary>Name of the journal check.</summary>
    public const string JournalName = "journal";

    /// <summary>Name of the snapshot store check.</summary>
    public const string SnapshotStoreName = "snapshot-store";

    /// <summary>How long the plugin has to answer.</summary>
    public static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(3);

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(AkkaHealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AskTimeout);
        var persistence = Persistence.Instance.Apply(context.ActorSystem);
        string what = plugin == Plugin.Journal ? "journal" : "snapshot store";
        try
        {
            var result = plugin == Plugin.Journal
                ? await persistence.CheckJournalHealthAsync("", timeout.Token).ConfigureAwait(false)
                : await persistence.CheckSnapshotStoreHealthAsync("", timeout.Token).ConfigureAwait(false);
            string detail = result.Exception is { } e ? $"{what}: {result.Description} (last error: {e.Message})" : $"{what}: {result.Description}";
            return result.Status switch
            {
                PersistenceHealthStatus.Healthy => HealthCheckResult.Healthy(detail),
                PersistenceHealthStatus.Degraded => HealthCheckResult.Degraded(detail),
                _ => HealthCheckResult.Unhealthy(detail),
            };
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"{what} plugin did not answer within {AskTimeout.TotalSeconds:0} s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"{what} plugin failed to report: {ex.Message}");
        }
    }
}
