using System.Data.Common;
using FlowActors.Cluster;
using FlowActors.Node.Configuration;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace FlowActors.Node.Hosting;

/// <summary>
/// Readiness of the journal and snapshot store: opens a connection through the configured provider and connection
/// string and runs <c>SELECT 1</c>. It does not look inside the actors that persist, so it holds however host
/// state and the outbox are stored. Results are reused for a second, so a flood of unauthenticated probes cannot
/// become a flood of database connections.
/// </summary>
public sealed class PersistenceProbe(PersistenceSettings settings, TimeProvider time)
{
    /// <summary>Name of the readiness check.</summary>
    public const string Name = "persistence";

    private static readonly TimeSpan Reuse = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private ReadinessCheck? _last;
    private DateTimeOffset _lastAt;

    /// <summary>Whether the store answers now.</summary>
    public async Task<ReadinessCheck> CheckAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_last is not null && time.GetUtcNow() - _lastAt < Reuse) return _last;
            _last = await ProbeAsync().ConfigureAwait(false);
            _lastAt = time.GetUtcNow();
            return _last;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<ReadinessCheck> ProbeAsync()
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
            return new ReadinessCheck(Name, true, $"{provider} answers");
        }
        catch (OperationCanceledException)
        {
            return new ReadinessCheck(Name, false, $"{provider} did not answer within {Timeout.TotalSeconds:0} s ({NodeSettingsOptions.Redact(settings.ConnectionString)})");
        }
        catch (Exception ex) when (ex is DbException or IOException or System.Net.Sockets.SocketException or InvalidOperationException or TimeoutException)
        {
            return new ReadinessCheck(Name, false, $"{provider} unreachable: {ex.Message} ({NodeSettingsOptions.Redact(settings.ConnectionString)})");
        }
    }
}
