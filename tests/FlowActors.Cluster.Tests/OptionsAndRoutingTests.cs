using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Sharding;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Tests;

public sealed class OptionsAndRoutingTests
{
    [Fact]
    public void Default_options_are_valid_and_hold_all_three_roles()
    {
        var o = new FlowActorsClusterOptions();
        o.Validate();
        Assert.Equal(["edge", "analytics", "forwarder"], o.Roles);
        Assert.Equal(100, o.ShardCount);
        Assert.Equal([2055, 4739, 6343], o.Receivers.Select(r => r.Port));
        Assert.Equal(Path.Combine("data", "alerts.jsonl"), o.EffectiveAlertsJsonLinesPath);
        Assert.Equal("Data Source=" + Path.Combine("data", "flowactors.db"), o.EffectiveConnectionString);
    }

    [Theory]
    [InlineData("Roles", "FlowActors:Roles contains 'router'")]
    [InlineData("ShardCount", "FlowActors:ShardCount is 0")]
    [InlineData("Port", "FlowActors:Receivers:0:Port is 70000")]
    [InlineData("DuplicatePort", "FlowActors:Receivers:1:Port 2055 is listed twice")]
    [InlineData("Sockets", "FlowActors:Receivers:0:Sockets is 0")]
    [InlineData("Allowlist", "FlowActors:ExporterAllowlist 'router-1' is not an address or CIDR")]
    [InlineData("BatchSize", "FlowActors:BatchSize is 0")]
    [InlineData("HostApplyDelay", "FlowActors:HostApplyDelay is 00:00:01.5000000; use 0..1000 ms")]
    [InlineData("PostgreSql", "FlowActors:Persistence:ConnectionString is required for postgresql")]
    public void Bad_setting_fails_with_a_message_naming_it(string which, string expected)
    {
        var o = new FlowActorsClusterOptions();
        switch (which)
        {
            case "Roles": o.Roles = ["edge", "router"]; break;
            case "ShardCount": o.ShardCount = 0; break;
            case "Port": o.Receivers[0].Port = 70000; break;
            case "DuplicatePort": o.Receivers[1].Port = 2055; break;
            case "Sockets": o.Receivers[0].Sockets = 0; break;
            case "Allowlist": o.ExporterAllowlist = ["router-1"]; break;
            case "BatchSize": o.BatchSize = 0; break;
            case "HostApplyDelay": o.HostApplyDelay = TimeSpan.FromMilliseconds(1500); break;
            case "PostgreSql": o.PersistenceProvider = PersistenceProvider.PostgreSql; break;
        }
        var e = Assert.Throws<ArgumentException>(o.Validate);
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void Bad_monitored_network_fails_with_the_detection_setting_named()
    {
        var o = new FlowActorsClusterOptions();
        o.Detection.Networks = ["10.0.0.0/33"];
        var e = Assert.Throws<ArgumentException>(o.Validate);
        Assert.Contains("Detection:Networks", e.Message);
    }

    [Fact]
    public void Exporter_allowlist_matches_exact_addresses_and_prefixes_of_both_families()
    {
        var list = new ExporterAllowlist(["192.0.2.1", "198.51.100.0/24", "2001:db8::/32"]);
        Assert.True(list.IsAllowed(FlowAddress.Parse("192.0.2.1")));
        Assert.False(list.IsAllowed(FlowAddress.Parse("192.0.2.2")));
        Assert.True(list.IsAllowed(FlowAddress.Parse("198.51.100.254")));
        Assert.False(list.IsAllowed(FlowAddress.Parse("198.51.101.1")));
        Assert.True(list.IsAllowed(FlowAddress.Parse("2001:db8:1::9")));
        Assert.False(list.IsAllowed(FlowAddress.Parse("2001:db9::9")));
        Assert.True(new ExporterAllowlist([]).AllowsAll);
    }

    [Fact]
    public void Host_extractor_routes_a_host_to_its_stable_shard_whose_actor_is_the_entity()
    {
        var extractor = new HostMessageExtractor(100);
        var host = FlowAddress.Parse("10.0.0.7");
        var msg = new GetHostState(host);
        // The shard follows FlowAddress.GetStableHashCode, identical in every process; the value is written out so
        // that a change of hash (which would re-home every host after an upgrade) fails here.
        // 10.0.0.7: stable hash 15617512776475633441, modulo 100 shards = 41. The entity is the shard's actor.
        Assert.Equal("41", extractor.EntityId(msg));
        Assert.Equal("41", extractor.ShardId("41", msg));
        Assert.Equal("41", extractor.ShardId("41"));
        Assert.Equal("41", extractor.EntityId(new ObserveBatch(host, [])));
        Assert.Equal("41", extractor.EntityId(new ShardObservations(41, [], 0)));
        Assert.Equal("41", extractor.EntityId(new GetShardHosts(41, 10)));
        Assert.Same(msg, extractor.EntityMessage(msg));
        Assert.Null(extractor.EntityId("not a host message"));
    }

    [Fact]
    public void Host_extractor_spreads_a_subnet_over_the_shards()
    {
        var extractor = new HostMessageExtractor(100);
        var shards = new HashSet<string>();
        for (int i = 1; i <= 254; i++) shards.Add(extractor.ShardOf(FlowAddress.FromV4(0x0A000000u | (uint)i)));
        Assert.True(shards.Count >= 85, $"254 hosts of 10.0.0.0/24 used only {shards.Count} of 100 shards");
    }
}
