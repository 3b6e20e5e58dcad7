using Akka.Actor;
using FlowActors.Cluster.Messages;
using FlowActors.Protocols;
using Npgsql;

namespace FlowActors.Cluster.Tests;

/// <summary>The same persistence promises on PostgreSQL (Akka.Persistence.Sql with Npgsql) as on SQLite.</summary>
public sealed class PostgreSqlPersistenceTests : IAsyncLifetime
{
    private PostgresServer _pg = null!;
    private readonly List<ClusterNode> _nodes = new();

    public async Task InitializeAsync() => _pg = await PostgresServer.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var n in _nodes) await n.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await _pg.DisposeAsync();
    }

    private FlowActorsClusterOptions Options(CollectingSink sink)
    {
        var o = new FlowActorsClusterOptions
        {
            Receivers = [],
            ConsoleSink = false,
            AlertsJsonLinesPath = "",
            PersistenceProvider = PersistenceProvider.PostgreSql,
            ConnectionString = _pg.ConnectionString(),
            SinkRetryInterval = TimeSpan.FromMilliseconds(200),
        };
        o.AdditionalSinks.Add(() => sink);
        return o;
    }

    [Fact]
    public async Task Acknowledged_alert_and_host_baseline_survive_a_node_restart_on_PostgreSql()
    {
        var broken = new CollectingSink { Failing = true };
        var first = await ClusterNode.StartAsync("pg1", Options(broken), null);
        _nodes.Add(first);
        var accepted = await first.Forwarder.Ask<AlertAccepted>(new ForwardAlert(TestData.Alert("pg-alert")), TimeSpan.FromSeconds(20));
        Assert.Equal("pg-alert", accepted.AlertId);
        first.HostRegion.Tell(new ObserveBatch(FlowAddress.Parse("10.3.0.1"), TestData.Sessions("10.3.0.1", 12, TestData.T0)));
        await Eventually.Assert(async () => Assert.Equal(12,
            (await first.HostRegion.Ask<HostStateReport>(new GetHostState(FlowAddress.Parse("10.3.0.1")), TimeSpan.FromSeconds(3))).FlowsObserved),
            TimeSpan.FromSeconds(15));
        await first.LeaveAsync();

        var healthy = new CollectingSink();
        var second = await ClusterNode.StartAsync("pg2", Options(healthy), null);
        _nodes.Add(second);
        await Eventually.Assert(() => Assert.Equal(["pg-alert"], healthy.Ids), TimeSpan.FromSeconds(20));
        var state = await second.HostRegion.Ask<HostStateReport>(new GetHostState(FlowAddress.Parse("10.3.0.1")), TimeSpan.FromSeconds(10));
        Assert.True(state.RestoredFromSnapshot);
        Assert.Equal(12, state.FlowsObserved);
    }
}
