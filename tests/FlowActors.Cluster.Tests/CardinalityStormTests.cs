using System.Diagnostics;
using Akka.Actor;
using Akka.Configuration;
using FlowActors.Cluster.Actors;
using FlowActors.Cluster.Messages;
using FlowActors.Cluster.Persistence;
using FlowActors.Cluster.Receiving;
using FlowActors.Cluster.Sharding;
using FlowActors.Protocols;
using Xunit.Abstractions;

namespace FlowActors.Cluster.Tests;

/// <summary>Runs alone: it measures the process's memory, which tests running beside it would move.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasuringCollection
{
    public const string Name = "memory-measuring";
}

/// <summary>
/// A host-cardinality storm through the receive path in process: a receive loop's <see cref="ShardBatcher"/> feeding the
/// host shard actors (every message serialized) over a real SQLite host-state store, with a node limit on active hosts.
/// </summary>
[Collection(MemoryMeasuringCollection.Name)]
public sealed class CardinalityStormTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ITestOutputHelper _output;

    public CardinalityStormTests(ITestOutputHelper output)
        : base(ConfigurationFactory.ParseString(TestConfig.Serialization + "\n" + InProcessReferenceSerializer.Hocon), output: output) => _output = output;

    private const int Shards = 10, StormHosts = 1_000_000, MaxActiveHosts = 20_000;

    /// <summary>Stands in for the shard region: routes each shard's batch to its shard actor.</summary>
    private sealed class ShardRouter : ReceiveActor
    {
        public ShardRouter(IActorRef[] shards) => Receive<ShardObservations>(m => shards[m.Shard].Forward(m));
    }

    [Fact]
    public async Task A_million_distinct_sources_keep_memory_under_the_ceiling_and_every_observation_over_the_host_limit_is_counted()
    {
        using var dir = SqliteTempDirectory.Create();
        var options = new FlowActorsClusterOptions
        {
            ShardCount = Shards,
            MaxActiveHosts = MaxActiveHosts,
            IdleAdvanceInterval = TimeSpan.FromMilliseconds(200),
            SnapshotInterval = TimeSpan.FromMinutes(5),
            DataDirectory = dir.Path,
            ConnectionString = "Data Source=" + dir.File("hosts.db"),
        };
        using var store = HostStateStore.Create(options);
        var population = new HostPopulation(options.MaxActiveHosts);
        using var dropped = new CounterProbe("flowactors.host.dropped_observations", "host_limit");
        var forwarder = CreateTestProbe();
        var shards = Enumerable.Range(0, Shards)
            .Select(s => Sys.ActorOf(HostShardActor.GetProps(s.ToString(System.Globalization.CultureInfo.InvariantCulture), options, () => forwarder.Ref, store, population)))
            .ToArray();
        var region = Sys.ActorOf(Props.Create(() => new ShardRouter(shards)));
        var extractor = new HostMessageExtractor(Shards);
        var budget = new InFlightBudget(options.MaxInFlightObservations);
        var batcher = new ShardBatcher(region, extractor, budget, options.BatchSize, options.InFlightWait, () => false);
        // Warm: JIT, pools and the shards' first load, so the baseline is an idle node's.
        foreach (var s in shards) await s.Ask<ShardHosts>(new GetShardHosts(0, 1), TimeSpan.FromSeconds(30));
        long managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        long rssBefore = Process.GetCurrentProcess().WorkingSet64;
        var clock = Stopwatch.StartNew();

        // One observation from each of a million distinct internal sources, as fast as the batcher takes them.
        var peer = FlowAddress.Parse("192.0.2.1");
        long t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long peakRss = rssBefore;
        for (int i = 0; i < StormHosts; i++)
        {
            var host = FlowAddress.FromV4(0x0A_00_00_00u + (uint)i);
            batcher.Add(new FlowObservation(host, peer, 50000, 443, 6, 0x02, true, false, 1, 60, t0, t0));
            if ((i & 0xFFFF) == 0) peakRss = Math.Max(peakRss, Process.GetCurrentProcess().WorkingSet64);
        }
        batcher.Flush();

        // Every observation either applied to one of the limited hosts or dropped and counted.
        long active = 0;
        await AwaitAssertAsync(async () =>
        {
            active = 0;
            foreach (var s in shards) active += (await s.Ask<ShardHosts>(new GetShardHosts(0, 1), TimeSpan.FromSeconds(30))).ActiveHosts;
            Assert.Equal(MaxActiveHosts, active);
            Assert.True(dropped.Total >= StormHosts - MaxActiveHosts, $"{dropped.Total} dropped and counted");
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(250));
        double seconds = clock.Elapsed.TotalSeconds;
        peakRss = Math.Max(peakRss, Process.GetCurrentProcess().WorkingSet64);
        long managedAfter = GC.GetTotalMemory(forceFullCollection: true);
        Assert.Equal(MaxActiveHosts, population.Count);
        Assert.Equal(0, batcher.DroppedOverload);

        // Ceilings. What stays (managed heap after a full collection): 4 KB per held host (issue 7's all-in budget) plus
        // 32 MB. At the peak (RSS): that, plus the observations the in-flight bound lets wait for the shards, plus 96 MB
        // for the GC's young generation and pools. Neither grows with the storm's million sources.
        const long MB = 1024 * 1024;
        long held = MaxActiveHosts * 4096L;
        long inFlight = options.MaxInFlightObservations * System.Runtime.CompilerServices.Unsafe.SizeOf<FlowObservation>();
        long managedCeiling = held + 32 * MB, rssCeiling = held + inFlight + 96 * MB;
        long managedGrowth = managedAfter - managedBefore, rssGrowth = peakRss - rssBefore;
        _output.WriteLine($"{StormHosts} sources in {seconds:0.0} s: {active} hosts held, {dropped.Total} observations dropped and counted; " +
            $"managed heap +{managedGrowth / (double)MB:0.0} MB (ceiling {managedCeiling / MB} MB), peak RSS +{rssGrowth / (double)MB:0.0} MB (ceiling {rssCeiling / MB} MB)");
        Assert.True(managedGrowth < managedCeiling, $"managed heap grew by {managedGrowth} bytes, over {managedCeiling}");
        Assert.True(rssGrowth < rssCeiling, $"peak RSS grew by {rssGrowth} bytes, over {rssCeiling}");

        // Hand-off writes every held host in one go, and gives their room back.
        var stop = Stopwatch.StartNew();
        foreach (var s in shards)
        {
            Watch(s);
            s.Tell(StopHost.Instance);
        }
        var terminated = new HashSet<IActorRef>();
        for (int i = 0; i < Shards; i++) terminated.Add(ExpectMsg<Terminated>(TimeSpan.FromSeconds(30)).ActorRef);
        Assert.Equal(shards.ToHashSet(), terminated);
        long written = 0;
        for (int s = 0; s < Shards; s++) written += await store.CountAsync(s);
        _output.WriteLine($"hand-off of {MaxActiveHosts} hosts: {stop.Elapsed.TotalSeconds:0.0} s, {written} states written");
        Assert.Equal(MaxActiveHosts, written);
        Assert.Equal(0, population.Count);
    }
}
