using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using FlowActors.Cluster.Messages;
using FlowActors.Protocols;
using FlowActors.Siem.Sinks;

namespace FlowActors.Cluster.Tests;

/// <summary>Three nodes in one process on loopback, sharing one SQLite database (the persistence a real cluster shares).</summary>
public sealed class ThreeNodeClusterTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = SqliteTempDirectory.Create();
    private readonly List<ClusterNode> _nodes = new();

    private FlowActorsClusterOptions Options(params IAlertSink[] sinks)
    {
        var options = new FlowActorsClusterOptions
        {
            Receivers = [],
            ConsoleSink = false,
            AlertsJsonLinesPath = "",
            DataDirectory = _dir.Path,
            ConnectionString = "Data Source=" + _dir.File("cluster.db"),
            SinkRetryInterval = TimeSpan.FromMilliseconds(200),
            AlertRetryInterval = TimeSpan.FromMilliseconds(500),
        };
        foreach (var s in sinks) options.AdditionalSinks.Add(() => s);
        return options;
    }

    private async Task StartClusterAsync(Func<int, FlowActorsClusterOptions> options, Func<int, string>? hocon = null)
    {
        for (int i = 0; i < 3; i++)
        {
            _nodes.Add(await ClusterNode.StartAsync($"node{i + 1}", options(i), i == 0 ? null : _nodes[0].Address, hocon?.Invoke(i) ?? ""));
        }
        await Eventually.Assert(() =>
        {
            foreach (var n in _nodes) Assert.Equal(3, n.Cluster.State.Members.Count(m => m.Status == MemberStatus.Up));
        }, TimeSpan.FromSeconds(20));
    }

    private static Task<HostStateReport> StateOf(ClusterNode via, string ip) =>
        via.HostRegion.Ask<HostStateReport>(new GetHostState(FlowAddress.Parse(ip)), TimeSpan.FromSeconds(3));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var n in _nodes) await n.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Destination_prevalence_seen_on_one_node_reaches_the_other_nodes_through_distributed_data()
    {
        var options = new List<FlowActorsClusterOptions>();
        await StartClusterAsync(_ =>
        {
            var o = Options();
            o.PrevalencePublishInterval = TimeSpan.FromMilliseconds(300);
            options.Add(o);
            return o;
        });
        Assert.All(options, o => Assert.NotNull(o.Prevalence));
        Assert.Equal(3, options.Select(o => o.Prevalence).Distinct().Count()); // one sketch per node, not shared in memory

        var destination = FlowAddress.Parse("203.0.113.50");
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (int i = 1; i <= 5; i++) options[0].Prevalence!.Record(FlowAddress.Parse($"10.2.0.{i}"), destination, now);
        Assert.Equal(0, options[2].Prevalence!.HostsContacting(destination));

        await Eventually.Assert(() =>
        {
            Assert.InRange(options[1].Prevalence!.HostsContacting(destination), 4, 6);
            Assert.InRange(options[2].Prevalence!.HostsContacting(destination), 4, 6);
        }, TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Batches_for_many_hosts_land_on_entities_spread_over_all_three_nodes()
    {
        await StartClusterAsync(_ =>
        {
            var o = Options();
            o.KeepAllShardsStarted = false; // shards are placed by their first message, over the three regions
            return o;
        });
        // Every region registered with the coordinator before the first shard is allocated.
        await Eventually.Assert(async () =>
        {
            var regions = await _nodes[0].HostRegion.Ask<CurrentRegions>(GetCurrentRegions.Instance, TimeSpan.FromSeconds(3));
            Assert.Equal(3, regions.Regions.Count);
        }, TimeSpan.FromSeconds(20));

        var hosts = Enumerable.Range(1, 30).Select(i => $"10.1.0.{i}").ToList();
        foreach (var ip in hosts)
        {
            _nodes[2].HostRegion.Tell(new ObserveBatch(FlowAddress.Parse(ip), TestData.Sessions(ip, 5, TestData.T0)));
        }
        // Host shards are entities now: 30 hosts land in about 26 of the 100 shards, spread over the nodes.

        var placement = new Dictionary<string, string>();
        await Eventually.Assert(async () =>
        {
            foreach (var ip in hosts)
            {
                var state = await StateOf(_nodes[1], ip);
                Assert.Equal(5, state.FlowsObserved);
                placement[ip] = state.NodeAddress;
            }
        }, TimeSpan.FromSeconds(20));
        Assert.Equal(
            _nodes.Select(n => n.Address.ToString()).Order(),
            placement.Values.Distinct().Order());
    }

    [Fact]
    public async Task Observations_for_ten_thousand_hosts_batched_per_shard_are_all_applied_in_order_on_all_three_nodes()
    {
        await StartClusterAsync(_ =>
        {
            var o = Options();
            o.IdleAdvanceInterval = TimeSpan.FromMinutes(5); // no idle advance in the middle of the test
            o.KeepAllShardsStarted = false; // shards are placed by their first message, over the three regions
            return o;
        });
        await Eventually.Assert(async () =>
        {
            var regions = await _nodes[0].HostRegion.Ask<CurrentRegions>(GetCurrentRegions.Instance, TimeSpan.FromSeconds(3));
            Assert.Equal(3, regions.Regions.Count);
        }, TimeSpan.FromSeconds(20));

        // What a receive loop on node3 does: per-shard batches, flushed when full, the rest at the end. Each host's
        // observations lie one window apart, so any reordering within a host would leave one of them late.
        const int Hosts = 10_000, PerHost = 5;
        var options = Options();
        var extractor = new Sharding.HostMessageExtractor(options.ShardCount);
        var budget = new InFlightBudget(options.MaxInFlightObservations);
        var batcher = new Receiving.ShardBatcher(_nodes[2].HostRegion, extractor, budget, 256, TimeSpan.FromSeconds(5), () => false);
        var peer = FlowAddress.Parse("192.0.2.1");
        for (int k = 0; k < PerHost; k++)
        {
            for (int i = 0; i < Hosts; i++)
            {
                var host = FlowAddress.FromV4(0x0A_09_00_00u + (uint)i);
                long t = TestData.Ms(TestData.T0) + k * 400_000L + i;
                batcher.Add(new FlowObservation(host, peer, 50000, 443, 6, 0x1B, true, false, 1, 100, t, t + 1));
            }
        }
        batcher.Flush();
        Assert.True(batcher.BatchesSent <= PerHost * Hosts / 100, $"{batcher.BatchesSent} messages for {PerHost * Hosts} observations");

        var seen = new Dictionary<FlowAddress, HostStateReport>();
        await Eventually.Assert(async () =>
        {
            seen.Clear();
            for (int shard = 0; shard < options.ShardCount; shard++)
            {
                var reply = await _nodes[shard % 3].HostRegion.Ask<ShardHosts>(new GetShardHosts(shard, Hosts), TimeSpan.FromSeconds(10));
                foreach (var r in reply.Hosts) seen[r.Host] = r;
            }
            Assert.Equal(Hosts, seen.Count);
            Assert.All(seen.Values, r => Assert.Equal(PerHost, r.FlowsObserved));
        }, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1));
        Assert.All(seen.Values, r => Assert.Equal(0, r.LateObservations));
        Assert.All(seen.Values, r => Assert.Equal(TestData.Ms(TestData.T0) + (PerHost - 1) * 400_000L + (r.Host.V4 - 0x0A_09_00_00u) + 1, r.EventTimeMs));
        Assert.Equal(_nodes.Select(n => n.Address.ToString()).Order(), seen.Values.Select(r => r.NodeAddress).Distinct().Order());
        await Eventually.Assert(() => Assert.Equal(0, budget.InFlight), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Killing_the_singleton_node_moves_the_forwarder_and_acknowledged_alerts_are_delivered_by_the_new_one()
    {
        var broken = new CollectingSink { Failing = true };
        var healthy = new CollectingSink();
        // The oldest node (node1) hosts the singleton; its copy of the sink never succeeds.
        // node1 terminates without coordinated shutdown: no leave, no hand-over; the others must detect and down it.
        await StartClusterAsync(i => i == 0 ? Options(broken) : Options(healthy),
            i => i == 0 ? "akka.coordinated-shutdown.run-by-actor-system-terminate = off" : "");

        var accepted = await _nodes[1].Forwarder.Ask<AlertAccepted>(new ForwardAlert(TestData.Alert("survives-failover")), TimeSpan.FromSeconds(10));
        Assert.Equal("survives-failover", accepted.AlertId);
        var before = await _nodes[1].Forwarder.Ask<ForwarderStatus>(GetForwarderStatus.Instance, TimeSpan.FromSeconds(5));
        Assert.Equal(_nodes[0].Address.ToString(), before.NodeAddress);
        await Eventually.Assert(() => Assert.True(Volatile.Read(ref broken.Attempts) >= 1), TimeSpan.FromSeconds(5));
        Assert.Empty(healthy.Delivered);

        await _nodes[0].CrashAsync();
        await Eventually.Assert(() => Assert.Contains(_nodes[1].Cluster.State.Unreachable, m => m.Address == _nodes[0].Address), TimeSpan.FromSeconds(15));

        await Eventually.Assert(() => Assert.Equal(["survives-failover"], healthy.Ids), TimeSpan.FromSeconds(30));
        var after = await _nodes[2].Forwarder.Ask<ForwarderStatus>(GetForwarderStatus.Instance, TimeSpan.FromSeconds(5));
        Assert.NotEqual(_nodes[0].Address.ToString(), after.NodeAddress);
        Assert.True(after.Recovered);
    }

    [Fact]
    public async Task A_hosts_baseline_survives_its_shard_moving_to_another_node()
    {
        await StartClusterAsync(_ => Options());
        const string ip = "10.2.0.7";
        _nodes[0].HostRegion.Tell(new ObserveBatch(FlowAddress.Parse(ip), TestData.Sessions(ip, 40, TestData.T0)));
        HostStateReport? before = null;
        await Eventually.Assert(async () =>
        {
            before = await StateOf(_nodes[0], ip);
            Assert.Equal(40, before.FlowsObserved);
        }, TimeSpan.FromSeconds(15));

        // The node holding the host leaves: its shards are handed off, each shard writes its dirty hosts on the way out.
        var owner = _nodes.Single(n => n.Address.ToString() == before!.NodeAddress);
        var survivor = _nodes.First(n => n != owner);
        await owner.LeaveAsync();

        await Eventually.Assert(async () =>
        {
            var after = await StateOf(survivor, ip);
            Assert.NotEqual(before!.NodeAddress, after.NodeAddress);
            Assert.True(after.RestoredFromSnapshot);
            Assert.Equal(40, after.FlowsObserved);
            Assert.Equal(before.EventTimeMs, after.EventTimeMs);
        }, TimeSpan.FromSeconds(25));
    }
}
