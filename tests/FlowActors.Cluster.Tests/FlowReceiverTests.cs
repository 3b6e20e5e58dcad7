using System.Net.Sockets;
using Akka.Actor;
using FlowActors.Cluster.Hosting;
using FlowActors.Cluster.Messages;
using FlowActors.Protocols;

namespace FlowActors.Cluster.Tests;

/// <summary>Real UDP over loopback into receivers of in-process cluster nodes.</summary>
public sealed class FlowReceiverTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = SqliteTempDirectory.Create();
    private readonly List<ClusterNode> _nodes = new();
    private readonly UdpClient _exporter = new(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));

    private FlowActorsClusterOptions Options(params string[] allowlist) => new()
    {
        Receivers = [new ReceiverPortOptions { Port = 0, BindAddress = "127.0.0.1", Sockets = 2, ReceiveBufferBytes = 1 << 20 }],
        ExporterAllowlist = [.. allowlist],
        FlushInterval = TimeSpan.FromMilliseconds(50),
        ConsoleSink = false,
        AlertsJsonLinesPath = "",
        DataDirectory = _dir.Path,
        ConnectionString = "Data Source=" + _dir.File("receiver.db"),
    };

    private async Task<ClusterNode> StartNodeAsync(FlowActorsClusterOptions options)
    {
        var node = await ClusterNode.StartAsync($"node{_nodes.Count + 1}", options, _nodes.Count == 0 ? null : _nodes[0].Address);
        _nodes.Add(node);
        return node;
    }

    private static Task<ReceiverStats> StatsOf(ClusterNode node) =>
        node.Registry.Get<ReceiverMarker>().Ask<ReceiverStats>(GetReceiverStats.Instance, TimeSpan.FromSeconds(5));

    /// <summary>The receiver's UDP port, once the shard region is ready and the port is open.</summary>
    private static async Task<int> PortOf(ClusterNode node)
    {
        int port = 0;
        await Eventually.Assert(async () => port = Assert.Single((await StatsOf(node)).Ports).Port, TimeSpan.FromSeconds(20));
        Assert.NotEqual(0, port);
        return port;
    }

    private Task SendAsync(byte[] datagram, int port) => _exporter.SendAsync(datagram, datagram.Length, "127.0.0.1", port);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _exporter.Dispose();
        foreach (var n in _nodes) await n.DisposeAsync();
        _dir.Dispose();
    }

    [Theory]
    [InlineData(ReceiverPortOptions.DefaultRingBuffers)] // io_uring where the kernel allows it
    [InlineData(0)] // ordinary receives
    public async Task NetFlow_v5_over_loopback_reaches_the_host_entity_of_each_monitored_end(int ringBuffers)
    {
        var options = Options();
        foreach (var r in options.Receivers) r.RingBuffers = ringBuffers;
        var node = await StartNodeAsync(options);
        int port = await PortOf(node);
        var flows = new List<FlowDatagrams.Flow>();
        for (int i = 0; i < 15; i++) flows.Add(new("10.0.0.5", "10.0.0.9", 40000, (ushort)(1000 + i), 6, 0x02, 1, 60));
        flows.Add(new("10.0.0.5", "203.0.113.8", 40001, 443, 6, 0x1B, 10, 5000)); // external peer: not an entity
        await SendAsync(FlowDatagrams.V5(flows), port);

        await Eventually.Assert(async () =>
        {
            var scanner = await node.HostRegion.Ask<HostStateReport>(new GetHostState(FlowAddress.Parse("10.0.0.5")), TimeSpan.FromSeconds(3));
            var target = await node.HostRegion.Ask<HostStateReport>(new GetHostState(FlowAddress.Parse("10.0.0.9")), TimeSpan.FromSeconds(3));
            Assert.Equal(16, scanner.FlowsObserved); // outbound end of all 16 records
            Assert.Equal(15, target.FlowsObserved);  // inbound end of the 15 internal ones
        }, TimeSpan.FromSeconds(15));

        var stats = Assert.Single((await StatsOf(node)).Ports);
        Assert.Equal(1, stats.Datagrams);
        Assert.Equal(24 + 16 * 48, stats.Bytes);
        Assert.Equal(16, stats.Records);
        Assert.Equal(31, stats.Observations);
        Assert.Equal(0, stats.DecodeErrors);
        // One batch per shard with traffic (both hosts' observations travel together when they share a shard), not one per flow or host.
        var extractor = new Sharding.HostMessageExtractor(new FlowActorsClusterOptions().ShardCount);
        Assert.Equal(new[] { "10.0.0.5", "10.0.0.9" }.Select(ip => extractor.ShardOf(FlowAddress.Parse(ip))).Distinct().Count(), stats.BatchesSent);
        // Per-exporter counters are published by the receive loop once a second.
        await Eventually.Assert(async () =>
        {
            var exporter = Assert.Single((await StatsOf(node)).Exporters);
            Assert.Equal("127.0.0.1", exporter.Exporter);
            Assert.Equal(16, exporter.Records);
        }, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Datagrams_from_exporters_outside_the_allowlist_are_dropped_and_counted()
    {
        var node = await StartNodeAsync(Options("192.0.2.0/24"));
        int port = await PortOf(node);
        await SendAsync(FlowDatagrams.V5([new("10.0.0.5", "10.0.0.9", 40000, 22, 6, 0x1B, 5, 500)]), port);

        await Eventually.Assert(async () => Assert.Equal(1, Assert.Single((await StatsOf(node)).Ports).DroppedNotAllowed), TimeSpan.FromSeconds(10));
        var stats = Assert.Single((await StatsOf(node)).Ports);
        Assert.Equal(1, stats.Datagrams);
        Assert.Equal(0, stats.Records);
        Assert.Equal(0, stats.BatchesSent);
    }

    [Fact]
    public async Task Template_learnt_on_one_node_lets_another_node_decode_the_exporters_data_at_once()
    {
        var a = await StartNodeAsync(Options());
        var b = await StartNodeAsync(Options());
        int portA = await PortOf(a);
        int portB = await PortOf(b);
        var flow = new FlowDatagrams.Flow("10.0.0.5", "10.0.0.9", 40000, 22, 6, 0x1B, 5, 500);

        await SendAsync(FlowDatagrams.V9(withTemplate: true, [flow], sequence: 0), portA);
        await Eventually.Assert(async () => Assert.Equal(1, Assert.Single((await StatsOf(a)).Ports).Records), TimeSpan.FromSeconds(10));

        // Node B never saw the template from the exporter; DistributedData brings it over.
        await Eventually.Assert(async () =>
        {
            var t = Assert.Single((await StatsOf(b)).Templates);
            Assert.Equal(("127.0.0.1", (ushort)9, 1u, (ushort)256, true), (t.Exporter, t.Version, t.Domain, t.TemplateId, t.Replicated));
        }, TimeSpan.FromSeconds(20));

        await SendAsync(FlowDatagrams.V9(withTemplate: false, [flow, flow], sequence: 1), portB);
        await Eventually.Assert(async () => Assert.Equal(2, Assert.Single((await StatsOf(b)).Ports).Records), TimeSpan.FromSeconds(10));
        await Eventually.Assert(async () =>
        {
            var exporter = Assert.Single((await StatsOf(b)).Exporters);
            Assert.Equal(2, exporter.Records);
            Assert.Equal(0, exporter.RecordsUndecodable);
        }, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Shutdown_flushes_pending_batches_and_snapshots_so_a_restarted_node_has_the_baseline()
    {
        var options = Options();
        options.FlushInterval = TimeSpan.FromMinutes(1); // batches stay pending until shutdown flushes them
        var node = await StartNodeAsync(options);
        int port = await PortOf(node);
        await SendAsync(FlowDatagrams.V5([new("10.0.0.21", "203.0.113.9", 40000, 443, 6, 0x1B, 10, 5000), new("10.0.0.21", "203.0.113.9", 40001, 443, 6, 0x1B, 10, 5000)]), port);
        await Eventually.Assert(async () => Assert.Equal(2, Assert.Single((await StatsOf(node)).Ports).Observations), TimeSpan.FromSeconds(10));
        Assert.Equal(0, Assert.Single((await StatsOf(node)).Ports).BatchesSent);

        await node.LeaveAsync(); // coordinated shutdown, as on SIGTERM

        var restarted = await ClusterNode.StartAsync("restarted", Options(), null);
        _nodes.Add(restarted);
        await Eventually.Assert(async () =>
        {
            var state = await restarted.HostRegion.Ask<HostStateReport>(new GetHostState(FlowAddress.Parse("10.0.0.21")), TimeSpan.FromSeconds(3));
            Assert.True(state.RestoredFromSnapshot);
            Assert.Equal(2, state.FlowsObserved);
        }, TimeSpan.FromSeconds(20));
    }
}
